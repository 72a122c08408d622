"""Whole-blob scans of a history scan on other cores, with their findings back in order.

Most file diffs cost one prefilter call; the few whose added lines hold a hex or base64
candidate need their whole new blob judged (a `Cargo.lock` changed in 300 commits is 300 scans
of some 400 checksums each), and that is where a history scan spends its time. `Ordered` hands
those jobs to worker processes, each with its own `git cat-file --batch`, while this process
goes on cutting the `git log -p` stream, and gives every unit's findings back in the order the
units came: the report is the same as a scan in one process.

A worker that fails or dies costs nothing but time: its jobs are run here instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nsecguard.model import Finding
from nsecguard.sources.files import stop_on_sigterm
from nsecguard.sources.git import Blobs, ContextJob, context_findings

if TYPE_CHECKING:
    from multiprocessing.context import ForkProcess
    from multiprocessing.queues import Queue

    from nsecguard.engine import Options

log = logging.getLogger("nsecguard.sources.history_pool")

START_AFTER = 8  # whole-blob jobs run here before workers are worth starting
MAX_OUTSTANDING = 64  # jobs per worker in flight at most (memory stays flat)

T = TypeVar("T")
# ticket, findings (None: failed), secrets, what `collect` gathered in the worker (clues)
_Result = tuple[int, "list[Finding] | None", "frozenset[str]", object]


class Pool:
    """`jobs` processes scanning `ContextJob`s; results by ticket, in any order."""

    def __init__(
        self,
        cwd: str,
        options: Options,
        jobs: int,
        close_fds: tuple[int, ...] = (),
        collect: Callable[[], object] | None = None,
    ) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._tasks: Queue[tuple[int, ContextJob] | None] = ctx.Queue()
        self._results: Queue[_Result] = ctx.Queue()
        self._workers: list[ForkProcess] = [
            ctx.Process(
                target=_worker,
                args=(self._tasks, self._results, cwd, options, close_fds, collect),
                daemon=True,
            )
            for _ in range(jobs)
        ]
        self.jobs = jobs
        self.broken = False
        self.secrets: set[str] = set()  # what the workers' boundaries saw, for this one's
        self._waiting: dict[int, ContextJob] = {}
        self._done: dict[int, list[Finding] | None] = {}
        self.collected: dict[int, object] = {}  # ticket -> what the worker's `collect` gave
        self._restore = stop_on_sigterm()  # SIGTERM interrupts us like Ctrl-C: close() runs
        try:
            for w in self._workers:
                w.start()
        except BaseException:
            self.close()
            raise

    def submit(self, ticket: int, job: ContextJob) -> None:
        self._waiting[ticket] = job
        self._tasks.put((ticket, job))

    def result(self, ticket: int, block: bool) -> tuple[bool, list[Finding] | None]:
        """(True, findings) once the ticket's job is done (findings None: run it again here),
        (False, None) while it is not and `block` is false."""
        import queue

        while ticket not in self._done:
            if self.broken:
                self._done[ticket] = None
                break
            try:
                got = self._results.get(block=block, timeout=0.5 if block else None)
            except queue.Empty:
                if not block:
                    return False, None
                if not all(w.is_alive() for w in self._workers):  # its jobs will never come back
                    log.warning("a history scanning process died; scanning on in this one")
                    self.broken = True
                continue
            done, findings, secrets, collected = got
            self._done[done] = findings
            self.secrets |= secrets
            if collected is not None and findings is not None:
                self.collected[done] = collected
        self._waiting.pop(ticket, None)
        return True, self._done.pop(ticket)

    def close(self, abort: bool = False) -> None:
        """Stop the workers: at once when `abort` (an interrupted scan) or broken, else once
        they have seen the end of the queue."""
        self._tasks.cancel_join_thread()  # never wait at exit to write to a queue no one reads
        if not (abort or self.broken):
            for _ in self._workers:
                try:
                    self._tasks.put(None)
                except (OSError, ValueError):
                    break
        for w in self._workers:
            if abort or self.broken:
                w.terminate()
            w.join(timeout=2)
            if w.is_alive():
                w.terminate()
                w.join(timeout=2)
                if w.is_alive():
                    w.kill()
                    w.join(timeout=2)
        self._tasks.close()
        self._results.close()
        self._restore()


def _worker(
    tasks: Queue[tuple[int, ContextJob] | None],
    results: Queue[_Result],
    cwd: str,
    options: Options,
    close_fds: tuple[int, ...],
    collect: Callable[[], object] | None = None,
) -> None:
    import signal

    from nsecguard import output

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in close_fds:  # the parent's pipes to git: its children must see them close
        with contextlib.suppress(OSError):
            os.close(fd)
    import queue

    parent = os.getppid()
    blobs = Blobs(cwd)
    told = set(output.secrets())
    try:
        while True:
            try:
                task = tasks.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the parent was killed: nobody will read our results
                    break
                continue
            if task is None:
                break
            ticket, job = task
            try:
                findings: list[Finding] | None = context_findings(job, blobs, options)
            except Exception as exc:  # never a traceback (it could hold a key): the parent retries
                log.debug("history worker: %s", type(exc).__name__)
                findings = None
            collected = collect() if collect is not None else None  # always: never carried over
            seen = output.secrets()
            new = frozenset(seen - told) if len(seen) != len(told) else frozenset()
            told |= new
            results.put((ticket, findings, new, collected))
    finally:
        blobs.close()


class Ordered(Generic[T]):
    """Units of a history scan, each with the findings it gives, released in the order they
    were added. Units with a `ContextJob` go to a `Pool` once `START_AFTER` of them were seen
    (and `jobs` > 1); `run_here` runs a job in this process (before the pool starts, and
    whenever a worker failed). With `collect`, what it gathers after each job (in this process
    or the worker's: the clues of proof across files) goes to `on_collected(unit, it)`."""

    def __init__(
        self,
        run_here: Callable[[ContextJob], list[Finding]],
        start: Callable[[], Pool],
        jobs: int,
        *,
        collect: Callable[[], Any] | None = None,
        on_collected: Callable[[T, Any], None] | None = None,
    ) -> None:
        self._collect = collect
        self._on_collected = on_collected
        self._run_here = run_here
        self._start = start
        self._jobs = jobs if sys.platform != "win32" else 1
        self._seen_jobs = 0
        self.pool: Pool | None = None
        self._queue: deque[tuple[T, list[Finding] | int, ContextJob | None]] = deque()
        self._ticket = 0

    def add(self, unit: T, planned: list[Finding] | ContextJob) -> Iterator[tuple[T, list[Finding]]]:
        """Add a unit; yields every unit (this one included) whose findings are now known, in
        order."""
        if isinstance(planned, ContextJob):
            self._seen_jobs += 1
            if self.pool is None and self._jobs > 1 and self._seen_jobs > START_AFTER:
                self.pool = self._start()
            if self.pool is not None and not self.pool.broken:
                self._ticket += 1
                self.pool.submit(self._ticket, planned)
                self._queue.append((unit, self._ticket, planned))
                if len(self._queue) > MAX_OUTSTANDING * self.pool.jobs:
                    yield from self._release(block_first=True)
                yield from self._release(block_first=False)
                return
            planned = self._here(unit, planned)
        if self._queue:
            if planned:
                self._queue.append((unit, planned, None))
            yield from self._release(block_first=False)
        elif planned:
            yield unit, planned

    def _here(self, unit: T, job: ContextJob) -> list[Finding]:
        findings = self._run_here(job)
        if self._collect is not None and self._on_collected is not None:
            self._on_collected(unit, self._collect())
        return findings

    def finish(self) -> Iterator[tuple[T, list[Finding]]]:
        """Every unit still waiting, in order."""
        while self._queue:
            yield from self._release(block_first=True)

    def _release(self, block_first: bool) -> Iterator[tuple[T, list[Finding]]]:
        block = block_first
        while self._queue:
            unit, pending, job = self._queue[0]
            if isinstance(pending, int):
                assert self.pool is not None and job is not None
                ready, findings = self.pool.result(pending, block)
                if not ready:
                    return
                if findings is None:
                    findings = self._here(unit, job)
                elif self._on_collected is not None:
                    self._on_collected(unit, self.pool.collected.pop(pending, None))
            else:
                findings = pending
            self._queue.popleft()
            block = False
            if findings:
                yield unit, findings


def fds_of(*streams: Any) -> tuple[int, ...]:
    """The file descriptors of `streams` that are open (for a worker to close)."""
    out: list[int] = []
    for s in streams:
        try:
            if s is not None:
                out.append(s.fileno())
        except (OSError, ValueError, AttributeError):
            pass
    return tuple(out)
