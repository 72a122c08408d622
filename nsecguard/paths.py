"""One gitignore-style path filter for every source: `exclude` settings and ignore files.

Patterns follow gitignore's rules (`pathspec.GitIgnoreSpec`): a pattern without a slash matches a
name at any depth (`node_modules`, `*.min.js`), one with a slash is anchored to its base (the scan
root or repository root for `exclude`, the directory of an ignore file), `dir/` matches only
directories, `**` crosses directories, `!` re-includes. A path inside a matched directory is
matched too, so a git source (which sees file paths only) and a directory walk (which prunes
directories) agree.

Directory scans inside a git work tree also honour ignore files the way ripgrep does: nested
`.gitignore` files, `.git/info/exclude` and git's global excludes file; `.ignore` files everywhere,
ahead of `.gitignore` in the same directory. The deepest file with a matching pattern decides;
within a file, the last matching pattern. Ignored files whose names say they hold secrets
(`scan-ignored`, by default `.env*`, `*.pem`, `*.key`, `secrets.*`) are still scanned, and their
findings are marked `ignored` ("ignored by git: not committed").

`pathspec` is imported when the first pattern is compiled, never at start-up: a commit hook with
no `exclude` setting does not load it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

    from nsecguard.model import Finding
    from nsecguard.result import ScanResult

IGNORE_FILES = (".ignore", ".gitignore")  # in a directory, the first one listed wins
_IGNORE_NAMES = frozenset(IGNORE_FILES)
DEFAULT_SCAN_IGNORED = (".env*", "*.pem", "*.key", "secrets.*")
IGNORED_FIELD = "ignored"
IGNORED_WORDS = "ignored by git: not committed"
_SIMPLE_MAX = 8  # patterns; see Rules.spec


class Rules:
    """The patterns of one source (an ignore file, or the `exclude` setting), compiled once.

    `base`: the directory they are relative to, as a path relative to the walk's top ("" for
    the top itself). `label`: how `-v` names the source (`.gitignore`, `config exclude`)."""

    def __init__(self, lines: Iterable[str], label: str, base: str = "") -> None:
        self.label = label
        self.base = base
        self._lines: list[tuple[int, str]] = []
        for number, raw in enumerate(lines, 1):
            line = raw.rstrip("\r\n")
            if line.strip() and not line.startswith("#"):
                self._lines.append((number, line))
        self._spec: GitIgnoreSpec | None = None

    def __bool__(self) -> bool:
        return bool(self._lines)

    @property
    def spec(self) -> GitIgnoreSpec:
        if self._spec is None:
            from pathspec import GitIgnoreSpec

            # pathspec's Hyperscan backend checks a path in ~1.6 us whatever the number of patterns
            # but takes ~10 ms to compile; its plain backend compiles at once and costs about
            # 0.5 us a pattern: the better of the two for a file of a few patterns
            backend = "simple" if len(self._lines) < _SIMPLE_MAX else None
            self._spec = GitIgnoreSpec.from_lines([line for _, line in self._lines], backend=backend)
        return self._spec

    def check(self, rel: str, is_dir: bool = False) -> tuple[bool, str] | None:
        """(ignored?, why) by the last pattern matching `rel` (relative to the top), or None
        when no pattern speaks about it."""
        if not self._lines:
            return None
        if self.base:
            if not rel.startswith(self.base + "/"):
                return None
            rel = rel[len(self.base) + 1 :]
        found = self.spec.check_file(rel + "/" if is_dir else rel)
        if found.include is None or found.index is None:
            return None
        number, pattern = self._lines[found.index]
        where = self.label if self.label.startswith("config") else f"{self.label}:{number}"
        return found.include, f"{where} ({pattern})"

    def why(self, rel: str, is_dir: bool = False) -> str | None:
        """Why `rel` is matched (for `exclude`: why it is excluded), or None."""
        found = self.check(rel, is_dir)
        return found[1] if found and found[0] else None


def exclude_rules(patterns: Sequence[str]) -> Rules:
    """The `exclude` setting and `--exclude` flags. Unlike gitignore, a leading or trailing
    blank is not part of a pattern (they come from TOML strings and command lines)."""
    return Rules((p.strip() for p in patterns), "config exclude")


def read_rules(path: str, label: str, base: str) -> Rules | None:
    """The patterns of an ignore file, or None when it cannot be read (a missing global file)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return Rules(fh.read().splitlines(), label, base)
    except OSError:
        return None


class Layer(NamedTuple):
    """An ignore file in a chain: where it is and what it covers (picklable, for workers)."""

    path: str
    label: str
    base: str


_CACHE: dict[str, Rules | None] = {}  # per walk: `root_chain` empties it, so edits are seen


def _rules(layer: Layer) -> Rules | None:
    if layer.path not in _CACHE:
        _CACHE[layer.path] = read_rules(layer.path, layer.label, layer.base)
    return _CACHE[layer.path]


class Chain(NamedTuple):
    """The ignore files that apply in one directory of a walk, outermost first. `root`: the walk
    root on disk; `prefix`: the root relative to the work tree's top ("" when it is the top);
    `git`: inside a work tree (else only `.ignore` files count); `rescued`: inside an ignored
    directory that `scan-ignored` names (everything in it is scanned, and marked), why it is
    ignored."""

    root: str
    prefix: str
    layers: tuple[Layer, ...]
    git: bool = True
    rescued: str | None = None

    def top_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix and rel else (rel or self.prefix)

    def check(self, rel: str, is_dir: bool) -> tuple[bool, str] | None:
        """(ignored?, why) for `rel` (relative to the walk root) by the innermost ignore file
        with a matching pattern."""
        path = self.top_rel(rel)
        for layer in reversed(self.layers):
            rules = _rules(layer)
            found = rules.check(path, is_dir) if rules else None
            if found is not None:
                return found
        return None

    def entered(self, rel_dir: str, names: Iterable[str]) -> Chain:
        """The chain inside `rel_dir` (relative to the walk root), whose entries are `names`:
        with its own ignore files added."""
        present = [name for name in names if name in _IGNORE_NAMES]
        if not present:
            return self
        base = self.top_rel(rel_dir)
        added = []
        for name in reversed(IGNORE_FILES) if self.git else (".ignore",):  # .ignore wins: last
            if name in present:
                fs_dir = os.path.join(self.root, rel_dir) if rel_dir else self.root
                added.append(Layer(os.path.join(fs_dir, name), f"{base}/{name}" if base else name, base))
        if not added:
            return self
        return self._replace(layers=self.layers + tuple(added))


class WalkRules(NamedTuple):
    """Everything the walk filters by (picklable: the parallel workers get a copy)."""

    exclude: tuple[str, ...] = ()
    scan_ignored: tuple[str, ...] = DEFAULT_SCAN_IGNORED
    use_ignore_files: bool = True


def find_top(path: str) -> tuple[str | None, str | None]:
    """(work tree top, git directory shared by its worktrees) for a path inside a git work
    tree, found without running git; (None, None) outside one."""
    here = os.path.abspath(path)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return here, dot_git
        if os.path.isfile(dot_git):  # a linked worktree or a submodule: "gitdir: <path>"
            try:
                with open(dot_git, encoding="utf-8") as fh:
                    target = fh.read().strip().removeprefix("gitdir:").strip()
            except OSError:
                return here, None
            git_dir = os.path.normpath(os.path.join(here, target))
            try:
                with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
                    git_dir = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
            except OSError:
                pass
            return here, git_dir
        parent = os.path.dirname(here)
        if parent == here:
            return None, None
        here = parent


