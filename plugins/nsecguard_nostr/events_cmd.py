"""`nsecguard events [FILE|-]...`: every leaked key in an archive of newline-delimited events.

Streams: memory stays flat whatever the archive's size (only the few leaky events are kept).
gzip, bzip2 and xz are recognised by their magic bytes. Blocks of whole lines go to worker
processes (`--jobs`), each running the same pure `archive.scan_blob`; results merge as they come.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import itertools
import json
import lzma
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import IO, Any, TextIO

from nsecguard.engine import Options
from nsecguard.errors import EXIT_CLEAN, EXIT_FINDINGS, FatalError
from nsecguard_nostr.archive import Aggregate, KeyRecord, scan_blob
from nsecguard_nostr.event import EventFilter

BLOCK = 1 << 20
_MAGIC: tuple[tuple[bytes, Any], ...] = (
    (b"\x1f\x8b", gzip.GzipFile),
    (b"BZh", bz2.BZ2File),
    (b"\xfd7zXZ\x00", lzma.LZMAFile),
)


def open_input(path: str) -> IO[bytes]:
    """The decompressed bytes of `path` (`-`: stdin), whatever the compression."""
    try:
        raw: Any = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise FatalError(f"cannot read {path}: {exc.strerror}") from None
    head = raw.peek(6)[:6]
    for magic, opener in _MAGIC:
        if head.startswith(magic):
            stream: IO[bytes] = opener(fileobj=raw)
            return stream
    return raw  # type: ignore[no-any-return]


MAX_LINE = 64 << 20  # a longer line is skipped (counted as malformed): memory stays bounded


def blocks(stream: IO[bytes], size: int = BLOCK, max_line: int = MAX_LINE) -> Iterator[bytes]:
    """Blocks of whole lines, each about `size` bytes. A line longer than `max_line` is dropped
    and stands as one line `\x00` (malformed) in its block, however long the stream."""
    rest: list[bytes] = []  # the start of a line, in pieces (joined once it is whole)
    rest_size = 0
    skipping = False
    while True:
        try:
            data = stream.read(size)
        except (OSError, EOFError) as exc:
            raise FatalError(f"cannot decompress the input: {type(exc).__name__}") from None
        if not data:
            break
        cut = data.rfind(b"\n")
        if skipping:
            first = data.find(b"\n")
            if first < 0:
                continue
            data, cut, skipping = b"\x00" + data[first:], cut - first + 1, False
        if cut < 0:
            rest.append(data)
            rest_size += len(data)
            if rest_size > max_line:
                rest, rest_size, skipping = [], 0, True
            continue
        rest.append(data[: cut + 1])
        yield b"".join(rest)
        tail = data[cut + 1 :]
        rest, rest_size = ([tail], len(tail)) if tail else ([], 0)
    if skipping:
        rest = [b"\x00"]
    if rest:
        yield b"".join(rest)


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.start = self.last = time.monotonic()

    def update(self, agg: Aggregate, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        rate = agg.events / max(now - self.start, 1e-9) * 60
        self.stream.write(
            f"\r{agg.events:,} events, {agg.leaky_events:,} leaky, {len(agg.keys):,} keys "
            f"({rate:,.0f} events/min)\x1b[K"
        )
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def scan_streams(
    paths: list[str], filt: EventFilter, options: Options, jobs: int, progress: Progress
) -> Aggregate:
    total = Aggregate()
    for path in paths:
        with open_input(path) as stream:
            source = blocks(stream)
            first = next(source, None)
            if first is None:
                continue
            second = next(source, None)
            if second is None or jobs <= 1:  # a small input, or asked to: no worker processes
                for blob in itertools.chain([first], [] if second is None else [second], source):
                    total.merge(scan_blob(blob, filt, options))
                    progress.update(total)
            else:
                _scan_parallel(itertools.chain([first, second], source), total, filt, options, jobs, progress)
    progress.update(total, force=True)
    progress.done()
    return total


def _scan_parallel(
    source: Iterator[bytes],
    total: Aggregate,
    filt: EventFilter,
    options: Options,
    jobs: int,
    progress: Progress,
) -> None:
    in_flight: list[Future[Aggregate]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for blob in source:
            in_flight.append(pool.submit(scan_blob, blob, filt, options))
            while len(in_flight) >= 2 * jobs:  # bounded: memory stays flat
                total.merge(in_flight.pop(0).result())
                progress.update(total)
        for future in in_flight:
            total.merge(future.result())
            progress.update(total)


def write_text(agg: Aggregate, out: TextIO, max_ids: int, elapsed: float | None) -> None:
    took = f" in {elapsed:.1f} s" if elapsed is not None else ""
    malformed = f" ({agg.malformed:,} malformed lines skipped)" if agg.malformed else ""
    if agg.unjudged:
        malformed += f" ({agg.unjudged:,} malformed events could not be checked)"
    own = sum(1 for r in agg.keys.values() if r.own_events)
    print(
        f"nsecguard events: {agg.events:,} events{malformed}{took}: {agg.leaky_events:,} leaky events, "
        f"{len(agg.keys):,} leaked secrets ({own:,} exposed by their owners)",
        file=out,
    )
    for record in agg.sorted_keys():
        print(file=out)
        _write_record(record, out, max_ids)


def _write_record(record: KeyRecord, out: TextIO, max_ids: int) -> None:
    data = record.to_dict(max_ids)
    name = data["npub"] or f"secret {data['fingerprint']} (no public key)"
    own = " — posted by its owner" if data["own_key"] else ""
    print(f"{name} [{', '.join(data['kinds'])}, {data['severity']}]{own}", file=out)
    span = data["first_seen_utc"] or "?"
    if data["last_seen_utc"] != data["first_seen_utc"]:
        span += f" to {data['last_seen_utc'] or '?'}"
    events = data["events"]
    print(
        f"  exposed in {events:,} event{'s' if events != 1 else ''} by {data['authors']:,} "
        f"author{'s' if data['authors'] != 1 else ''}, {span}; in {', '.join(data['where'])}",
        file=out,
    )
    more = f" (and {data['event_ids_omitted']:,} more)" if data["event_ids_omitted"] else ""
    print(f"  events: {', '.join(data['event_ids'])}{more}", file=out)


def _write_report(agg: Aggregate, out: TextIO, args: argparse.Namespace, elapsed: float) -> None:
    if args.format == "json":
        json.dump(agg.to_dict(args.max_ids), out, indent=2)
        out.write("\n")
    else:
        write_text(agg, out, args.max_ids, elapsed)


def run(args: argparse.Namespace, filt: EventFilter, options: Options) -> int:
    paths: list[str] = args.paths or ["-"]
    started = time.monotonic()
    if args.dask:
        from nsecguard_nostr.dask_scan import scan_paths

        if "-" in paths:
            raise FatalError("--dask reads files or URLs, not stdin")
        agg = scan_paths(paths, scheduler=args.dask, filt=filt, options=options)
    else:
        jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
        agg = scan_streams(paths, filt, options, max(1, jobs), Progress(sys.stderr, args.progress))
    elapsed = time.monotonic() - started
    if args.output:
        from nsecguard.output import open_report

        with open_report(args.output) as out:  # through the output boundary, written atomically
            _write_report(agg, out, args, elapsed)
    else:
        _write_report(agg, sys.stdout, args, elapsed)
    return EXIT_FINDINGS if agg.keys else EXIT_CLEAN
