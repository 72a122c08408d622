"""`nsecguard sanitize`: stdin to stdout with every key swapped for its owner's npub mention.

Bytes that are not part of a key pass through unchanged (even invalid UTF-8). Warnings go to
stderr. Exit 1 when a key was replaced, 0 when the text was clean.
"""

from __future__ import annotations

import argparse
import sys

from nsecguard.errors import EXIT_CLEAN, EXIT_FINDINGS
from nsecguard.frontends import FrontEnd


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no warnings on stderr")


def run(args: argparse.Namespace) -> int:
    from nsecguard.sanitize import sanitize_report

    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    safe, findings = sanitize_report(text)
    sys.stdout.buffer.write(safe.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    if findings and not args.quiet:
        for f in findings:
            owner = f.npub or "a secret with no public key"
            print(f"nsecguard: line {f.line}: replaced a {f.kind} ({owner})", file=sys.stderr)
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
