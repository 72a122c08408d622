"""Text in, safe text out: every detected key swapped for its owner's `nostr:npub1...` mention.

Everything that is not a key stays byte-identical. A secret with no public key (an ncryptsec,
a bunker token) becomes a placeholder. For chat front-ends, which repost what people wrote.
"""

from __future__ import annotations

from typing import NamedTuple

from nsecguard.engine import DEFAULT_OPTIONS, Options, scan_text
from nsecguard.model import Finding, Kind

PLACEHOLDER = {
    Kind.NCRYPTSEC: "[encrypted key removed]",
    Kind.BUNKER: "[secret removed]",
    Kind.NOSTRCONNECT: "[secret removed]",
    Kind.NWC: "[secret removed]",
}
_ABSORBED_PREFIXES = ("nostr:", "@")


class Sanitized(NamedTuple):
    text: str
    findings: list[Finding]


def replacement_for(finding: Finding) -> str:
    if finding.npub is not None:
        return f"nostr:{finding.npub}"
    return PLACEHOLDER.get(finding.kind, "[secret removed]")


def sanitize_report(text: str, *, options: Options = DEFAULT_OPTIONS) -> Sanitized:
    """The safe text, and the findings that were replaced (without inline allow or allowlist:
    a chat message never gets to keep a key)."""
    options = Options(
        min_confidence=options.min_confidence,
        decode_base64=options.decode_base64,
        repair_typos=options.repair_typos,
        inline_allow=False,
    )
    findings = scan_text(text, path="-", options=options)
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        start = f.start
        if f.kind in (Kind.NSEC, Kind.HEX):
            for prefix in _ABSORBED_PREFIXES:
                if text[max(0, start - len(prefix)) : start].lower() == prefix:
                    start -= len(prefix)
                    break
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement_for(f))
        pos = f.end
    out.append(text[pos:])
    return Sanitized("".join(out), findings)


def sanitize(text: str, *, options: Options = DEFAULT_OPTIONS) -> str:
    """`text` with every detected key replaced by `nostr:npub1...` of its owner."""
    return sanitize_report(text, options=options).text
