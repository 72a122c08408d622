"""`python -m nsecguard_matrix bot --config FILE` / `python -m nsecguard_matrix demo`:
the same commands as `nsecguard matrix-bot` and `nsecguard matrix-demo`."""

from __future__ import annotations

import argparse
import sys

from nsecguard.errors import EXIT_ERROR, FatalError
from nsecguard_matrix.frontend import DEMO, FRONTEND


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nsecguard_matrix")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {"bot": FRONTEND, "demo": DEMO}
    for name, frontend in commands.items():
        frontend.configure(sub.add_parser(name, help=frontend.help))
    args = parser.parse_args(argv)
    try:
        return commands[args.command].run(args)
    except FatalError as exc:
        print(f"nsecguard: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
