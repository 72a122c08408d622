"""Git as a source: staged changes and history, both as file diffs of added lines.

Data flow (as gitleaks does it): `git diff --cached` or `git log -p` is streamed through a pipe
and cut into records, one per commit header and one per file diff. A file diff becomes a unit:
its path, the new blob's id and the added lines with their line numbers. Findings come only
from added lines. Keys that need no context (nsec, ncryptsec, URI secrets) are found in the
added lines alone; when the added lines hold a hex or base64 candidate, whose verdict depends
on the text around it (the key's own pubkey elsewhere in the file, a name on the line before),
the whole new blob is read with `git cat-file --batch` and scanned, and only hits on added
lines are kept. Most file diffs hold no candidate at all and cost one prefilter call.

Memory stays flat: one file diff and at most one blob are held at a time (blobs over
`MAX_BLOB` are not read; their added lines are scanned alone).

Merges are diffed with `--diff-merges=dense-combined` (`--cc`): a merge contributes only the
lines that are in none of its parents (conflict resolutions, "evil merges"); what a merged
branch added was already scanned in the branch's own commits, which the walk visits too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, NamedTuple

from nsecguard.errors import FatalError
from nsecguard.model import Finding
from nsecguard.output import checked_id, quote, scrub_all
from nsecguard.result import ScanResult

if TYPE_CHECKING:  # the engine is imported where a scan starts, not at start-up
    from nsecguard import crossproof
    from nsecguard.crossproof import Place, Rescan
    from nsecguard.engine import Options
    from nsecguard.paths import Rules

MAX_BLOB = 64 << 20
READ_BLOCK = 1 << 20
NULL_SHA = frozenset({"0" * 40, "0" * 64})

# Pin every setting that changes diff output, whatever the user's configuration says.
GIT_CONFIG = (
    "-c", "core.quotepath=off",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicprefix=false",
    "-c", "diff.relative=false",
    "-c", "diff.submodule=short",
    "-c", "diff.renames=true",
    "-c", "color.ui=false",
    "-c", "log.showSignature=false",
)  # fmt: skip
DIFF_FLAGS = (
    "-p", "-U0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
    "--src-prefix=a/", "--dst-prefix=b/", "--ignore-submodules=none",
)  # fmt: skip
COMMIT_MARK = b"\x01"
LOG_FORMAT = "--format=%x01%H%x00%an%x00%ae%x00%aI"


# -- running git ----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never write the index from a read-only scan
    env["LC_ALL"] = "C"
    env.pop("GIT_EXTERNAL_DIFF", None)
    return env


def git(
    args: Sequence[str], cwd: str | None = None, *, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(
            ["git", *GIT_CONFIG, *args], cwd=cwd, env=_env(), capture_output=True, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise FatalError("git is not installed (or not on PATH)") from None
    if check and proc.returncode != 0:
        raise FatalError(f"git {args[0]} failed: {_message(proc.stderr)}")
    return proc


def _message(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return "; ".join(ln.removeprefix("fatal: ").removeprefix("error: ") for ln in lines[:3]) or "no message"


class Repo(NamedTuple):
    cwd: str  # where the command runs (pathspecs are relative to it)
    top: str | None  # the work tree's root; None in a bare repository
    shallow: bool

    def has_commits(self) -> bool:
        return git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], self.cwd, check=False).returncode == 0


def open_repo(cwd: str = ".") -> Repo:
    """The repository at `cwd`, or a FatalError that says what to do instead."""
    if not os.path.isdir(cwd):
        raise FatalError(f"{cwd}: no such directory")
    proc = git(
        ["rev-parse", "--is-bare-repository", "--is-shallow-repository", "--show-cdup"], cwd, check=False
    )
    if proc.returncode != 0:
        raise FatalError(
            "not a git repository (or any parent up to the mount point): run this inside a repository, "
            "or scan files with `nsecguard scan PATH`"
        )
    bare, shallow, cdup = [*proc.stdout.split(b"\n"), b"", b"", b""][:3]
    top = None if bare == b"true" else os.path.normpath(os.path.join(os.path.abspath(cwd), os.fsdecode(cdup)))
    return Repo(cwd=cwd, top=top, shallow=shallow == b"true")


# -- parsing `git diff -p` / `git log -p` output -------------------------------------------


class Commit(NamedTuple):
    sha: str
    author: str
    email: str
    date: str


class FileDiff(NamedTuple):
    path: str  # the new path as shown (invalid UTF-8 as \x escapes)
    blob: str | None  # the new blob's id; None when deleted or unknown
    binary: bool
    submodule: bool
    record: bytes  # the whole file diff
    hunks_at: int  # offset of the first hunk header in `record`; -1 when there is none
    old_blob: str | None = None  # the blob it replaces; None when added or unknown


def records(stream: IO[bytes], block: int = READ_BLOCK) -> Iterator[bytes]:
    """Cut a patch stream into records: commit headers (starting with \\x01) and file diffs
    (starting with `diff --`). Patch content lines start with +, -, space or backslash, so a
    line starting otherwise is a boundary."""
    parts: list[bytes] = []
    tail = b""
    read = getattr(stream, "read1", stream.read)  # what the pipe has now: git keeps writing meanwhile
    while True:
        chunk = read(block)
        if not chunk:
            break
        data = tail + chunk if tail else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            tail = data
            continue
        whole, tail = data[:cut], data[cut:]
        start = 0
        for pos in _starts(whole):
            if pos > start:
                parts.append(whole[start:pos])
            if parts:
                yield b"".join(parts)
                parts = []
            start = pos
        parts.append(whole[start:])
    if tail:
        if tail.startswith((b"diff --", COMMIT_MARK)) and parts:
            yield b"".join(parts)
            parts = []
        parts.append(tail)
    if parts:
        yield b"".join(parts)


def _starts(data: bytes) -> list[int]:
    found = [0] if data.startswith((b"diff --", COMMIT_MARK)) else []
    for marker in (b"\ndiff --", b"\n" + COMMIT_MARK):
        i = data.find(marker)
        while i >= 0:
            found.append(i + 1)
            i = data.find(marker, i + 1)
    found.sort()
    return found


def parse_commit(record: bytes) -> Commit:
    line = record[1:].split(b"\n", 1)[0]
    sha, author, email, date = [*line.split(b"\0"), b"", b"", b""][:4]
    return Commit(
        sha.decode("ascii", "replace"), _show(author), _show(email), date.decode("ascii", "replace")
    )


def parse_file(record: bytes) -> FileDiff:
    hunks_at = record.find(b"\n@@") + 1 if not record.startswith(b"@@") else 0
    head = record[: hunks_at if hunks_at > 0 else len(record)]
    lines = head.split(b"\n")
    new_path: bytes | None = None
    blob: str | None = None
    old_blob: str | None = None
    binary = submodule = False
    for line in lines[1:]:
        if line.startswith(b"+++ "):
            target = _header_path(line[4:])
            if target is not None:
                new_path = target.removeprefix(b"b/")
        elif line.startswith(b"rename to ") and new_path is None:
            new_path = _unquote(line[10:])
        elif line.startswith(b"index "):
            ids = line[6:].split(b" ")
            olds, _, new_id = ids[0].rpartition(b"..")
            new = new_id.decode("ascii", "replace")
            blob = None if new in NULL_SHA else new
            first = olds.split(b",")[0].decode("ascii", "replace")  # a merge lists each parent's
            old_blob = None if not first or first in NULL_SHA else first
            if ids[-1] == b"160000":
                submodule = True
        elif line.startswith(b"Binary files ") or line.startswith(b"GIT binary patch"):
            binary = True
        elif line.endswith(b" 160000") and b"mode " in line:
            submodule = True
    if new_path is None:
        new_path = _path_from_diff_line(lines[0])
    return FileDiff(
        _show(new_path), blob, binary, submodule, record, hunks_at if hunks_at > 0 else -1, old_blob
    )


def added_lines(diff: FileDiff) -> tuple[list[int], list[bytes]]:
    """(line numbers in the new file, line contents) of the lines the diff adds."""
    numbers: list[int] = []
    contents: list[bytes] = []
    if diff.hunks_at < 0:
        return numbers, contents
    parents = 1
    line_no = 0
    for line in diff.record[diff.hunks_at :].split(b"\n"):
        if line.startswith(b"@@"):
            ats = len(line) - len(line.lstrip(b"@"))
            parents = ats - 1
            for token in line.split(b" ")[1 : parents + 2]:
                start = token[1:].split(b",")[0]
                if token.startswith(b"+") and start.isdigit() and len(start) < 19:  # else no git header
                    line_no = int(start)
            continue
        if parents == 1:
            tag = line[:1]
            if tag == b"+":
                numbers.append(line_no)
                contents.append(line[1:])
                line_no += 1
            elif tag == b" ":
                line_no += 1
        else:
            prefix = line[:parents]
            if len(prefix) < parents or b"-" in prefix or b"\\" in prefix:
                continue
            if prefix == b"+" * parents:  # in none of the parents: the merge itself adds it
                numbers.append(line_no)
                contents.append(line[parents:])
            line_no += 1
    return numbers, contents


def _header_path(raw: bytes) -> bytes | None:
    if raw == b"/dev/null":
        return None
    if raw.startswith(b'"'):
        return _unquote(raw)
    return raw[:-1] if raw.endswith(b"\t") else raw


def _path_from_diff_line(line: bytes) -> bytes:
    """Best effort, for notes about diffs without a `+++` line (binary files, submodules)."""
    for prefix in (b"diff --git ", b"diff --cc ", b"diff --combined "):
        if line.startswith(prefix):
            rest = line[len(prefix) :]
            break
    else:
        return line
    if prefix != b"diff --git ":
        return _unquote(rest)
    if rest.endswith(b'"'):
        return _unquote(rest[rest.rfind(b' "b/') + 1 :]).removeprefix(b"b/")
    if rest.startswith(b"a/") and (len(rest) - 5) % 2 == 0:
        half = (len(rest) - 5) // 2
        if rest[2 : 2 + half] == rest[-half:]:
            return rest[-half:]
    return rest.rpartition(b" b/")[2]


_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13}


def _unquote(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path ("a\\tb", octal bytes)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body = raw[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != 0x5C or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        digits = body[i + 1 : i + 4]
        if len(digits) == 3 and all(0x30 <= d <= 0x37 for d in digits):  # git writes three
            out.append(int(digits, 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return bytes(out)


def _show(raw: bytes) -> str:
    """Bytes from git as printable text: invalid UTF-8 becomes \\xNN, so any stream can print it."""
    return raw.decode("utf-8", "backslashreplace")


# -- reading blobs ---------------------------------------------------------------------------


class Blobs:
    """A long-lived `git cat-file --batch`: blob contents by id, started on first use."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, blob: str, limit: int = MAX_BLOB) -> bytes | None:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(blob.encode("ascii") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None  # missing (a shallow or partial clone) or not a blob
        size = int(header[2])
        if size > limit:
            remaining = size + 1
            while remaining:
                remaining -= len(proc.stdout.read(min(remaining, READ_BLOCK)))
            return None
        data = proc.stdout.read(size)
        proc.stdout.read(1)
        return data

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", *GIT_CONFIG, "cat-file", "--batch"],
                cwd=self.cwd,
                env=_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def pipes(self) -> list[IO[bytes]]:
        """The pipes to the running `git cat-file`, if any."""
        proc = self._proc
        return [p for p in (proc.stdin, proc.stdout) if p is not None] if proc is not None else []

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
            self._proc = None


