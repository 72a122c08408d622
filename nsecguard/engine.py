"""The detection engine: text in, findings out. Pure: no I/O, no global state.

Pass 1 (`candidates`) says which kinds of candidate a buffer holds at all. Pass 2 extracts
them exactly and validates each one: bech32 checksum (with one-typo repair), scalar range,
public-key derivation, the names around hex values, and proof by finding the derived public
key in the same text. Findings carry the owner's npub and a fingerprint, never the key.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from nsecguard import candidates, keys, rules
from nsecguard.lines import INLINE_ALLOW as INLINE_ALLOW
from nsecguard.lines import CharOffsets, Lines
from nsecguard.model import DEFAULT_MIN_CONFIDENCE, Confidence, Finding
from nsecguard.rules.base import Buffer, Hit, Outer, Scan
from nsecguard.rules.filters import placeholder_reason as placeholder_reason

MAX_BASE64_DEPTH = 2


class Options(NamedTuple):
    min_confidence: Confidence = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()  # npubs or fingerprints
    inline_allow: bool = True  # honour `nsecguard: allow` on the finding's line
    decode_base64: bool = True
    repair_typos: bool = True


DEFAULT_OPTIONS = Options()

# Told the raw span of every hit (the output boundary remembers them: nsecguard.output)
_hit_hook: Callable[[bytes, list[Hit]], None] | None = None


def set_hit_hook(hook: Callable[[bytes, list[Hit]], None] | None) -> None:
    """Register the one function told of every hit found by `find_hits` (None: no one)."""
    global _hit_hook
    _hit_hook = hook


# scrypt costs ~9 ms: an input may make this many (distinct secrets, reported), no more
MAX_SCRYPT_PER_INPUT = 64


class _Fingerprints:
    """Fingerprints of reported secrets that have no public key, for one input: each distinct
    secret costs one scrypt, and at most MAX_SCRYPT_PER_INPUT of them; beyond that (an input
    crafted to cost minutes) a keyed hash, unguessable but stable only within this process."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, bytes], str] = {}

    def of(self, hit: Hit) -> str:
        if hit.secret is None:
            return hit.fingerprint
        known = self._done.get(hit.secret)
        if known is None:
            label, value = hit.secret
            if len(self._done) < MAX_SCRYPT_PER_INPUT:
                known = keys.fingerprint_secret(label, value)
            else:
                known = keys.fingerprint_secret_fast(label, value)
            self._done[hit.secret] = known
        return known


def find_hits(
    data: bytes, known_pubkeys: Iterable[bytes | str] = (), *, options: Options = DEFAULT_OPTIONS
) -> list[Hit]:
    """All secrets in `data`, validated, at any confidence, overlaps resolved."""
    hits = _resolve_overlaps(_scan(Buffer(data, _pubkey_set(known_pubkeys)), options, 0, None))
    if hits and _hit_hook is not None:
        _hit_hook(data, hits)
    return hits


def _pubkey_set(known: Iterable[bytes | str]) -> frozenset[bytes]:
    """Public keys as 32 bytes, 64-hex strings or npubs; anything else is a TypeError."""
    if isinstance(known, str | bytes):
        raise TypeError("known_pubkeys must be a collection of public keys, not one value")
    out: set[bytes] = set()
    for value in known:
        if isinstance(value, bytes | bytearray) and len(value) == 32:
            out.add(bytes(value))
            continue
        if isinstance(value, str):
            if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
                out.add(bytes.fromhex(value))
                continue
            pub = keys.npub_to_pubkey(value.lower()) if value.lower().startswith("npub1") else None
            if pub is not None:
                out.add(pub)
                continue
        raise TypeError("known_pubkeys: each must be 32 bytes, 64 hex digits or an npub")
    return frozenset(out)


