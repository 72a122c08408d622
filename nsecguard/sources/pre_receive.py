"""A server-side `pre-receive` hook: scan only what a push brings to the server.

git runs the hook in the (bare) repository with one `<old> <new> <ref>` line per updated ref on
stdin, before any ref moves. The pushed objects are already readable by every git command the
hook runs (git points GIT_OBJECT_DIRECTORY / GIT_QUARANTINE_PATH at the quarantine and keeps the
environment for its children), and the refs still show the server's state. So the commits new to
the server are `git log <new>... --not --all`, walked once for all refs together: a force-push,
a new branch from an old commit, a branch and a tag of the same commits, all scan each new commit
once, and a key in a commit the server already has is never reported again. Deletions bring
nothing. An annotated tag brings its commit (if new) and its message, which is scanned too; a
tag of a blob or a tree brings the blob or the tree's files. A pushed object the hook cannot read
is an error: the push is rejected rather than accepted unchecked.

Configuration, first found wins (a bare repository has no work tree to discover it in):
  1. `--config FILE` (the hook script names a server-wide policy);
  2. `nsecguard.toml` in the repository's git directory (the admin's, per repository);
  3. `.nsecguard.toml`, else `pyproject.toml` with [tool.nsecguard], from the tree of the default
     branch (HEAD) as the push leaves it; if HEAD names no branch yet, from the first branch pushed.
A `baseline` named by a config is read from the same place: the git directory, or the same tree.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from nsecguard.config import CONFIG_FILE, Config, load_file
from nsecguard.errors import FatalError
from nsecguard.sources import git
from nsecguard.sources.git import NULL_SHA, Repo

if TYPE_CHECKING:
    from nsecguard.engine import Options
    from nsecguard.result import ScanResult

SERVER_CONFIG = "nsecguard.toml"  # in the repository's git directory


class RefUpdate(NamedTuple):
    old: str
    new: str
    ref: str

    @property
    def deleted(self) -> bool:
        return self.new in NULL_SHA


def parse_updates(lines: Iterable[str]) -> list[RefUpdate]:
    """The `<old> <new> <ref>` lines git writes to a pre-receive hook."""
    out: list[RefUpdate] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or not all(_is_sha(p) for p in parts[:2]) or parts[2].startswith("-"):
            raise FatalError(
                f"pre-receive input line {number} is not `<old-sha> <new-sha> <ref>` "
                "(run this as a git server's pre-receive hook)"
            )
        out.append(RefUpdate(parts[0], parts[1], parts[2]))
    return out


def _is_sha(value: str) -> bool:
    return len(value) in (40, 64) and all(c in "0123456789abcdef" for c in value)


def object_type(repo: Repo, sha: str) -> str:
    proc = git.git(["cat-file", "-t", sha], repo.cwd, check=False)
    return proc.stdout.decode("ascii", "replace").strip() if proc.returncode == 0 else "missing"


def peel(repo: Repo, sha: str) -> tuple[str, str]:
    """(object id, type) of what `sha` finally names once tags are followed."""
    proc = git.git(["rev-parse", "--verify", "-q", f"{sha}^{{}}"], repo.cwd, check=False)
    target = proc.stdout.decode("ascii", "replace").strip() if proc.returncode == 0 else sha
    return target, object_type(repo, target)


def scan_push(
    repo: Repo,
    updates: list[RefUpdate],
    options: Options,
    *,
    exclude: Iterable[str] = (),
) -> ScanResult:
    """Findings in the commits (and tagged blobs) the push brings that the server lacks."""
    from nsecguard.result import ScanResult

    result = ScanResult()
    tips: list[str] = []
    for update in updates:
        if update.deleted:
            result.notes.append(f"{update.ref}: deleted (nothing to scan)")
            continue
        if object_type(repo, update.new) == "tag":
            result.merge(_scan_tag_message(repo, update.new, update.ref, options))
        target, kind = peel(repo, update.new)
        if kind == "commit":
            tips.append(target)
        elif kind == "blob":
            result.merge(_scan_blob(repo, target, update.ref, options))
        elif kind == "tree":
            for blob, path in _tree_blobs(repo, target):
                result.merge(_scan_blob(repo, blob, f"{update.ref}:{path}", options))
        else:  # git gives the hook every pushed object: unreadable means a broken environment
            raise FatalError(
                f"{update.ref}: the pushed object {update.new[:12]} cannot be read (run nsecguard with "
                "the environment git gives the hook: it points at the pushed objects)"
            )
    if tips:
        revs = [*dict.fromkeys(tips), "--not", "--all"]
        result.merge(git.scan_history(repo, options, revs, exclude=list(exclude)))
    if not result.commits and not result.findings:
        result.notes.append("no new commits")
    return result


def _scan_tag_message(repo: Repo, tag: str, ref: str, options: Options) -> ScanResult:
    """An annotated tag's message (what `git show` prints of it): pushed text like any other."""
    import io

    from nsecguard.result import ScanResult
    from nsecguard.sources.files import scan_stream

    result = ScanResult()
    raw = git.git(["cat-file", "tag", tag], repo.cwd, check=False)
    _, _, message = raw.stdout.partition(b"\n\n")
    if raw.returncode == 0 and message.strip():
        scan_stream(io.BytesIO(message), f"{ref} (tag message)", options, result)
    return result


