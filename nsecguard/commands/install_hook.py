"""`nsecguard install-hook`: a plain git hook, for people without the pre-commit framework.

The hook runs the same Python (and so the same nsecguard) that installed it. An existing hook
written by someone else is never overwritten without --force; one this command wrote before
is updated in place.
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys

from nsecguard.errors import FatalError
from nsecguard.frontends import FrontEnd

MARKER = "# nsecguard: installed by `nsecguard install-hook`"
HOOKS = {
    "pre-commit": "scan --staged",
    "pre-push": 'scan --pre-push "$@"',
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hook",
        choices=sorted(HOOKS),
        default="pre-commit",
        help="which hook to write (default: pre-commit, which scans what is staged)",
    )
    parser.add_argument("--force", action="store_true", help="replace a hook that nsecguard did not write")


def script(hook: str, python: str = sys.executable) -> str:
    py = shlex.quote(python)
    return (
        "#!/bin/sh\n"
        f"{MARKER} ({hook})\n"
        "# Blocks a commit or push that adds a Nostr private key. Bypass once: git commit --no-verify\n"
        f"if [ -x {py} ]; then\n"
        f"    exec {py} -m nsecguard {HOOKS[hook]}\n"
        "fi\n"
        f"exec nsecguard {HOOKS[hook]}\n"
    )


def hooks_dir(cwd: str = ".") -> str:
    from nsecguard.sources.git import git, open_repo

    open_repo(cwd)  # a clear error outside a repository
    out = git(["rev-parse", "--git-path", "hooks"], cwd)
    path = os.fsdecode(out.stdout.rstrip(b"\n"))
    return path if os.path.isabs(path) else os.path.join(cwd, path)


def install(hook: str, *, force: bool = False, cwd: str = ".") -> str:
    directory = hooks_dir(cwd)
    target = os.path.join(directory, hook)
    try:
        with open(target, encoding="utf-8", errors="replace") as fh:
            existing = fh.read()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise FatalError(f"{target}: cannot read ({exc.strerror})") from None
    if existing is not None and MARKER not in existing and not force:
        raise FatalError(
            f"{target} already exists and nsecguard did not write it; run it from there, use the pre-commit "
            "framework, or replace it with --force"
        )
    try:
        os.makedirs(directory, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(script(hook))
        mode = os.stat(target).st_mode
        os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)
    except OSError as exc:
        raise FatalError(f"{target}: cannot write ({exc.strerror})") from None
    return target


def run(args: argparse.Namespace) -> int:
    target = install(args.hook, force=args.force)
    print(f"nsecguard: installed {args.hook} hook: {target}")
    return 0


FRONTEND = FrontEnd(
    name="install-hook",
    help="write a plain .git/hooks/pre-commit (or pre-push) hook that runs nsecguard",
    configure=configure,
    run=run,
)