def _scan(buf: Buffer, options: Options, depth: int, outer: Outer | None) -> list[Hit]:
    mask = candidates.get_prefilter()(buf.data)
    size = len(buf.data)
    if not mask and size > rules.whole_below():
        return []
    hits: list[Hit] = []
    scan = Scan(buf, options, outer)
    for detector in rules.detectors():
        if mask & candidates.bit(detector) or size <= detector.whole_below:
            hits.extend(detector.find(scan))
    if mask & candidates.BASE64 and options.decode_base64 and depth < MAX_BASE64_DEPTH:
        hits.extend(_base64(buf, options, depth))
    return hits


_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_B64_MARK = bytes(0x42 if i in _B64_ALPHABET else 0x2E for i in range(256))  # "B" or "."
_B64_NEEDLE = b"B" * 76
_B64_LINE = re.compile(rb"\r?\n[ \t]*([A-Za-z0-9+/]{1,76}={0,2})")
_PRINTABLE = bytes(range(32, 127)) + b"\t\n\r"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _b64decode(token: bytes) -> bytes | None:
    import binascii

    token = token.rstrip(b"=")
    try:
        return binascii.a2b_base64(token + b"=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None


def _mostly_printable(data: bytes) -> bool:
    return len(data.translate(None, _PRINTABLE)) <= 0.1 * len(data)


def _base64(buf: Buffer, options: Options, depth: int) -> Iterable[Hit]:
    """Decode plausible base64 tokens and scan inside."""
    for start, end, decoded in _decoded_texts(buf.data):
        inner = Buffer(decoded, buf.pubkeys)
        for hit in _scan(inner, options, depth + 1, Outer(buf, start, end)):
            reason = hit.reason + ", inside base64"
            yield hit._replace(start=start, end=end, encoding="base64", reason=reason)


def _decoded_texts(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, decoded) of each base64 token in `data` that decodes to text. Binary payloads
    (images, archives, a lightning invoice read as base64) are dropped after decoding their
    first bytes, so long blobs cost little."""
    for start, end, token in _b64_tokens(data):
        compact = token.translate(_TO_STANDARD)
        head = _b64decode(compact[:120])
        if head is None or not _mostly_printable(head):
            continue
        decoded = _b64decode(compact)
        if decoded is not None and _mostly_printable(decoded):
            yield start, end, decoded


def holds_base64_text(data: bytes) -> bool:
    """Does `data` hold a base64 token that decodes to text? Where the base64 bit is the only
    secret bit of `candidates.gate(data)`, no means the engine finds nothing in `data` (only
    such a token is decoded and scanned), at the cost of the decoding alone: a zap receipt's
    lightning invoice is a long base64-shaped run."""
    return next(_decoded_texts(data), None) is not None


def _b64_tokens(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Base64 tokens long enough to hold a key: one run of 84+ characters, or a block wrapped
    at 76 columns (as `base64` and MIME write it), joined. Runs are found with C-speed bytes
    methods (a regex here cost more than the rest of a tree scan)."""
    marked = data.translate(_B64_MARK)
    pos = 0
    while (start := marked.find(_B64_NEEDLE, pos)) >= 0:
        end = marked.find(b".", start + len(_B64_NEEDLE))
        end = len(data) if end < 0 else end
        while end < len(data) and data[end] == 0x3D and end - start < 4096:  # "=" padding
            end += 1
        pos = end
        token = data[start:end]
        if len(token.rstrip(b"=")) == 76:
            parts = [token]
            while (line := _B64_LINE.match(data, pos)) is not None:
                parts.append(line.group(1))
                pos = line.end()
                if len(line.group(1)) < 76:
                    break
            token, end = b"".join(parts), pos
        if len(token) >= 84:
            yield start, end, token


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Where hits overlap (a bunker secret that is an nsec), keep the more certain one, and
    let the kept hits cover the whole overlapping stretch between them: nothing of a token
    that holds a key is left outside every hit. Hits rarely overlap: one sweep finds the
    clusters, and only those are decided (in O(n log n), however many hits one holds)."""
    hits = sorted(hits, key=lambda h: h.start)
    out: list[Hit] = []
    cluster: list[Hit] = []
    cluster_start = cluster_end = -1
    for hit in [*hits, None]:
        if hit is not None and hit.start < cluster_end:
            cluster.append(hit)
            cluster_end = max(cluster_end, hit.end)
            continue
        if len(cluster) == 1:
            out.append(cluster[0])
        elif cluster:
            out.extend(_decide(cluster, cluster_start, cluster_end))
        if hit is not None:
            cluster, cluster_start, cluster_end = [hit], hit.start, hit.end
    return out


def _decide(cluster: list[Hit], start: int, end: int) -> list[Hit]:
    """The hits to keep of one cluster, their spans stretched to tile [start, end)."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    ends: list[int] = []
    kept: list[Hit] = []
    for c in sorted(cluster, key=lambda h: (-h.confidence, h.pubkey is None, h.start)):
        i = bisect.bisect_left(starts, c.start)
        if (i > 0 and ends[i - 1] > c.start) or (i < len(starts) and starts[i] < c.end):
            continue
        starts.insert(i, c.start)
        ends.insert(i, c.end)
        kept.insert(i, c)
    # the cluster's union is one unbroken stretch: each kept hit reaches to the next one's start
    bounds = [start, *starts[1:], end]
    return [h._replace(start=bounds[i], end=bounds[i + 1]) for i, h in enumerate(kept)]


def to_findings(
    data: bytes,
    hits: Iterable[Hit],
    *,
    path: str,
    options: Options = DEFAULT_OPTIONS,
    line_offset: int = 0,
    first_column: int = 0,
) -> list[Finding]:
    lines = Lines(data, first_column)
    fingerprints = _Fingerprints()
    out: list[Finding] = []
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.confidence < options.min_confidence:
            continue
        npub = keys.npub(hit.pubkey) if hit.pubkey is not None else None
        fingerprint = fingerprints.of(hit)
        if options.allow and (npub in options.allow or fingerprint in options.allow):
            continue
        if options.inline_allow and lines.allowed(hit.start):
            continue
        line, column = lines.locate(hit.start)
        rule = rules.rule(hit.kind)
        out.append(
            Finding(
                kind=hit.kind,
                confidence=hit.confidence,
                severity=rule.severity,
                path=path,
                line=line + line_offset,
                column=column,
                npub=npub,
                fingerprint=fingerprint,
                message=rule.message(npub),
                reason=hit.reason,
                encoding=hit.encoding,
                repaired=hit.repaired,
                start=hit.start,
                end=hit.end,
                pubkey=hit.pubkey.hex() if hit.pubkey is not None else None,
            )
        )
    return out


def scan_bytes(
    data: bytes,
    *,
    path: str = "-",
    options: Options = DEFAULT_OPTIONS,
    known_pubkeys: Iterable[bytes | str] = (),
) -> list[Finding]:
    """Findings in one buffer. `known_pubkeys` are public keys known to stand near the text
    (an event's author, its `p` tags): a hex value deriving to one of them is proven a key."""
    hits = find_hits(data, known_pubkeys, options=options)
    return to_findings(data, hits, path=path, options=options) if hits else []


def scan_text(
    text: str | bytes,
    *,
    path: str = "-",
    options: Options = DEFAULT_OPTIONS,
    known_pubkeys: Iterable[bytes | str] = (),
) -> list[Finding]:
    """Findings in a text. For a `str`, `start`/`end` are character offsets into it."""
    if isinstance(text, bytes):
        return scan_bytes(text, path=path, options=options, known_pubkeys=known_pubkeys)
    data = text.encode("utf-8", "surrogatepass")
    found = scan_bytes(data, path=path, options=options, known_pubkeys=known_pubkeys)
    if text.isascii() or not found:
        return found
    to_char = CharOffsets(data)
    return [f.moved(start=to_char(f.start), end=to_char(f.end)) for f in found]


def _installed_hook() -> Callable[[bytes, list[Hit]], None] | None:
    from nsecguard import output  # light: the boundary installed before the engine was needed

    return output.hit_hook()


_hit_hook = _installed_hook()