# -- scanning a file diff -------------------------------------------------------------------


class Scanner:
    """Turns file diffs into findings on their added lines."""

    def __init__(
        self,
        options: Options,
        blobs: Blobs,
        exclude: Sequence[str] = (),
        result: ScanResult | None = None,
    ) -> None:
        from nsecguard.candidates import BASE64, HEX, gate

        self.options = options
        self.blobs = blobs
        self.exclude = exclude
        self.result = result if result is not None else ScanResult()
        self._prefilter = gate
        self._needs_context = HEX | BASE64
        self._excluder: Rules | None = None
        self.known: frozenset[bytes] = frozenset()  # public keys proven elsewhere (nsecguard.crossproof)

    def excluded(self, path: str) -> bool:
        """`exclude` patterns against a path relative to the repository's top, with the same
        gitignore semantics as a directory walk (nsecguard/paths.py): `node_modules` excludes
        `web/node_modules/x.js`, `**/fixtures/**` excludes `tests/fixtures/a.txt`. Each excluded
        path gets a note (`-v`)."""
        if not self.exclude:
            return False
        if self._excluder is None:
            from nsecguard.paths import exclude_rules

            self._excluder = exclude_rules(self.exclude)
        why = self._excluder.why(path)
        if why is None:
            return False
        self.result.notes.append(f"{path}: skipped: {why}")
        return True

    def skip(self, record: bytes) -> bool:
        """True for a file diff with nothing key-like in its hunks (most of them): counted as
        scanned without being parsed. Binary, submodule and hunk-less diffs go on to `scan`."""
        hunks = record.find(b"\n@@")
        if hunks < 0 or b" 160000" in record[:hunks] or self._prefilter(record[hunks:]):
            return False
        self.result.scanned += 1
        self.result.scanned_bytes += len(record) - hunks
        return True

    def scan(self, diff: FileDiff, where: str = "") -> list[Finding]:
        planned = self.plan(diff, where)
        return self.context(planned) if isinstance(planned, ContextJob) else planned

    def plan(self, diff: FileDiff, where: str = "") -> list[Finding] | ContextJob:
        """The findings of a file diff, or, when its added lines hold a candidate whose verdict
        needs the whole new blob (hex, base64), the job that reads and scans it (`context`):
        the slow part of a history scan, which `scan_history` may run on other cores."""
        if diff.submodule:
            self.result.notes.append(
                f"{diff.path}{where}: submodule, skipped (scan it in its own repository)"
            )
            return []
        if diff.binary:
            decoded = self._scan_transcoded(diff, where)
            if decoded is not None:
                return decoded
            self.result.notes.append(f"{diff.path}{where}: binary, skipped")
            return []
        if diff.hunks_at < 0 or self.excluded(diff.path):
            return []
        self.result.scanned += 1
        self.result.scanned_bytes += len(diff.record) - diff.hunks_at
        if not self._prefilter(diff.record[diff.hunks_at :]):
            return []  # the common case: nothing that looks like a key, even in removed lines
        numbers, lines = added_lines(diff)
        if not lines:
            return []
        text = b"\n".join(lines)
        mask = self._prefilter(text)
        if not mask:
            return []
        job = ContextJob(diff.path, diff.blob, numbers, text)
        if mask & self._needs_context and diff.blob is not None:
            return job
        return added_findings(job, self.options, self.known)

    def context(self, job: ContextJob) -> list[Finding]:
        return context_findings(job, self.blobs, self.options, self.known)

    def took(self, path: str, commit: str = "") -> bool:
        """Proof across files: the public keys the file diff just scanned names and its weak
        candidates', as the clues of `path` (in `commit`); True when it has candidates."""
        from nsecguard import crossproof

        clues = crossproof.collect()
        return clues is not None and self.gave(path, commit, clues)

    def gave(self, path: str, commit: str, clues: crossproof.Pending) -> bool:
        """`took`, for clues collected elsewhere (a history worker): True with candidates."""
        from nsecguard import crossproof

        label = f"{path} (commit {commit[:12]})" if commit else path
        return crossproof.give(self.result, crossproof.Place(label, commit, path=path), clues)

    def rescan(self, diff: FileDiff, known: frozenset[bytes], where: str = "") -> list[Finding]:
        """`scan` again, with public keys proven elsewhere known (counts and notes unchanged)."""
        result = self.result
        counts = result.scanned, result.scanned_bytes, len(result.notes)
        self.known = known
        try:
            return self.scan(diff, where)
        finally:
            self.known = frozenset()
            result.scanned, result.scanned_bytes = counts[0], counts[1]
            del result.notes[counts[2] :]

    def _scan_transcoded(self, diff: FileDiff, where: str) -> list[Finding] | None:
        """A file git calls binary that is text in UTF-16 or UTF-32 (as Windows tools write
        it): the new blob decoded and scanned whole; what it adds is the secrets the blob it
        replaces did not hold. None when it is binary indeed (or cannot be read)."""
        if diff.blob is None or self.excluded(diff.path):
            return None
        data = self.blobs.read(diff.blob)
        if data is None:
            return None
        text = _decoded(data)
        if text is None:
            return None
        from nsecguard.engine import find_hits, to_findings

        self.result.scanned += 1
        self.result.scanned_bytes += len(data)
        self.result.notes.append(f"{diff.path}{where}: decoded from {text[1].upper()}")
        hits = find_hits(text[0], options=self.options)
        if not hits:
            return []
        before: set[str] = set()
        old = self.blobs.read(diff.old_blob) if diff.old_blob else None
        old_text = _decoded(old) if old is not None else None
        if old_text is not None:
            before = {h.fingerprint for h in find_hits(old_text[0], options=self.options)}
        added = [h for h in hits if h.fingerprint not in before]
        return to_findings(text[0], added, path=diff.path, options=self.options) if added else []


def _decoded(data: bytes) -> tuple[bytes, str] | None:
    """UTF-8 bytes of a UTF-16 or UTF-32 blob, and its encoding; None for anything else."""
    from nsecguard import textio

    encoding = textio.sniff(data[: textio.SNIFF_BYTES])
    if not encoding:
        return None
    return b"".join(textio.transcode([data], encoding)), encoding


def _touches(data: bytes, start: int, end: int, added: frozenset[int]) -> bool:
    first = data.count(b"\n", 0, start) + 1
    last = first + data.count(b"\n", start, max(start, end - 1))
    return any(n in added for n in range(first, last + 1))


class ContextJob(NamedTuple):
    """A file diff whose added lines need the whole new blob to be judged."""

    path: str
    blob: str | None
    numbers: list[int]  # the added lines' numbers in the new file
    text: bytes  # the added lines, joined


def context_findings(
    job: ContextJob, blobs: Blobs, options: Options, known: frozenset[bytes] = frozenset()
) -> list[Finding]:
    """The findings on a job's added lines, judged in the whole new blob (its added lines
    alone when the blob cannot be read or is binary); `known`: public keys proven elsewhere."""
    from nsecguard.engine import find_hits, to_findings

    data = blobs.read(job.blob) if job.blob is not None else None
    if data is not None and b"\0" not in data[:8192]:
        added = frozenset(job.numbers)
        hits = [h for h in find_hits(data, known, options=options) if _touches(data, h.start, h.end, added)]
        return to_findings(data, hits, path=job.path, options=options) if hits else []
    return added_findings(job, options, known)


