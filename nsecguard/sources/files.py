"""Files and directories: walk, filter, read (streamed), scan; on all cores for big trees."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized

from nsecguard import crossproof, textio
from nsecguard.candidates import gate, get_prefilter
from nsecguard.engine import Options, find_hits, to_findings
from nsecguard.paths import Chain, Rules, WalkRules, exclude_rules, mark_ignored, root_chain
from nsecguard.result import ScanResult
from nsecguard.stream import CHUNK, read_chunks, scan_chunks

SKIP_DIRS = frozenset({".git"})
_PARALLEL_MIN_FILES = 256
_BATCH = 64


class Target(tuple[str, str]):
    """(filesystem path, path as reported)."""

    __slots__ = ()

    @property
    def fs(self) -> str:
        return self[0]

    @property
    def shown(self) -> str:
        return self[1]


class IgnoredTarget(Target):
    """A file that an ignore file ignores but `scan-ignored` names: its findings are marked."""

    __slots__ = ()


class RegularTarget(Target):
    """A file the walk saw as a regular file (its directory entry says so, at no cost): read
    without an fstat."""

    __slots__ = ()


class Filter:
    """What a walk skips, built once per process: `exclude` patterns (relative to the walk root)
    and, through each directory's `Chain`, ignore files (nsecguard/paths.py)."""

    def __init__(self, rules: WalkRules) -> None:
        self.rules = rules
        self.exclude = exclude_rules(rules.exclude)
        self.rescue = Rules(rules.scan_ignored, "scan-ignored")


def _join(shown_root: str, rel: str) -> str:
    if shown_root in (".", "./", ""):
        return rel
    return shown_root.rstrip("/") + "/" + rel


_Dir = tuple[str, "Chain | None"]  # a directory to list (relative to its walk root), its chain


def list_dir(
    root: str, rel_dir: str, filt: Filter, result: ScanResult, chain: Chain | None = None
) -> tuple[list[Target], list[_Dir]]:
    """One directory of a tree: its files, and its subdirectories (relative to `root`) with the
    ignore files that apply in them. Skips `.git/`, excluded and ignored paths (each with a note
    saying why) and links to directories (so link loops cannot hang a walk)."""
    fs_dir = os.path.join(root, rel_dir) if rel_dir else root
    files: list[Target] = []
    subdirs: list[_Dir] = []
    try:
        with os.scandir(fs_dir) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        result.errors.append(f"{_join(root, rel_dir) or root}: cannot list directory ({exc.strerror})")
        return files, subdirs
    if chain is not None and not chain.rescued:
        chain = chain.entered(rel_dir, [e.name for e in entries])
    exclude = filt.exclude if filt.exclude else None
    ignoring = chain is not None and bool(chain.layers or chain.rescued)  # most trees: no ignore file
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and entry.name in SKIP_DIRS:
                continue
            if exclude is not None:
                why = exclude.why(rel, is_dir)
                if why:
                    result.notes.append(f"{_join(root, rel)}{'/' if is_dir else ''}: skipped: {why}")
                    continue
            rescued: str | None = None
            if ignoring and chain is not None:
                rescued = chain.rescued
                found = None if rescued else chain.check(rel, is_dir)
                if found is not None and found[0]:
                    if not filt.rescue.why(chain.top_rel(rel), is_dir):
                        shown = f"{_join(root, rel)}{'/' if is_dir else ''}"
                        result.notes.append(f"{shown}: skipped: ignored by {found[1]}")
                        continue
                    rescued = found[1]
            if is_dir:
                sub_chain = chain._replace(rescued=rescued) if chain is not None and rescued else chain
                subdirs.append((rel, sub_chain))
                continue
            if entry.is_symlink():
                if not os.path.exists(entry.path):
                    result.warnings.append(f"{_join(root, rel)}: broken symbolic link, skipped")
                    continue
                if os.path.isdir(entry.path):
                    result.notes.append(f"{_join(root, rel)}: link to a directory, not followed")
                    continue
        except OSError as exc:
            result.errors.append(f"{_join(root, rel)}: cannot read ({exc.strerror})")
            continue
        if rescued:
            files.append(IgnoredTarget((entry.path, _join(root, rel))))
        elif entry.is_file(follow_symlinks=False):  # d_type: no stat call
            files.append(RegularTarget((entry.path, _join(root, rel))))
        else:
            files.append(Target((entry.path, _join(root, rel))))
    return files, subdirs


