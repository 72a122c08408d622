"""`python -m nsecguard_xmpp --config FILE`: the same command as `nsecguard xmpp-bot`."""

from __future__ import annotations

import argparse
import sys

from nsecguard.errors import EXIT_ERROR, FatalError
from nsecguard_xmpp.frontend import FRONTEND


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nsecguard_xmpp")
    FRONTEND.configure(parser)
    args = parser.parse_args(argv)
    try:
        return FRONTEND.run(args)
    except FatalError as exc:
        print(f"nsecguard: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
