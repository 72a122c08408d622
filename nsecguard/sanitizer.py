"""Text in, safe text out: every detected key swapped for its owner's `nostr:npub1...` mention.

Everything that is not a key stays byte-identical. A secret with no public key (an ncryptsec,
a bunker token) becomes a placeholder. For chat front-ends, which repost what people wrote.

Every form of every key found goes, not only the one that was found: once an nsec is found,
the same key written as bare hex elsewhere (which on its own has no context to be found by) is
proven by the nsec's public key and replaced too, and a bunker token found once is replaced
wherever it stands. Overlapping findings become one replaced span. The output is then scanned
again, and sanitized again, until nothing is found (a bounded number of rounds).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from nsecguard import rules
from nsecguard.engine import DEFAULT_OPTIONS, Options, scan_text
from nsecguard.model import Finding

UNSAFE_TEXT = "[text removed: nsecguard could not make it safe]"
MAX_ROUNDS = 4  # rescans of the output; what is still found after them, nothing of it is kept
MAX_LITERALS = 64  # secrets without a public key searched for elsewhere in the text, per text
MIN_LITERAL = 8  # shorter tokens are not searched for elsewhere (they would match anything)
MAX_KNOWN = 4096  # public keys remembered across the chunks of a stream
CHUNK = 1 << 20  # characters per chunk when streaming
OVERLAP = 64 << 10  # characters carried into the next chunk (longer than any key's spelling)
MAX_CONTEXT = 4096  # characters before a finding kept with it when a stream is cut
_ABSORBED_PREFIXES = ("nostr:", "@")


class Sanitized(NamedTuple):
    text: str
    findings: list[Finding]


class _Span(NamedTuple):
    start: int
    end: int
    replacement: str


def replacement_for(finding: Finding) -> str:
    if finding.npub is not None:
        return f"nostr:{finding.npub}"
    return rules.rule(finding.kind).replacement


def _chat_options(options: Options) -> Options:
    """Without inline allow or allowlist: a chat message never gets to keep a key."""
    return Options(
        min_confidence=options.min_confidence,
        decode_base64=options.decode_base64,
        repair_typos=options.repair_typos,
        inline_allow=False,
    )


def _find(text: str, options: Options, known: set[bytes]) -> list[Finding]:
    """Findings, with every public key found (and `known`) used to prove other forms of the
    same keys: the bare hex of an nsec found elsewhere in the text is found too."""
    findings = scan_text(text, path="-", options=options, known_pubkeys=known)
    found = {bytes.fromhex(f.pubkey) for f in findings if f.pubkey is not None}
    new = found - known
    if len(known) < MAX_KNOWN:
        known |= new
    if new and _other_forms(text):
        findings = scan_text(text, path="-", options=options, known_pubkeys=known | found)
    return findings


def _other_forms(text: str) -> bool:
    """Could the text hold a key in a form proven by its public key (hex, bytes, base64)?"""
    from nsecguard import candidates

    mask = candidates.get_prefilter()(text.encode("utf-8", "surrogatepass"))
    return bool(mask & (candidates.HEX | candidates.BYTES | candidates.BASE64))


def _spans(text: str, findings: list[Finding]) -> list[_Span]:
    """What to replace: each finding (with a `nostr:`/`@` prefix before a key), every other
    occurrence of a secret that has no public key, and overlapping ones merged into one."""
    raw: list[_Span] = []
    literals: dict[str, str] = {}
    key_kinds = rules.key_kinds()
    for f in findings:
        start = f.start
        if f.kind in key_kinds:
            for prefix in _ABSORBED_PREFIXES:
                if text[max(0, start - len(prefix)) : start].lower() == prefix:
                    start -= len(prefix)
                    break
        raw.append(_Span(start, f.end, replacement_for(f)))
        token = text[f.start : f.end]
        if f.npub is None and len(token) >= MIN_LITERAL and len(literals) < MAX_LITERALS:
            literals.setdefault(token, replacement_for(f))
    for token, replacement in literals.items():
        pos = text.find(token)
        while pos >= 0:
            raw.append(_Span(pos, pos + len(token), replacement))
            pos = text.find(token, pos + len(token))
    merged: list[_Span] = []
    for span in sorted(raw):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            replacement = last.replacement
            if span.replacement not in replacement:
                replacement += " " + span.replacement
            merged[-1] = _Span(last.start, max(last.end, span.end), replacement)
        else:
            merged.append(span)
    return merged


def _apply(text: str, spans: Iterable[_Span], upto: int | None = None) -> str:
    end = len(text) if upto is None else upto
    out: list[str] = []
    pos = 0
    for span in spans:
        if span.start >= end:
            break
        out.append(text[pos : span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:end])
    return "".join(out)


def _settle(safe: str, options: Options, known: set[bytes], findings: list[Finding]) -> str:
    """Rescan the output until nothing is found; findings of later rounds join `findings`
    (their positions are in the text of their round)."""
    seen = {f.fingerprint for f in findings}
    for _ in range(MAX_ROUNDS):
        again = _find(safe, options, known)
        if not again:
            return safe
        findings.extend(f for f in again if f.fingerprint not in seen)
        seen.update(f.fingerprint for f in again)
        safe = _apply(safe, _spans(safe, again))
    return safe if not _find(safe, options, known) else UNSAFE_TEXT


def sanitize_report(text: str, *, options: Options = DEFAULT_OPTIONS) -> Sanitized:
    """The safe text, and the findings that were replaced (without inline allow or allowlist:
    a chat message never gets to keep a key)."""
    options = _chat_options(options)
    known: set[bytes] = set()
    findings = _find(text, options, known)
    if not findings:
        return Sanitized(text, findings)
    safe = _apply(text, _spans(text, findings))
    return Sanitized(_settle(safe, options, known, findings), findings)


def sanitize(text: str, *, options: Options = DEFAULT_OPTIONS) -> str:
    """`text` with every detected key replaced by `nostr:npub1...` of its owner."""
    return sanitize_report(text, options=options).text


def sanitize_stream(
    chunks: Iterable[str], *, options: Options = DEFAULT_OPTIONS, overlap: int = OVERLAP
) -> Iterator[Sanitized]:
    """`sanitize_report` over a text of any length, in bounded memory: each chunk is sanitized
    with the `overlap` characters after it in view, and cut only where no finding stands (a key
    across a chunk border is replaced whole). Public keys found stay known for later chunks (the
    bare hex of an nsec seen earlier is replaced); a form that stood before, already written
    out, cannot be taken back. Findings' line numbers count from the start of the stream."""
    options = _chat_options(options)
    known: set[bytes] = set()
    carry = ""
    lines_before = 0
    dropping = False  # inside a secret longer than a chunk: drop it up to its end
    pending = iter(chunks)
    upcoming = next(pending, None)
    while upcoming is not None:
        chunk, upcoming = upcoming, next(pending, None)
        if dropping:
            end = _TOKEN.match(chunk).end()  # type: ignore[union-attr]
            dropping, chunk = end == len(chunk), chunk[end:]
        buf = carry + chunk
        last = upcoming is None
        if not last and len(buf) <= 2 * overlap:
            carry = buf
            continue
        findings = _find(buf, options, known)
        spans = _spans(buf, findings)
        cut = len(buf)
        if not last:
            cut -= overlap
            # never cut through a replaced span, nor the words just before it that made it a
            # finding (a name, a URI's scheme), which the next chunk must see again
            context = min(overlap // 2, MAX_CONTEXT)
            for span in reversed(spans):
                if span.start - context <= cut < span.end:
                    cut = max(0, span.start - context)
            if cut == 0 and len(buf) > 8 * overlap:  # one secret as long as the buffer
                cut, dropping = len(buf), True
        mine = [f for f in findings if f.start < cut]
        safe = _apply(buf, spans, cut)
        if mine:
            safe = _settle(safe, options, known, mine)
        yield Sanitized(safe, [f.moved(line=f.line + lines_before) for f in mine])
        lines_before += buf.count("\n", 0, cut)
        carry = buf[cut:]


# what a secret token is made of (a URI parameter, a base64 run): dropped up to its end
_TOKEN = re.compile(r"[^\s&#\"'<>`\\]*")


def decode_stream(blocks: Iterable[bytes]) -> Iterator[str]:
    """Bytes blocks as text, invalid UTF-8 kept as surrogate escapes (so it encodes back to the
    same bytes), a character split across two blocks decoded whole."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    for block in blocks:
        text = decoder.decode(block)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail
