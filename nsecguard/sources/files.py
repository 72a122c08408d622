"""Files and directories: walk, filter, read (streamed), scan; on all cores for big trees."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from nsecguard import textio
from nsecguard.engine import DEFAULT_OPTIONS, Options, find_hits, to_findings
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


class Excluder:
    """Glob patterns, compiled once. A pattern matches a path relative to the scan root, or a
    bare name anywhere (`*.min.js`, `node_modules`); `dir/**` and `dir/` exclude a subtree."""

    def __init__(self, patterns: Sequence[str]) -> None:
        rel_parts: list[str] = []
        name_parts: list[str] = []
        for pattern in patterns:
            pat = pattern.strip().rstrip("/")
            if pat.endswith("/**"):
                pat = pat[:-3]
            if not pat:
                continue
            if "/" in pat:
                rel_parts.append(fnmatch.translate(pat.lstrip("/")))
            else:
                name_parts.append(fnmatch.translate(pat))
        self._rel = re.compile("|".join(rel_parts)).match if rel_parts else None
        self._name = re.compile("|".join(name_parts)).match if name_parts else None

    def __bool__(self) -> bool:
        return self._rel is not None or self._name is not None

    def __call__(self, rel: str, name: str) -> bool:
        return bool((self._name and self._name(name)) or (self._rel and self._rel(rel)))


def _join(shown_root: str, rel: str) -> str:
    if shown_root in (".", "./", ""):
        return rel
    return shown_root.rstrip("/") + "/" + rel


def walk(
    roots: Iterable[str], exclude: Sequence[str], notes: list[str], errors: list[str]
) -> Iterator[Target]:
    """Files under `roots`, depth first, skipping `.git/`, excluded globs and directory links
    (so link loops cannot hang the walk). A file named on the command line is always read."""
    excluded = Excluder(exclude)
    for root in roots:
        try:
            st = os.stat(root)
        except FileNotFoundError:
            if os.path.islink(root):
                notes.append(f"{root}: broken symbolic link, skipped")
            else:
                errors.append(f"{root}: no such file or directory")
            continue
        except OSError as exc:
            errors.append(f"{root}: cannot read ({exc.strerror})")
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Target((root, root))
            continue
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            fs_dir = os.path.join(root, rel_dir) if rel_dir else root
            try:
                with os.scandir(fs_dir) as it:
                    entries = sorted(it, key=lambda e: e.name, reverse=True)
            except OSError as exc:
                errors.append(f"{_join(root, rel_dir) or root}: cannot list directory ({exc.strerror})")
                continue
            subdirs: list[str] = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if excluded and excluded(rel, entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            subdirs.append(rel)
                        continue
                    if entry.is_symlink():
                        if not os.path.exists(entry.path):
                            notes.append(f"{_join(root, rel)}: broken symbolic link, skipped")
                            continue
                        if os.path.isdir(entry.path):
                            notes.append(f"{_join(root, rel)}: link to a directory, not followed")
                            continue
                except OSError as exc:
                    errors.append(f"{_join(root, rel)}: cannot read ({exc.strerror})")
                    continue
                yield Target((entry.path, _join(root, rel)))
            stack.extend(reversed(subdirs))


def scan_file(target: Target, options: Options) -> ScanResult:
    result = ScanResult()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then skips it)
        fd = os.open(target.fs, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                result.notes.append(f"{target.shown}: not a regular file, skipped")
            elif st.st_size < CHUNK:
                _scan_small(os.read(fd, CHUNK), target.shown, options, result)
            else:
                with os.fdopen(os.dup(fd), "rb") as fh:
                    scan_stream(fh, target.shown, options, result)
        finally:
            os.close(fd)
    except FileNotFoundError:
        result.notes.append(f"{target.shown}: vanished or broken link, skipped")
    except IsADirectoryError:
        result.notes.append(f"{target.shown}: a directory, skipped")
    except OSError as exc:
        result.errors.append(f"{target.shown}: cannot read ({exc.strerror or type(exc).__name__})")
    return result


def _scan_small(data: bytes, shown: str, options: Options, result: ScanResult) -> None:
    """The common case, kept lean: a file read whole, plain text."""
    if len(data) >= CHUNK or b"\0" in data[: textio.SNIFF_BYTES] or data[:2] in textio.BOM_STARTS:
        scan_stream(io.BytesIO(data), shown, options, result)  # binary, UTF-16/32, or grew
        return
    result.scanned += 1
    result.scanned_bytes += len(data)
    hits = find_hits(data, options=options)
    if hits:
        result.findings.extend(to_findings(data, hits, path=shown, options=options))


def scan_stream(fh: BinaryIO, shown: str, options: Options, result: ScanResult) -> None:
    """Scan one binary stream (a file, stdin) into `result`."""
    head = fh.read(CHUNK)
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


def _scan_batch(batch: list[Target]) -> ScanResult:
    result = ScanResult()
    for target in batch:
        result.merge(scan_file(target, _WORKER_OPTIONS))
    return result


_WORKER_OPTIONS: Options = DEFAULT_OPTIONS


def _init_worker(options: Options) -> None:
    global _WORKER_OPTIONS
    _WORKER_OPTIONS = options


def scan_paths(
    roots: Sequence[str], options: Options, exclude: Sequence[str] = (), jobs: int | None = None
) -> ScanResult:
    """Scan files and directory trees. Big trees are read by one process per core, fed while
    the walk goes on; small inputs are scanned in this process (no start-up cost)."""
    result = ScanResult()
    targets = walk(roots, exclude, result.notes, result.errors)
    jobs = jobs or os.cpu_count() or 1
    first: list[Target] = []
    for target in targets:
        first.append(target)
        if len(first) >= _PARALLEL_MIN_FILES:
            break
    if jobs <= 1 or len(first) < _PARALLEL_MIN_FILES or sys.platform == "win32":
        for target in [*first, *targets]:
            result.merge(scan_file(target, options))
        return result
    import multiprocessing

    def batches() -> Iterator[list[Target]]:
        for i in range(0, len(first), _BATCH):
            yield first[i : i + _BATCH]
        batch: list[Target] = []
        for target in targets:
            batch.append(target)
            if len(batch) >= _BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    from nsecguard.candidates import get_prefilter

    get_prefilter()  # load the pattern database once, before the workers fork
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(options,)) as pool:
        for part in pool.imap_unordered(_scan_batch, batches()):
            result.merge(part)
    return result