def _split_roots(roots: Iterable[str], result: ScanResult) -> tuple[list[Target], list[str]]:
    """The roots named on the command line: files (always read, even through a link, even when
    ignored) and directories."""
    files: list[Target] = []
    dirs: list[str] = []
    for root in roots:
        try:
            st = os.stat(root)
        except FileNotFoundError:
            if os.path.islink(root):
                result.warnings.append(f"{root}: broken symbolic link, skipped")
            else:
                result.errors.append(f"{root}: no such file or directory")
            continue
        except OSError as exc:
            result.errors.append(f"{root}: cannot read ({exc.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            dirs.append(root)
        else:
            files.append(Target((root, root)))
    return files, dirs


def walk(roots: Iterable[str], rules: WalkRules, result: ScanResult) -> Iterator[Target]:
    """Every file under `roots` that `rules` let through, depth first, in name order."""
    filt = Filter(rules)
    files, dirs = _split_roots(roots, result)
    yield from files
    for root in dirs:
        stack: list[_Dir] = [("", root_chain(root, rules.use_ignore_files))]
        while stack:
            rel_dir, chain = stack.pop()
            found, subdirs = list_dir(root, rel_dir, filt, result, chain)
            yield from found
            stack.extend(reversed(subdirs))


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_HEAD = 64 << 10  # most files are read whole in one call; larger ones after a look at the head


def scan_file(target: Target, options: Options, result: ScanResult | None = None) -> ScanResult:
    """Scan one file into `result` (a new one by default). The hot path of a tree scan: one
    open, fstat and read for a small text file, and a binary file's head only. Findings in an
    `IgnoredTarget` are marked as such."""
    if result is None:
        result = ScanResult()
    if type(target) is IgnoredTarget:
        start = len(result.findings)
        _scan_file(target, options, result)
        mark_ignored(result.findings, start)
    else:
        _scan_file(target, options, result)
    if crossproof.active():
        crossproof.take(result, crossproof.Place(target.shown, target.fs, type(target) is IgnoredTarget))
    return result


def _scan_file(target: Target, options: Options, result: ScanResult) -> ScanResult:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then skips it)
        fd = os.open(target.fs, _OPEN_FLAGS)
        try:
            if type(target) is RegularTarget:
                # most files: open, one read (shorter than asked: the whole file), close; an
                # empty read (or a full one) is checked by fstat: it may not be a file any more
                data = os.read(fd, _HEAD)
                size = len(data) if 0 < len(data) < _HEAD else -1
            else:
                size = -1
                data = b""
            if size < 0:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    result.notes.append(f"{target.shown}: not a regular file, skipped")
                    return result
                size = st.st_size
                if not data:
                    data = os.read(fd, _HEAD if size > _HEAD else size + 1)
            if data.find(b"\0", 0, textio.SNIFF_BYTES) >= 0 or data[:2] in textio.BOM_STARTS:
                if textio.sniff(data) is None:
                    result.notes.append(f"{target.shown}: binary, skipped")
                    return result
                with os.fdopen(os.dup(fd), "rb") as fh:  # UTF-16/32 to transcode
                    fh.seek(len(data))
                    scan_stream(fh, target.shown, options, result, head=data)
                return result
            if len(data) == _HEAD:
                if size >= CHUNK:
                    with os.fdopen(os.dup(fd), "rb") as fh:
                        fh.seek(len(data))
                        scan_stream(fh, target.shown, options, result, head=data)
                    return result
                data += os.read(fd, CHUNK)
        finally:
            os.close(fd)
    except FileNotFoundError:
        result.notes.append(f"{target.shown}: vanished or broken link, skipped")
        return result
    except IsADirectoryError:
        result.notes.append(f"{target.shown}: a directory, skipped")
        return result
    except OSError as exc:
        result.errors.append(f"{target.shown}: cannot read ({exc.strerror or type(exc).__name__})")
        return result
    result.scanned += 1
    result.scanned_bytes += len(data)
    if gate(data):  # most files: nothing that looks like a key at all
        hits = find_hits(data, options=options)
        if hits:
            result.findings.extend(to_findings(data, hits, path=target.shown, options=options))
    return result


def scan_stream(fh: BinaryIO, shown: str, options: Options, result: ScanResult, head: bytes = b"") -> None:
    """Scan one binary stream (a file, stdin) into `result`; `head`: bytes already read from it."""
    if len(head) < textio.SNIFF_BYTES:
        head += fh.read(CHUNK)
    encoding = textio.sniff(head)
    if encoding is None:
        result.notes.append(f"{shown}: binary, skipped")
        return
    result.scanned += 1
    counted = _Counted(read_chunks(fh, head))
    chunks: Iterable[bytes] = counted
    if encoding:
        chunks = textio.transcode(counted, encoding)
        result.notes.append(f"{shown}: decoded from {encoding.upper()}")
    result.findings.extend(scan_chunks(chunks, path=shown, options=options))
    result.scanned_bytes += counted.total


class _Counted:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.total = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.total += len(chunk)
            yield chunk