def added_findings(job: ContextJob, options: Options, known: frozenset[bytes] = frozenset()) -> list[Finding]:
    """The findings in a job's added lines alone, at their lines in the new file."""
    from nsecguard.engine import find_hits, to_findings

    hits = find_hits(job.text, known, options=options)
    if not hits:
        return []
    numbers = job.numbers
    return [
        f.moved(line=numbers[f.line - 1]) for f in to_findings(job.text, hits, path=job.path, options=options)
    ]


# -- staged changes -------------------------------------------------------------------------


def scan_staged(
    repo: Repo,
    options: Options,
    *,
    paths: Sequence[str] = (),
    whole_if_unstaged: bool = False,
    exclude: Sequence[str] = (),
) -> ScanResult:
    """`_scan_staged`, then proof across the staged files (nsecguard.crossproof)."""
    from nsecguard import crossproof

    kept: dict[str, tuple[Scanner, FileDiff]] = {}
    crossproof.start()
    try:
        result = _scan_staged(repo, options, paths, whole_if_unstaged, exclude, kept)
    finally:
        crossproof.stop()
    crossproof.prove(result, _rescan_staged(kept, options))
    return result


def _rescan_staged(kept: dict[str, tuple[Scanner, FileDiff]], options: Options) -> Rescan:
    """Scan a staged file diff (or a file scanned whole) again, with public keys known."""
    from nsecguard import crossproof

    whole = crossproof.rescan_file(options)

    def rescan(place: Place, known: frozenset[bytes]) -> list[Finding]:
        if place.label not in kept:
            return whole(place, known)  # a file the hook scanned whole
        scanner, diff = kept[place.label]
        return scanner.rescan(diff, known)

    return rescan


