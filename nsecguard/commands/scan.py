"""`nsecguard scan [PATH ...]`: files, directories (recursively) or `-` for stdin; with
`--staged`, `--history [RANGE]`, `--pre-commit` or `--pre-push`, a git repository; with
`--pre-receive`, what a push brings to a git server."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from nsecguard.config import Config, discover, load_file
from nsecguard.engine import Options
from nsecguard.errors import FatalError
from nsecguard.frontends import FrontEnd
from nsecguard.model import Confidence, Finding
from nsecguard.reporters import FORMATS, writer
from nsecguard.result import ScanResult

if TYPE_CHECKING:
    from nsecguard.sources.git import Repo

HOOK_ADVICE = (
    "Commit blocked: the staged changes add a secret key. What to do:\n"
    "  1. Remove the key from the file and `git add` it again (keep keys in an environment variable or a\n"
    "     secrets manager, not in the repository).\n"
    "  2. If this key was ever pushed, published or shared, rotate it: move the account to a new key\n"
    "     (a leaked Nostr key cannot be revoked).\n"
    '  3. A public test vector? Allow it by npub: allow = ["npub1..."] under [tool.nsecguard] in\n'
    "     pyproject.toml (or .nsecguard.toml), or put `nsecguard: allow` in a comment on its line."
)
PUSH_ADVICE = (
    "Push blocked: these commits add a secret key. What to do:\n"
    "  1. Rewrite the unpushed commits without it (`git rebase -i`; `git commit --amend` for the last).\n"
    "  2. If this key was ever pushed, published or shared, rotate it: move the account to a new key.\n"
    '  3. A public test vector? Allow it by npub: allow = ["npub1..."] under [tool.nsecguard], or put\n'
    "     `nsecguard: allow` in a comment on its line."
)
RECEIVE_ADVICE = (
    "Push rejected: these commits add a secret key. What to do:\n"
    "  1. Rewrite your commits without it (`git rebase -i`, or `git filter-repo` for older ones), then push\n"
    "     again: the server kept nothing of this push.\n"
    "  2. If this key was ever published or shared anywhere else, rotate it: move the account to a new key.\n"
    '  3. A public test vector? Allow it by npub: allow = ["npub1..."] under [tool.nsecguard] in the\n'
    "     default branch's pyproject.toml (or .nsecguard.toml), or put `nsecguard: allow` in a comment\n"
    "     on its line."
)

FILES_ADVICE = (
    "Blocked: a file checked whole (nothing of it is staged) holds a secret key. What to do:\n"
    "  1. Remove the key from the file (keep keys in an environment variable or a secrets manager,\n"
    "     not in the repository).\n"
    "  2. If this key was ever pushed, published or shared, rotate it: move the account to a new key\n"
    "     (a leaked Nostr key cannot be revoked).\n"
    '  3. A public test vector? Allow it by npub: allow = ["npub1..."] under [tool.nsecguard] in\n'
    "     pyproject.toml (or .nsecguard.toml), or put `nsecguard: allow` in a comment on its line."
)

HISTORY_ADVICE = (
    "What to do: a key in a commit stays in the history after a later commit deletes it. If the history\n"
    "was ever pushed or shared, treat the key as leaked: move the account to a new key (a Nostr key cannot\n"
    "be revoked); rewriting history (git filter-repo) only helps before anyone else has a copy.\n"
    'A public test vector? Allow it by npub: allow = ["npub1..."] under [tool.nsecguard].\n'
    "Already known and dealt with? Record it: --write-baseline FILE, then scan with --baseline FILE."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: .), - for stdin"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--config", metavar="FILE", help="a .nsecguard.toml or pyproject.toml to use")
    parser.add_argument(
        "--min-confidence",
        metavar="LEVEL",
        help="lowest confidence to report: low, medium (default), high, certain",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip matching paths (gitignore syntax)",
    )
    parser.add_argument(
        "--no-ignore",
        action="store_true",
        help="also scan what .gitignore, .ignore, .git/info/exclude and git's global excludes ignore",
    )
    parser.add_argument(
        "--fail-on-ignored",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="exit 1 on findings in ignored files scanned for their names (.env*, *.pem, ...; config "
        "`scan-ignored`); --no-fail-on-ignored still reports them but exits 0 for them "
        "(default: config `fail-on-ignored`, true)",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="processes to scan with (default: cores)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also say what was skipped, and why")
    parser.add_argument("--no-color", action="store_true", help="plain text output")
    git = parser.add_argument_group("git (run inside a repository)")
    mode = git.add_mutually_exclusive_group()
    mode.add_argument(
        "--staged",
        action="store_true",
        help="scan what is staged (the index): findings on added lines, the whole staged file as context; "
        "PATHs limit it",
    )
    mode.add_argument(
        "--history",
        nargs="?",
        const="",
        default=None,
        metavar="REV-RANGE",
        help="scan the lines every commit added (all refs, or REV-RANGE such as main..feature)",
    )
    mode.add_argument(
        "--pre-commit",
        action="store_true",
        help="hook mode: like --staged, and a named file with nothing staged is scanned whole "
        "(`pre-commit run --all-files`)",
    )
    mode.add_argument(
        "--pre-push",
        action="store_true",
        help="scan the commits being pushed (from pre-commit's environment, or a git pre-push hook's "
        "stdin; PATHs are then the hook's <remote> <url>)",
    )
    mode.add_argument(
        "--pre-receive",
        action="store_true",
        help="server hook mode: read `<old> <new> <ref>` lines on stdin (a git server's pre-receive "
        "hook) and scan only the commits new to the server; exit 1 rejects the push",
    )
    git.add_argument("--no-progress", action="store_true", help="no progress line, even on a terminal")
    base = parser.add_argument_group("baseline")
    base.add_argument(
        "--baseline",
        metavar="FILE",
        help="report only keys not in FILE (default: `baseline` from the config, if set)",
    )
    base.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record every key found in FILE (by fingerprint; sorted, no timestamps) and exit 0",
    )


def load_config(args: argparse.Namespace, root: str) -> Config:
    return load_file(args.config) if args.config else discover(root)


def options_for(args: argparse.Namespace, cfg: Config) -> Options:
    options = cfg.options()
    if args.min_confidence:
        try:
            level = Confidence.parse(args.min_confidence)
        except ValueError:
            from nsecguard.output import quote

            choices = ", ".join(str(c) for c in Confidence)
            raise FatalError(
                f"--min-confidence: unknown confidence {quote(args.min_confidence)} (choose from {choices})"
            ) from None
        options = Options(min_confidence=level, allow=options.allow)
    return options


def _git_mode(args: argparse.Namespace) -> bool:
    return bool(args.staged or args.pre_commit or args.pre_push or args.history is not None)


def run(args: argparse.Namespace) -> int:
    from nsecguard import output

    output.set_mask_hex(True)  # a scan's output holds no bare 64-hex value it has not derived
    if args.jobs is not None and args.jobs < 1:
        raise FatalError("-j/--jobs must be 1 or more")
    if getattr(args, "pre_receive", False):
        result = _scan_pre_receive(args)
        result.sort()
        report(result, args)
        return result.exit_code
    if _git_mode(args):
        from nsecguard.sources.git import open_repo

        repo = open_repo(".")
        cfg = load_config(args, repo.top or ".")
        result = _scan_git(args, repo, cfg, options_for(args, cfg))
    else:
        paths: list[str] = args.paths or ["."]
        cfg = load_config(args, "." if paths == ["-"] else paths[0])
        result = _scan_files(args, paths, cfg, options_for(args, cfg))
    _baseline(args, cfg, result)
    result.sort()
    report(result, args)
    return _exit_code(args, cfg, result)


def _exit_code(args: argparse.Namespace, cfg: Config, result: ScanResult) -> int:
    """Findings in ignored files fail the scan unless `--no-fail-on-ignored` (or the config's
    `fail-on-ignored = false`) says a gate accepts them (they are reported all the same)."""
    fail = cfg.fail_on_ignored if args.fail_on_ignored is None else args.fail_on_ignored
    if fail or not result.findings:
        return result.exit_code
    from nsecguard.paths import is_ignored

    if all(is_ignored(f) for f in result.findings):
        return ScanResult(errors=result.errors).exit_code
    return result.exit_code


def _scan_files(args: argparse.Namespace, paths: list[str], cfg: Config, options: Options) -> ScanResult:
    result = ScanResult()
    if "-" in paths:
        from nsecguard.sources.files import scan_stream

        scan_stream(sys.stdin.buffer, "-", options, result)
        paths = [p for p in paths if p != "-"]
    if paths:
        from nsecguard.paths import DEFAULT_SCAN_IGNORED, WalkRules, unmark_tracked
        from nsecguard.sources.files import scan_paths

        rules = WalkRules(
            exclude=(*cfg.exclude, *args.exclude),
            scan_ignored=DEFAULT_SCAN_IGNORED if cfg.scan_ignored is None else cfg.scan_ignored,
            use_ignore_files=not args.no_ignore,
        )
        from nsecguard import crossproof

        crossproof.start()
        try:
            found = scan_paths(paths, options, jobs=args.jobs, rules=rules)
        finally:
            crossproof.stop()
        crossproof.prove(found, crossproof.rescan_file(options))
        result.merge(found)
        unmark_tracked(result)
    return result


def _scan_git(args: argparse.Namespace, repo: Repo, cfg: Config, options: Options) -> ScanResult:
    from nsecguard.sources import git

    exclude = [*cfg.exclude, *args.exclude]
    if args.staged or args.pre_commit:
        if "-" in args.paths:
            raise FatalError("--staged reads the index: `-` (stdin) cannot be combined with it")
        return git.scan_staged(
            repo, options, paths=args.paths, whole_if_unstaged=args.pre_commit, exclude=exclude
        )
    if args.history is not None:
        if args.paths:
            raise FatalError("--history takes a revision range, not paths (try: --history main..feature)")
        ranges = [git.history_revs(args.history)]
    else:
        ranges = _pushed_ranges(args, repo)
    result = ScanResult()
    progress = _Progress() if _show_progress(args) else None
    try:
        for revs in ranges:
            result.merge(
                git.scan_history(repo, options, revs, exclude=exclude, progress=progress, jobs=args.jobs)
            )
    finally:
        if progress:
            progress.close()
    if not ranges:
        result.notes.append("nothing to push")
    return result


def _scan_pre_receive(args: argparse.Namespace) -> ScanResult:
    """A git server's pre-receive hook. Any error rejects the push (exit 2): a gate fails closed."""
    from nsecguard.sources import pre_receive
    from nsecguard.sources.git import open_repo

    try:
        if args.paths:
            raise FatalError("--pre-receive reads `<old> <new> <ref>` lines on stdin, not paths")
        if args.write_baseline:
            raise FatalError("--write-baseline does not go with --pre-receive (write it with --history)")
        if sys.stdin is None or sys.stdin.isatty():
            raise FatalError("--pre-receive is a git server hook: it reads `<old> <new> <ref>` on stdin")
        repo = open_repo(".")
        updates = pre_receive.parse_updates(sys.stdin.read().splitlines())
        policy = pre_receive.load_config(repo, updates, args.config)
        options = options_for(args, policy.config)
        exclude = [*policy.config.exclude, *args.exclude]
        result = pre_receive.scan_push(repo, updates, options, exclude=exclude)
        known = policy.baseline
        if args.baseline:
            from nsecguard import baseline

            known = baseline.load(args.baseline)
        if known is not None:
            from nsecguard import baseline

            baseline.apply(result, known)
    except FatalError as exc:
        raise FatalError(f"{exc}; push rejected (the check fails closed: ask the server's admin)") from None
    return result