def global_excludes_file(cwd: str) -> str | None:
    """The global excludes file git uses: `core.excludesFile`, else `$XDG_CONFIG_HOME/git/ignore`
    (`~/.config/git/ignore`)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "config", "--path", "--get", "core.excludesFile"],
            cwd=cwd,
            capture_output=True,
            check=False,
        )
        configured = os.fsdecode(done.stdout).strip()
    except OSError:
        configured = ""
    if configured:
        return os.path.expanduser(configured)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(xdg, "git", "ignore")


def root_chain(root: str, use_ignore_files: bool) -> Chain | None:
    """The chain for a walk root: inside a git work tree, the global excludes file,
    `.git/info/exclude` and the ignore files of the directories from the top down to the root
    (the root's own are added when it is listed); outside one, `.ignore` files only."""
    _CACHE.clear()
    if not use_ignore_files:
        return None
    root_abs = os.path.abspath(root)
    top, git_dir = find_top(root_abs)
    if top is None:
        return Chain(root, "", (), git=False)
    prefix = os.path.relpath(root_abs, top).replace(os.sep, "/")
    if prefix == ".":
        prefix = ""
    if prefix.startswith(".."):  # a root reached through a link: no ignore files of another tree
        return None
    layers: list[Layer] = []
    excludes = global_excludes_file(top)
    if excludes:
        layers.append(Layer(excludes, "global git excludes", ""))
    if git_dir:
        layers.append(Layer(os.path.join(git_dir, "info", "exclude"), ".git/info/exclude", ""))
    parts = prefix.split("/") if prefix else []
    for depth in range(len(parts)):  # the ancestors' ignore files, outermost first
        base = "/".join(parts[:depth])
        fs_dir = os.path.join(top, *parts[:depth])
        for name in reversed(IGNORE_FILES):
            path = os.path.join(fs_dir, name)
            if os.path.isfile(path):
                layers.append(Layer(path, f"{base}/{name}" if base else name, base))
        # a root its repository ignores was asked for by name (`scan node_modules/pkg`, a
        # virtualenv inside a checkout): scanned as a tree of its own, as ripgrep does
        found = Chain(root, "", tuple(layers)).check("/".join(parts[: depth + 1]), True)
        if found is not None and found[0]:
            return Chain(root, "", ())
    return Chain(root, prefix, tuple(layers))


def mark_ignored(findings: list[Finding], start: int = 0) -> None:
    """Mark `findings[start:]` as found in an ignored file: a field for JSON and SARIF, and the
    words in the message for people."""
    for i in range(start, len(findings)):
        f = findings[i]
        findings[i] = f.with_extra(**{IGNORED_FIELD: IGNORED_WORDS}).moved(
            message=f"{f.message} ({IGNORED_WORDS})"
        )


def is_ignored(finding: Finding) -> bool:
    return any(key == IGNORED_FIELD for key, _ in finding.extra)


def unmark_tracked(result: ScanResult, cwd: str = ".") -> None:
    """An ignore pattern does not stop a file from being committed (`git add -f`): findings in
    ignored files that git tracks lose the mark. One `git ls-files` for all of them."""
    marked = sorted({f.path for f in result.findings if is_ignored(f)})
    if not marked:
        return
    import subprocess

    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--full-name", "--", *marked], cwd=cwd, capture_output=True, check=False
        )
    except OSError:
        return
    if done.returncode != 0:
        return
    tracked_top = {os.fsdecode(p) for p in done.stdout.split(b"\0") if p}
    top, _ = find_top(cwd)
    tracked = set()
    for path in marked:
        rel = os.path.relpath(os.path.abspath(os.path.join(cwd, path)), top) if top else path
        if rel.replace(os.sep, "/") in tracked_top:
            tracked.add(path)
    if not tracked:
        return
    words = f" ({IGNORED_WORDS})"
    for i, f in enumerate(result.findings):
        if f.path in tracked and is_ignored(f):
            result.findings[i] = f.moved(
                extra=tuple(kv for kv in f.extra if kv[0] != IGNORED_FIELD),
                message=f.message.removesuffix(words),
            )
