"""Text for people: where, what, whose, and what to do."""

from __future__ import annotations

import os
from typing import TextIO

from nsecguard import rules
from nsecguard.model import Finding
from nsecguard.output import escape_controls
from nsecguard.result import ScanResult

ADVICE = (
    "What to do: remove each key from the file and from anything that copied it, and move the\n"
    "account to a new key: a leaked private key is compromised for good (it cannot be revoked).\n"
    'A public test vector? Allow it by npub: allow = ["npub1..."] in [tool.nsecguard], or\n'
    "put `nsecguard: allow` in a comment on its line."
)


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def format_finding(f: Finding, style: _Style) -> str:
    where = f"{escape_controls(f.path)}:{f.line}:{f.column}"
    owner = f.npub or "(no public key)"
    head = f"{style('1', where)}: {style('31;1', str(f.kind))} {owner}"
    details = [f"  {f.message}", f"  confidence {f.confidence}: {f.reason}; fingerprint {f.fingerprint}"]
    extra = dict(f.extra)
    if "commit" in extra:
        details.append(
            f"  commit {extra['commit'][:12]} by {extra.get('author', '?')} on {extra.get('date', '?')}"
        )
        later = int(extra.get("commits", "1")) - 1
        if later > 0:
            details.append(f"  added again in {later} later commit{'s' if later != 1 else ''}")
    return "\n".join([head, *details])


def write(
    result: ScanResult,
    stream: TextIO,
    *,
    verbose: bool = False,
    color: bool | None = None,
    advice: str | None = None,
) -> None:
    """`advice` replaces the general what-to-do text (the hooks say what to do about a commit)."""
    style = _Style(use_color(stream) if color is None else color)
    for f in result.findings:
        stream.write(format_finding(f, style) + "\n")
    if verbose:
        for note in result.notes:
            stream.write(f"note: {note}\n")
    n = len(result.findings)
    files = len({f.path for f in result.findings})
    scanned = f"{result.scanned} file{'s' if result.scanned != 1 else ''} scanned"
    if result.commits:
        scanned = (
            f"{result.commits} commit{'s' if result.commits != 1 else ''}, {result.scanned} file change"
            + ("s scanned" if result.scanned != 1 else " scanned")
        )
    if n:
        kinds = sorted({str(f.kind) for f in result.findings})
        stream.write(
            "\n"
            + style("31;1", f"{n} leaked secret{'s' if n != 1 else ''}")
            + f" in {files} file{'s' if files != 1 else ''} ({', '.join(kinds)}; {scanned}).\n"
        )
        if advice:
            stream.write(advice + "\n")
        elif any(f.kind in rules.key_kinds() for f in result.findings):
            stream.write(ADVICE + "\n")
    elif result.errors:  # an incomplete scan must not sound like a clean one
        errors = len(result.errors)
        stream.write(
            f"Scan incomplete: {errors} error{'s' if errors != 1 else ''} (above); "
            f"nothing found in what could be read ({scanned}).\n"
        )
    else:
        stream.write(f"No leaked Nostr keys ({scanned}).\n")
    if result.suppressed:
        stream.write(f"{result.suppressed} known finding(s) suppressed by the baseline.\n")
