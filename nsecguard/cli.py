"""`nsecguard <command>`: parses arguments, dispatches to a front-end, maps errors to exit codes.

Never prints a traceback: expected errors print their message, unexpected ones their type and a
scrubbed message (any key in it replaced by its npub), and both exit with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from nsecguard import __version__
from nsecguard.errors import EXIT_ERROR, FatalError


def scrub(text: str) -> str:
    """`text` safe to print (an alias of `nsecguard.output.scrub`, kept for front-ends)."""
    from nsecguard.output import scrub as _scrub

    return _scrub(text)


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it, without importing shutil
    (and with it bz2, lzma, fnmatch): argparse builds a formatter for every option it adds."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def scrub_all(texts: list[str]) -> list[str]:
    """`scrub` over many short texts in one pass (an alias of `nsecguard.output.scrub_all`)."""
    from nsecguard.output import scrub_all as _scrub_all

    return _scrub_all(texts)


class _Formatter(argparse.HelpFormatter):
    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class Parser(argparse.ArgumentParser):
    """argparse echoes unknown arguments in its errors; a pasted key must not come back out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {scrub(message)}\n")


def _top_parser() -> Parser:
    parser = Parser(
        prog="nsecguard",
        description="Find leaked Nostr private keys and name them by their owner's npub.",
        epilog="Exit codes: 0 nothing found, 1 secrets found, 2 error. "
        "`nsecguard COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"nsecguard {__version__}")
    return parser


def _broken_frontend(name: str, exc: Exception) -> None:
    from nsecguard.output import quote

    hint = missing_extra(exc) if isinstance(exc, ImportError) else None
    why = hint or f"{type(exc).__name__}: {scrub(str(exc))}"
    print(f"nsecguard: the front-end {quote(name)} could not be loaded ({why})", file=sys.stderr)


def _print_help() -> int:
    from nsecguard import frontends

    parser = _top_parser()
    parser.print_help()
    print("\ncommands:")
    for fe in frontends.load_all(on_error=_broken_frontend):
        print(f"  {fe.name:<16}{fe.help}")
    return 0


# optional dependencies, by the import name a missing one fails with, and the extra providing it
EXTRAS = {
    "nio": "matrix",
    "aiohttp": "matrix",
    "synapse": "synapse",
    "detect_secrets": "detect-secrets",
    "dask": "scale",
    "orjson": "relay",
}


def missing_extra(exc: ImportError) -> str | None:
    """What to install for a missing optional dependency, or None when it is not one."""
    name = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(name)
    if extra is None:
        return None
    return f"this command needs the optional dependency `{name}`: pip install 'nsecguard[{extra}]'"


class _ClosedInput:
    """Stands for stdin when it is closed (`<&-`): reading it is a clear error, not a crash."""

    buffer: _ClosedInput

    def __init__(self) -> None:
        self.buffer = self

    def isatty(self) -> bool:
        return False

    def read(self, *_args: object) -> str:
        raise FatalError("standard input is closed (nothing to read)")

    readline = read

    def fileno(self) -> int:
        raise FatalError("standard input is closed (nothing to read)")


def _os_error(exc: OSError) -> str:
    return f"cannot write the output ({exc.strerror or type(exc).__name__})"


def _say(text: str) -> None:
    """An error line on stderr, even when stderr itself is broken (then it is lost, not a crash)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from nsecguard import output

    args = list(sys.argv[1:] if argv is None else argv)
    saved = sys.stdin, sys.stdout, sys.stderr
    output.install(args)
    if sys.stdin is None:
        sys.stdin = _ClosedInput()
    try:
        if sys.stdout is None:
            raise FatalError("standard output is closed: there is nowhere to write the report")
        code = _dispatch(args)
        sys.stdout.flush()
        return code
    except FatalError as exc:
        _say(f"nsecguard: error: {output.scrub(str(exc))}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("nsecguard: interrupted")
        return EXIT_ERROR
    except BrokenPipeError:
        # the reader went away (`| head`): nothing more to say, and stdout is unusable
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        return EXIT_ERROR
    except ImportError as exc:
        hint = missing_extra(exc)
        if hint is None:
            return _internal(exc)
        _say(f"nsecguard: error: {hint}")
        return EXIT_ERROR
    except OSError as exc:  # stdout on a full disk, a closed descriptor
        _discard_pending()
        _say(f"nsecguard: error: {_os_error(exc)}")
        return EXIT_ERROR
    except RecursionError:
        _say("nsecguard: error: the input is nested too deeply to read")
        return EXIT_ERROR
    except Exception as exc:  # never a traceback: it could show a key from a local variable
        return _internal(exc)
    finally:
        _finish(saved)


def _internal(exc: BaseException) -> int:
    from nsecguard.output import scrub

    _say(
        f"nsecguard: internal error ({type(exc).__name__}): {scrub(str(exc))}\n"
        "This is a bug in nsecguard; please report it with the command you ran."
    )
    return EXIT_ERROR


def _discard_pending() -> None:
    """After a failed write to stdout, drop what is held (writing it again would fail again)."""
    from nsecguard.output import ScrubbingText

    if isinstance(sys.stdout, ScrubbingText):
        sys.stdout.discard()


def _finish(saved: tuple[Any, Any, Any]) -> None:
    from nsecguard import output

    with contextlib.suppress(OSError):
        output.uninstall()
    sys.stdin, sys.stdout, sys.stderr = saved


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        return _print_help()
    if args[0] == "--version":
        print(f"nsecguard {__version__}")
        return 0
    from nsecguard import frontends

    name = args[0]
    from nsecguard.output import quote

    try:
        fe = frontends.load(name)
    except ImportError as exc:
        hint = missing_extra(exc)
        if hint is not None:
            raise FatalError(f"{quote(name)}: {hint}") from None
        raise FatalError(
            f"the front-end {quote(name)} could not be loaded ({type(exc).__name__}: {scrub(str(exc))})"
        ) from None
    except Exception as exc:  # a broken plug-in: say which, never a traceback
        raise FatalError(
            f"the front-end {quote(name)} could not be loaded ({type(exc).__name__}: {scrub(str(exc))})"
        ) from None
    if fe is None:
        known = ", ".join(f.name for f in frontends.load_all(on_error=_broken_frontend))
        raise FatalError(f"unknown command {quote(name)} (commands: {known})")
    parser = Parser(prog=f"nsecguard {fe.name}", description=fe.help)
    fe.configure(parser)
    ns = parser.parse_args(args[1:])
    return fe.run(ns)


if __name__ == "__main__":
    raise SystemExit(main())