def _scan_staged(
    repo: Repo,
    options: Options,
    paths: Sequence[str],
    whole_if_unstaged: bool,
    exclude: Sequence[str],
    kept: dict[str, tuple[Scanner, FileDiff]],
) -> ScanResult:
    """Findings on the lines the index adds (to HEAD, or to nothing in a new repository).

    `paths` limit the scan (literal pathspecs, relative to the current directory). With
    `whole_if_unstaged` (the pre-commit hook: `pre-commit run --all-files` passes files
    that have nothing staged), a named file with no staged change is scanned whole."""
    if repo.top is None:
        raise FatalError("--staged needs a work tree (this is a bare repository)")
    # without commits, `git diff --cached` compares the index with the empty tree
    args = ["--literal-pathspecs", "diff", "--cached", *DIFF_FLAGS, "--", *paths]
    blobs = Blobs(repo.cwd)
    scanner = Scanner(options, blobs, exclude)
    seen: set[str] = set()
    try:
        with _stream(args, repo.cwd) as stream:
            for record in records(stream):
                if record.startswith(b"diff --"):
                    diff = parse_file(record)
                    seen.add(diff.path)
                    scanner.result.findings.extend(scanner.scan(diff))
                    if scanner.took(diff.path):
                        kept[diff.path] = (scanner, diff)
    finally:
        blobs.close()
    result = scanner.result
    if whole_if_unstaged and paths:
        from nsecguard.sources.files import Target, scan_file

        for path in paths:
            rel = os.path.relpath(os.path.abspath(os.path.join(repo.cwd, path)), os.path.realpath(repo.top))
            shown = rel.replace(os.sep, "/")
            if shown in seen or _show(os.fsencode(shown)) in seen:
                continue
            if scanner.excluded(shown) or not os.path.isfile(os.path.join(repo.cwd, path)):
                continue
            result.merge(scan_file(Target((os.path.join(repo.cwd, path), shown)), options))
            result.unstaged.append(shown)
    if not result.scanned and not result.notes and not paths:
        result.notes.append("nothing staged")
    return result