def scan_paths(
    roots: Sequence[str],
    options: Options,
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    rules: WalkRules | None = None,
) -> ScanResult:
    """Scan files and directory trees. A big tree is walked and read by one process per core
    (directories are the units of work, so the walk itself is shared); small inputs are scanned
    in this process, with no start-up cost. `rules` (or just `exclude`) say what to skip."""
    result = ScanResult()
    if rules is None:
        rules = WalkRules(exclude=tuple(exclude))
    filt = Filter(rules)
    files, dirs = _split_roots(roots, result)
    pending: list[tuple[str, _Dir]] = [
        (root, ("", root_chain(root, rules.use_ignore_files))) for root in dirs
    ]
    jobs = jobs or os.cpu_count() or 1
    # walk breadth-first here until the tree proves big enough to be worth more processes
    while pending and (jobs <= 1 or len(files) < _PARALLEL_MIN_FILES or sys.platform == "win32"):
        root, (rel_dir, chain) = pending.pop(0)
        found, subdirs = list_dir(root, rel_dir, filt, result, chain)
        files.extend(found)
        pending.extend((root, sub) for sub in subdirs)
    if not pending:
        for target in files:
            scan_file(target, options, result)
        return result
    result.merge(_scan_parallel(files, pending, options, rules, jobs))
    return result


def _scan_parallel(
    files: list[Target], dirs: list[tuple[str, _Dir]], options: Options, rules: WalkRules, jobs: int
) -> ScanResult:
    import multiprocessing
    import queue

    get_prefilter()  # load the pattern database once, before the workers fork
    ctx = multiprocessing.get_context("fork")
    # Queue, not SimpleQueue: its put never blocks (a feeder thread writes the pipe), so
    # processes queueing subdirectories cannot deadlock each other on a full pipe
    tasks: Queue[_Task | None] = ctx.Queue()
    results: Queue[ScanResult] = ctx.Queue()
    pending: Synchronized[int] = ctx.Value("l", 0)
    initial: list[_Task] = [("files", files[i : i + _BATCH]) for i in range(0, len(files), _BATCH)]
    initial += [("dir", d) for d in dirs]
    pending.value = len(initial)
    for task in initial:
        tasks.put(task)
    workers = [
        ctx.Process(target=_worker, args=(tasks, results, pending, options, rules, jobs), daemon=True)
        for _ in range(jobs)
    ]
    merged = ScanResult()
    received = 0
    restore = stop_on_sigterm()
    try:
        for w in workers:
            w.start()
        while received < len(workers):
            try:
                merged.merge(results.get(timeout=0.5))
                received += 1
            except queue.Empty:
                if not any(w.is_alive() for w in workers):  # killed (out of memory?): say so, do not hang
                    merged.errors.append("a scanning process died; the scan is incomplete")
                    break
        for w in workers:
            w.join(timeout=5)
    finally:  # Ctrl-C, SIGTERM or an error here: no worker outlives the scan
        restore()
        for w in workers:
            if w.is_alive():
                w.terminate()
        for w in workers:
            if w.pid is not None:
                w.join(timeout=2)
                if w.is_alive():
                    w.kill()
                    w.join(timeout=2)
    return merged


def stop_on_sigterm() -> Callable[[], None]:
    """While workers run, SIGTERM interrupts the parent like Ctrl-C, so it stops them; returns
    the function that puts the previous handler back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


_Task = tuple[str, Any]  # ("dir", (root, (rel_dir, chain))) or ("files", [Target, ...])


def _worker(
    tasks: Queue[_Task | None],
    results: Queue[ScanResult],
    pending: Synchronized[int],
    options: Options,
    rules: WalkRules,
    jobs: int,
) -> None:
    """A scanning process: takes a directory (or a batch of files), queues its subdirectories
    for any process to take, scans its files. The last one to finish a task stops them all."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    result = ScanResult()
    filt = Filter(rules)
    get, put = tasks.get, tasks.put
    lock = pending.get_lock()
    try:
        while True:
            task = get()
            if task is None:
                break
            kind, payload = task
            if kind == "dir":
                root, (rel_dir, chain) = payload
                found, subdirs = list_dir(root, rel_dir, filt, result, chain)
                # a big directory is shared out in batches: one process must not get it all
                spill = [found[i : i + _BATCH] for i in range(_BATCH, len(found), _BATCH)]
                found = found[:_BATCH]
                if subdirs or spill:
                    with lock:  # counted before they are queued, so the count never drops to 0 early
                        pending.value += len(subdirs) + len(spill)
                    for batch in spill:
                        put(("files", batch))
                    for sub in subdirs:
                        put(("dir", (root, sub)))
            else:
                found = payload
            for target in found:
                scan_file(target, options, result)
            with lock:
                pending.value -= 1
                finished = pending.value == 0
            if finished:
                for _ in range(jobs):
                    put(None)
    except BaseException as exc:  # never lose the partial result; never a traceback
        result.errors.append(f"internal error in a scanning process ({type(exc).__name__})")
        for _ in range(jobs):
            put(None)
    from nsecguard import output

    result.secrets = set(output.secrets())  # the parent's boundary must know what we saw
    results.put(result)