def _tree_blobs(repo: Repo, tree: str) -> list[tuple[str, str]]:
    """(blob id, path) of every file in a tree (a tag may name a tree directly)."""
    out: list[tuple[str, str]] = []
    for entry in git.git(["ls-tree", "-r", "-z", tree], repo.cwd).stdout.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == b"blob":
            out.append((fields[2].decode("ascii"), path.decode("utf-8", "backslashreplace")))
    return out


def _scan_blob(repo: Repo, blob: str, ref: str, options: Options) -> ScanResult:
    from nsecguard.result import ScanResult
    from nsecguard.sources.files import scan_stream

    blobs = git.Blobs(repo.cwd)
    try:
        data = blobs.read(blob)
    finally:
        blobs.close()
    result = ScanResult()
    if data is None:
        result.notes.append(f"{ref}: tagged blob too large, not scanned")
        return result
    import io

    scan_stream(io.BytesIO(data), ref, options, result)
    return result


# -- configuration -----------------------------------------------------------------------


class PushConfig(NamedTuple):
    config: Config
    baseline: frozenset[str] | None  # fingerprints, when a baseline applies


def git_dir(repo: Repo) -> str:
    proc = git.git(["rev-parse", "--absolute-git-dir"], repo.cwd)
    return os.fsdecode(proc.stdout.strip())


def load_config(repo: Repo, updates: list[RefUpdate], config_path: str | None = None) -> PushConfig:
    """The configuration and baseline this push is judged by (see the module's docstring)."""
    if config_path:
        return _from_file(config_path)
    server = os.path.join(git_dir(repo), SERVER_CONFIG)
    if os.path.isfile(server):
        return _from_file(server)
    tree = _policy_commit(repo, updates)
    if tree is None:
        return PushConfig(Config(), None)
    for name in (CONFIG_FILE, "pyproject.toml"):
        data = _read_blob(repo, f"{tree}:{name}")
        if data is None or (name == "pyproject.toml" and not _has_table(data)):
            continue
        cfg = _parse_blob(data, name, f"{tree[:12]}:{name}")
        baseline = None
        if cfg.baseline:
            path = os.path.normpath(cfg.baseline).replace(os.sep, "/")
            raw = _read_blob(repo, f"{tree}:{path}")
            if raw is None:
                raise FatalError(f"{cfg.source}: baseline {cfg.baseline} is not in that commit")
            baseline = _parse_baseline(raw, f"{tree[:12]}:{path}")
        return PushConfig(cfg, baseline)
    return PushConfig(Config(), None)


def _from_file(path: str) -> PushConfig:
    from nsecguard import baseline

    cfg = load_file(path)
    if not cfg.baseline:
        return PushConfig(cfg, None)
    where = cfg.baseline if os.path.isabs(cfg.baseline) else os.path.join(os.path.dirname(path), cfg.baseline)
    return PushConfig(cfg, baseline.load(where))


def _policy_commit(repo: Repo, updates: list[RefUpdate]) -> str | None:
    """The commit whose tree holds the policy: the default branch after the push."""
    head = git.git(["symbolic-ref", "-q", "HEAD"], repo.cwd, check=False).stdout.decode().strip()
    pushed = {u.ref: u for u in updates}
    if head in pushed:
        return None if pushed[head].deleted else _commit_of(repo, pushed[head].new)
    if head:
        current = git.git(["rev-parse", "-q", "--verify", f"{head}^{{commit}}"], repo.cwd, check=False)
        if current.returncode == 0:
            return current.stdout.decode().strip()
    for u in updates:  # a repository without its default branch yet
        if u.ref.startswith("refs/heads/") and not u.deleted:
            return _commit_of(repo, u.new)
    return None


def _commit_of(repo: Repo, sha: str) -> str | None:
    target, kind = peel(repo, sha)
    return target if kind == "commit" else None


def _read_blob(repo: Repo, spec: str) -> bytes | None:
    proc = git.git(["cat-file", "blob", spec], repo.cwd, check=False)
    return proc.stdout if proc.returncode == 0 else None


def _has_table(pyproject: bytes) -> bool:
    import tomllib

    try:
        tool = tomllib.loads(pyproject.decode("utf-8")).get("tool")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # let the parser say what is wrong with it
    return isinstance(tool, dict) and "nsecguard" in tool


def _parse_blob(data: bytes, name: str, shown: str) -> Config:
    """Parse a config file read from a commit, with errors naming it as `<commit>:<path>`."""
    with tempfile.TemporaryDirectory(prefix="nsecguard-") as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            cfg = load_file(path)
        except FatalError as exc:
            raise FatalError(str(exc).replace(path, shown)) from None
    return cfg._replace(source=shown)


def _parse_baseline(data: bytes, shown: str) -> frozenset[str]:
    from nsecguard import baseline

    with tempfile.TemporaryDirectory(prefix="nsecguard-") as tmp:
        path = os.path.join(tmp, "baseline.json")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            return baseline.load(path)
        except FatalError as exc:
            raise FatalError(str(exc).replace(path, shown)) from None