def _scratch_file() -> IO[bytes]:
    """An anonymous file for a child's stderr (a pipe could fill up and stall it): in memory
    where the OS offers one (no import, no disk), else a temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create("nsecguard-git-stderr"), "w+b")
        except OSError:
            pass
    import tempfile

    return tempfile.TemporaryFile()


class _stream:  # a context manager used like a function
    """`git ARGS` with stdout as a pipe; raises FatalError with git's message if it fails."""

    def __init__(self, args: Sequence[str], cwd: str) -> None:
        self.args = list(args)
        self.cwd = cwd
        self._err: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        self._err = _scratch_file()
        try:
            self._proc = subprocess.Popen(
                ["git", *GIT_CONFIG, *self.args],
                cwd=self.cwd,
                env=_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._err,
            )
        except FileNotFoundError:
            raise FatalError("git is not installed (or not on PATH)") from None
        assert self._proc.stdout is not None
        return self._proc.stdout

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._proc is not None and self._err is not None
        proc = self._proc
        if exc_type is not None:
            proc.kill()
        assert proc.stdout is not None
        proc.stdout.close()
        code = proc.wait()
        self._err.seek(0)
        stderr = self._err.read()
        self._err.close()
        if exc_type is None and code != 0:
            raise FatalError(
                f"git {self.args[0] if self.args[0] != '--literal-pathspecs' else self.args[1]} "
                f"failed: {_message(stderr)}"
            )


# -- history --------------------------------------------------------------------------------


Progress = Callable[[int, int], None]


def count_commits(repo: Repo, revs: Sequence[str]) -> int:
    out = git(["rev-list", "--count", *revs], repo.cwd, check=False)
    return int(out.stdout) if out.returncode == 0 and out.stdout.strip().isdigit() else 0


def history_revs(range_: str | None) -> list[str]:
    """`git log` arguments for a user's revision range (default: every ref)."""
    if not range_:
        return ["--all"]
    revs = range_.split()
    for rev in revs:
        if rev.startswith("-"):  # never let a range smuggle in a git option
            raise FatalError(f"{quote(rev)} is not a revision (it starts with '-')")
    return revs


def scan_history(
    repo: Repo,
    options: Options,
    revs: Sequence[str] = ("--all",),
    *,
    exclude: Sequence[str] = (),
    progress: Progress | None = None,
    jobs: int | None = None,
) -> ScanResult:
    """Findings on the lines each commit adds, oldest introduction first.

    The same key (by fingerprint) at the same path is reported once, at the commit that
    introduced it; `commits` says in how many commits it was added there in all. A key that a
    later commit deleted is still reported: it is still in the history. Whole-blob scans run
    on `jobs` processes (default: one per core) once a history proves to need many of them
    (nsecguard/sources/history_pool.py); the report is the same whatever `jobs` is."""
    from nsecguard.sources import history_pool

    total = count_commits(repo, revs) if progress else 0
    blobs = Blobs(repo.cwd)
    scanner = Scanner(options, blobs, exclude)
    seen: dict[tuple[str, str], _Sighting] = {}
    commits = 0
    commit = Commit("", "", "", "")
    args = ["log", "--date-order", "--root", "--diff-merges=dense-combined", LOG_FORMAT, *DIFF_FLAGS]
    args += [*revs, "--"]
    from nsecguard import crossproof

    candidates: dict[str, Commit] = {}  # commits with weak candidates (proof across files)

    def settle(sighted: tuple[tuple[Commit, str], list[Finding]]) -> None:
        (at, _path), findings = sighted
        for finding in findings:
            key = (finding.fingerprint, finding.path)
            sighting = seen.get(key)
            if sighting is None:
                seen[key] = _Sighting(finding, at)
            else:
                sighting.update(finding, at)

    def clued(unit: tuple[Commit, str], clues: crossproof.Pending | None) -> None:
        at, path = unit
        if clues is not None and scanner.gave(path, at.sha, clues):
            candidates[at.sha] = at

    ordered: history_pool.Ordered[tuple[Commit, str]] | None = None
    crossproof.start()
    try:
        with _stream(args, repo.cwd) as stream:

            def start() -> history_pool.Pool:
                fds = history_pool.fds_of(stream, *blobs.pipes())
                return history_pool.Pool(repo.cwd, options, workers, fds, collect=crossproof.collect)

            workers = jobs or os.cpu_count() or 1
            ordered = history_pool.Ordered(
                scanner.context, start, workers, collect=crossproof.collect, on_collected=clued
            )
            for record in records(stream):
                if record.startswith(COMMIT_MARK):
                    commit = parse_commit(record)
                    commits += 1
                    if progress:
                        progress(commits, total)
                    continue
                if not record.startswith(b"diff --") or scanner.skip(record):
                    continue
                diff = parse_file(record)
                planned = scanner.plan(diff, where=f" (commit {commit.sha[:12]})")
                if not isinstance(planned, ContextJob) and scanner.took(diff.path, commit.sha):
                    candidates[commit.sha] = commit  # judged here and now: its clues are pending
                for sighted in ordered.add((commit, diff.path), planned):
                    settle(sighted)
            for sighted in ordered.finish():
                settle(sighted)
        if ordered is not None and ordered.pool is not None:
            ordered.pool.close()
            scanner.result.secrets |= ordered.pool.secrets
            ordered.pool = None
        crossproof.stop()
        _prove_history(repo, scanner, seen, candidates)
    finally:
        crossproof.stop()
        if ordered is not None and ordered.pool is not None:
            # first: its workers hold copies of the pipes to git
            ordered.pool.close(abort=sys.exc_info()[1] is not None)
            scanner.result.secrets |= ordered.pool.secrets
        blobs.close()
    result = scanner.result
    result.commits = commits
    result.notes[:] = _dedup_notes(result.notes)
    if commits:
        scan_messages(repo, options, revs, seen)
    result.findings.extend(s.finding() for s in seen.values())
    if repo.shallow:
        result.notes.append(
            "shallow clone: history before the oldest fetched commits is not available; "
            "their whole content is scanned as added by those commits"
        )
    if commits == 0:
        result.notes.append("no commits to scan" + (" (empty repository)" if not repo.has_commits() else ""))
    return result