def _pushed_ranges(args: argparse.Namespace, repo: Repo) -> list[list[str]]:
    from nsecguard.sources import git

    revs = git.parse_revs_from_env(os.environ)
    if revs is not None:
        return [revs]
    if sys.stdin is None or sys.stdin.isatty():
        raise FatalError(
            "--pre-push scans what a push sends: run it from a pre-push hook (pre-commit's "
            "`nsecguard-pre-push` hook, or `.git/hooks/pre-push`), or use --history RANGE"
        )
    remote = args.paths[0] if args.paths else None

    def exists(sha: str) -> bool:
        return git.git(["cat-file", "-e", f"{sha}^{{commit}}"], repo.cwd, check=False).returncode == 0

    return git.revs_from_push_lines(sys.stdin.read().splitlines(), remote, exists)


def _show_progress(args: argparse.Namespace) -> bool:
    """Only for a person watching: stderr a terminal, and the report not piped away."""
    if args.no_progress or not sys.stderr.isatty():
        return False
    return bool(args.output) or sys.stdout.isatty()


class _Progress:
    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        of = f"/{total}" if total else ""
        sys.stderr.write(f"\rnsecguard: scanning history: {done}{of} commits")
        sys.stderr.flush()

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _baseline(args: argparse.Namespace, cfg: Config, result: ScanResult) -> None:
    if not (args.write_baseline or args.baseline or cfg.baseline):
        return  # the common case: no baseline, and no import of its module
    from nsecguard import baseline

    if args.write_baseline:
        from nsecguard.output import shown as _shown

        changed = baseline.write(args.write_baseline, result.findings)
        keys = len({f.fingerprint for f in result.findings})
        state = "wrote" if changed else "unchanged:"
        print(
            f"nsecguard: {state} {_shown(args.write_baseline)} ({keys} known key{'s' if keys != 1 else ''})",
            file=sys.stderr,
        )
        baseline.apply(result, frozenset(f.fingerprint for f in result.findings))
        return
    path = args.baseline
    if path is None and cfg.baseline:
        path = cfg.baseline
        if cfg.source and not os.path.isabs(path):
            path = os.path.join(os.path.dirname(cfg.source), path)
    if path:
        baseline.apply(result, baseline.load(path))


