"""`nsecguard sanitize`: stdin to stdout with every key swapped for its owner's npub mention.

Bytes that are not part of a key pass through unchanged (even invalid UTF-8). Warnings go to
stderr. Exit 1 when a key was replaced, 0 when the text was clean.
"""

from __future__ import annotations

import argparse
import sys

from nsecguard.errors import EXIT_CLEAN, EXIT_FINDINGS
from nsecguard.frontends import FrontEnd
from nsecguard.model import Finding

MAX_TOLD = 1000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no warnings on stderr")


def run(args: argparse.Namespace) -> int:
    from nsecguard.sanitizer import decode_stream, sanitize_stream
    from nsecguard.stream import read_chunks

    findings: list[Finding] = []  # the first MAX_TOLD, for stderr; memory stays bounded
    replaced = 0
    chunks = decode_stream(read_chunks(sys.stdin.buffer, size=1 << 20))
    for safe, found in sanitize_stream(chunks):  # bounded memory, whatever the input's length
        sys.stdout.buffer.write(safe.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
        replaced += len(found)
        findings.extend(found[: max(0, MAX_TOLD - len(findings))])
    if findings and not args.quiet:
        for f in findings:
            owner = f.npub or "a secret with no public key"
            print(f"nsecguard: line {f.line}: replaced a {f.kind} ({owner})", file=sys.stderr)
        if replaced > len(findings):
            print(f"nsecguard: and {replaced - len(findings)} more", file=sys.stderr)
        print(
            "nsecguard: every replaced key is compromised: move its account to a new key.",
            file=sys.stderr,
        )
    return EXIT_FINDINGS if findings else EXIT_CLEAN


FRONTEND = FrontEnd(
    name="sanitize",
    help="copy stdin to stdout with every key replaced by its owner's npub",
    configure=configure,
    run=run,
)