def _prove_history(
    repo: Repo, scanner: Scanner, seen: dict[tuple[str, str], _Sighting], candidates: dict[str, Commit]
) -> None:
    """Proof across files and commits: each file diff whose weak candidates derive to a public
    key written elsewhere in the history is diffed and scanned again with that key known; a
    proven finding takes the place of the weaker one of the same commit (or is reported anew)."""
    from nsecguard import crossproof

    clues, scanner.result.clues = scanner.result.clues, None
    if clues is None:
        return
    renewed: set[tuple[str, str]] = set()
    for place, found in clues.matches().items():  # newest commit first, as walked
        commit = candidates.get(place.ref)
        if commit is None:
            continue
        args = ["--literal-pathspecs", "show", "--format=", "--diff-merges=dense-combined", *DIFF_FLAGS]
        with _stream([*args, commit.sha, "--", place.path], repo.cwd) as stream:
            diffs = [parse_file(r) for r in records(stream) if r.startswith(b"diff --")]
        for diff in diffs:
            if diff.path != place.path:
                continue
            new = scanner.rescan(diff, frozenset(found), where=f" (commit {commit.sha[:12]})")
            for finding in crossproof.upgrade([], new, found, path=diff.path):
                key = (finding.fingerprint, finding.path)
                sighting = seen.get(key)
                if sighting is None:
                    seen[key] = _Sighting(finding, commit)
                    renewed.add(key)
                elif key in renewed:
                    sighting.update(finding, commit)  # an older commit adding it too
                elif sighting.commit.sha == commit.sha:
                    sighting.first = finding


COMMIT_MESSAGE = "(commit message)"
TAG_MESSAGE = "(tag message)"
_MESSAGE_FORMAT = "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%B"
_TAG_FORMAT = (
    "--format=%01%(objectname)%00%(objecttype)%00%(refname:short)%00%(taggername)%00"
    "%(taggeremail)%00%(taggerdate:iso-strict)%00%(contents)"
)