def report(result: ScanResult, args: argparse.Namespace) -> None:
    """Write the report. Paths, messages and commit authors are scrubbed (a file may be named
    after a key), and names made printable (control characters and non-UTF-8 bytes escaped)."""
    from nsecguard import output

    for secret in result.secrets:  # what the scanning processes saw
        output.remember(secret)
    result.secrets.clear()
    for f in result.findings:  # public keys the engine derived (maybe in another process)
        if f.pubkey:
            output.public(f.pubkey)
    result.errors[:] = [output.printable_path(t) for t in output.scrub_all(result.errors, mask_hex=True)]
    result.notes[:] = [output.printable_path(t) for t in output.scrub_all(result.notes, mask_hex=True)]
    result.warnings[:] = [output.printable_path(t) for t in output.scrub_all(result.warnings, mask_hex=True)]
    paths = output.scrub_all([f.path for f in result.findings], mask_hex=True)
    # SARIF percent-encodes a path's own bytes into its URI; other formats escape them
    shown = (lambda p: p) if args.format == "sarif" else output.printable_path
    result.findings[:] = [
        f.moved(path=shown(p)) if f.path != "-" else f for f, p in zip(result.findings, paths, strict=True)
    ]
    if any(f.extra for f in result.findings):
        result.findings[:] = [_scrub_extra(f) for f in result.findings]
    for warning in result.warnings:
        print(f"nsecguard: warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"nsecguard: error: {error}", file=sys.stderr)
    write = writer(args.format)
    kwargs: dict[str, object] = {}
    if args.format == "text":
        kwargs = {"verbose": args.verbose, "color": False if args.no_color else None}
        if getattr(args, "pre_commit", False) or getattr(args, "staged", False):
            whole = set(result.unstaged)
            staged = any(f.path not in whole for f in result.findings)
            kwargs["advice"] = HOOK_ADVICE if staged or not whole else FILES_ADVICE
        elif getattr(args, "pre_push", False):
            kwargs["advice"] = PUSH_ADVICE
        elif getattr(args, "pre_receive", False):
            kwargs["advice"] = RECEIVE_ADVICE
        elif getattr(args, "history", None) is not None:
            kwargs["advice"] = HISTORY_ADVICE
    if args.output:
        with output.open_report(args.output) as out:
            write(result, out, **kwargs)
    else:
        write(result, sys.stdout, **kwargs)


def _scrub_extra(f: Finding) -> Finding:
    from nsecguard import output

    if not f.extra:
        return f
    names = [k for k, _ in f.extra]
    values = output.scrub_all([output.printable_path(v) for _, v in f.extra], mask_hex=True)
    return f.moved(extra=tuple(zip(names, values, strict=True)))


FRONTEND = FrontEnd(
    name="scan",
    help="scan files, directories, stdin, staged changes or git history for leaked keys",
    configure=configure,
    run=run,
)
