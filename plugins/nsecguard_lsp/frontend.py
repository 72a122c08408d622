"""`nsecguard lsp`: run the language server on stdin/stdout (what editors start)."""

from __future__ import annotations

import argparse

from nsecguard.frontends import FrontEnd


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default and only transport)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each check to stderr (never a key)")


def run(args: argparse.Namespace) -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        from nsecguard.errors import FatalError

        raise FatalError("the language server needs pygls: pip install 'nsecguard[lsp]'") from None
    import sys
    from typing import BinaryIO, cast

    from nsecguard_lsp import logs
    from nsecguard_lsp.framing import FramedScrubber
    from nsecguard_lsp.server import build

    logs.configure(args.verbose)
    # the protocol goes out frame by frame through the boundary (see framing.py)
    stdout = cast(BinaryIO, sys.__stdout__.buffer if sys.__stdout__ is not None else sys.stdout.buffer)
    build().start_io(sys.stdin.buffer, cast(BinaryIO, FramedScrubber(stdout)))
    return 0


FRONTEND = FrontEnd(
    name="lsp",
    help="language server for editors: flags a pasted key as you type, quick fixes remove it",
    configure=configure,
    run=run,
)
