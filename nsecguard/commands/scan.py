"""`nsecguard scan [PATH ...]`: files, directories (recursively) or `-` for stdin."""

from __future__ import annotations

import argparse
import sys

from nsecguard.config import Config, discover, load_file
from nsecguard.engine import Options
from nsecguard.frontends import FrontEnd
from nsecguard.model import Confidence
from nsecguard.reporters import FORMATS, writer
from nsecguard.result import ScanResult


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .), - for stdin")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--config", metavar="FILE", help="a .nsecguard.toml or pyproject.toml to use")
    parser.add_argument(
        "--min-confidence",
        metavar="LEVEL",
        help="lowest confidence to report: low, medium (default), high, certain",
    )
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="processes to scan with (default: cores)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also say what was skipped, and why")
    parser.add_argument("--no-color", action="store_true", help="plain text output")


def load_config(args: argparse.Namespace, root: str) -> Config:
    return load_file(args.config) if args.config else discover(root)


def options_for(args: argparse.Namespace, cfg: Config) -> Options:
    options = cfg.options()
    if args.min_confidence:
        try:
            level = Confidence.parse(args.min_confidence)
        except ValueError as exc:
            from nsecguard.errors import FatalError

            raise FatalError(str(exc)) from None
        options = Options(min_confidence=level, allow=options.allow)
    return options


def run(args: argparse.Namespace) -> int:
    paths: list[str] = args.paths or ["."]
    cfg = load_config(args, "." if paths == ["-"] else paths[0])
    options = options_for(args, cfg)
    result = ScanResult()
    if "-" in paths:
        from nsecguard.sources.files import scan_stream

        scan_stream(sys.stdin.buffer, "-", options, result)
        paths = [p for p in paths if p != "-"]
    if paths:
        from nsecguard.sources.files import scan_paths

        result.merge(scan_paths(paths, options, exclude=[*cfg.exclude, *args.exclude], jobs=args.jobs))
    result.sort()
    report(result, args)
    return result.exit_code


def report(result: ScanResult, args: argparse.Namespace) -> None:
    """Write the report. Paths and messages are scrubbed: a file may be named after a key."""
    from nsecguard.cli import scrub

    result.errors[:] = [scrub(e) for e in result.errors]
    result.notes[:] = [scrub(n) for n in result.notes]
    result.findings[:] = [f.moved(path=scrub(f.path)) if f.path != "-" else f for f in result.findings]
    for error in result.errors:
        print(f"nsecguard: error: {error}", file=sys.stderr)
    write = writer(args.format)
    kwargs = {"verbose": args.verbose, "color": False if args.no_color else None} if args.format == "text" else {}
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            write(result, out, **kwargs)
    else:
        write(result, sys.stdout, **kwargs)


FRONTEND = FrontEnd(
    name="scan",
    help="scan files, directories or stdin for leaked keys",
    configure=configure,
    run=run,
)