def scan_messages(
    repo: Repo, options: Options, revs: Sequence[str], seen: dict[tuple[str, str], _Sighting]
) -> None:
    """Keys pasted into commit messages (and, for the whole history, annotated tags' messages):
    each reported once, at the oldest commit that holds it."""
    from nsecguard.candidates import gate
    from nsecguard.engine import scan_bytes

    prefilter = gate
    with _stream(["log", "--date-order", _MESSAGE_FORMAT, *revs, "--"], repo.cwd) as stream:
        for record in _split_records(stream):
            sha, author, email, date, message = [*record.split(b"\0", 4), b"", b"", b"", b""][:5]
            if not message or not prefilter(message):
                continue
            day = date.decode("ascii", "replace")
            commit = Commit(sha.decode("ascii", "replace"), _show(author), _show(email), day)
            for finding in scan_bytes(message, path=COMMIT_MESSAGE, options=options):
                key = (finding.fingerprint, COMMIT_MESSAGE)
                sighting = seen.get(key)
                if sighting is None:
                    seen[key] = _Sighting(finding, commit)
                else:
                    sighting.update(finding, commit)
    if list(revs) != ["--all"]:
        return  # a range: its commits, not the repository's tags
    out = git(["for-each-ref", _TAG_FORMAT, "refs/tags"], repo.cwd, check=False).stdout
    for record in out.split(COMMIT_MARK)[1:]:
        sha, kind, name, tagger, email, date, message = [*record.split(b"\0", 6), *[b""] * 7][:7]
        if kind != b"tag" or not message or not prefilter(message):
            continue
        who, day = _show(tagger), date.decode("ascii", "replace")
        commit = Commit(sha.decode("ascii", "replace"), who, _show(email.strip(b"<>")), day)
        for finding in scan_bytes(message, path=TAG_MESSAGE, options=options):
            key = (finding.fingerprint, f"{TAG_MESSAGE} {_show(name)}")
            if key not in seen:
                seen[key] = _Sighting(finding.with_extra(tag=_show(name)), commit)


def _split_records(stream: IO[bytes]) -> Iterator[bytes]:
    """The records of a `git log` stream whose format starts each with \\x01, one at a time
    (memory stays flat however long the history)."""
    tail = b""
    while chunk := stream.read(READ_BLOCK):
        parts = (tail + chunk).split(COMMIT_MARK)
        tail = parts.pop()
        yield from (p for p in parts if p)
    if tail:
        yield tail


class _Sighting:
    """The oldest commit seen adding a key at a path (the walk goes newest first), and how many
    commits added it there."""

    def __init__(self, finding: Finding, commit: Commit) -> None:
        self.first = finding
        self.commit = commit
        self.count = 1

    def update(self, finding: Finding, commit: Commit) -> None:
        if commit.sha == self.commit.sha:
            return  # the same key twice in one file diff: keep the first line
        self.first, self.commit = finding, commit
        self.count += 1

    def finding(self) -> Finding:
        c = self.commit
        # an author name is anybody's text: a key there must not reach the report
        author, email = scrub_all([c.author, c.email], mask_hex=True)
        return self.first.with_extra(
            commit=checked_id(c.sha, "commit"),
            author=author,
            email=email,
            date=c.date,
            commits=str(self.count),
        )


def _dedup_notes(notes: list[str]) -> list[str]:
    """One note per skipped path (a binary file changed in 500 commits is one note)."""
    out: dict[str, str] = {}
    for note in notes:
        path, _, rest = note.partition(" (commit ")
        out.setdefault(path + rest.partition(")")[2], note)
    return list(out.values())


def stderr_is_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def parse_revs_from_env(environ: dict[str, str] | os._Environ[str]) -> list[str] | None:
    """The commits a push sends, from pre-commit's environment (pre-push stage)."""
    src, dst = environ.get("PRE_COMMIT_FROM_REF"), environ.get("PRE_COMMIT_TO_REF")
    if src and dst:
        return _checked([f"{src}..{dst}"])
    local = environ.get("PRE_COMMIT_LOCAL_BRANCH")
    remote = environ.get("PRE_COMMIT_REMOTE_NAME")
    if local:  # a new branch: every commit not yet on the remote
        return _checked([local]) + (["--not", f"--remotes={remote}"] if remote else [])
    return None


def _checked(revs: list[str]) -> list[str]:
    for rev in revs:
        if rev.startswith("-"):
            raise FatalError(f"{quote(rev)} is not a revision (it starts with '-')")
    return revs


def revs_from_push_lines(
    lines: Iterable[str], remote: str | None, exists: Callable[[str], bool] = lambda sha: True
) -> list[list[str]]:
    """The commits a push sends, from the lines git gives a plain pre-push hook on stdin:
    `<local ref> <local sha> <remote ref> <remote sha>`."""
    out: list[list[str]] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or parts[1] in NULL_SHA:
            continue  # a deletion sends nothing
        local_sha, remote_sha = parts[1], parts[3]
        if remote_sha not in NULL_SHA and exists(remote_sha):
            out.append(_checked([f"{remote_sha}..{local_sha}"]))
        else:  # a new branch: every commit not yet on the remote
            out.append(_checked([local_sha]) + (["--not", f"--remotes={remote}"] if remote else []))
    return out
