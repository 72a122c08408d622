"""Scanning input of any size in bounded memory.

Chunks are scanned with an overlap, so a key across a chunk border is still found, and each
finding is reported once: a hit that ends inside the overlap was already reported with the
previous chunk. Line numbers carry across chunks. Proof of a hex key by its public key is
looked for within the chunk and its overlap (for files larger than one chunk).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nsecguard.engine import DEFAULT_OPTIONS, Options, find_hits, to_findings
from nsecguard.model import Finding

CHUNK = 8 << 20
OVERLAP = 64 << 10
GUARD = 8 << 10  # a hit ending this close to a chunk's end may be cut short: wait for the next


def scan_chunks(
    chunks: Iterable[bytes],
    *,
    path: str,
    options: Options = DEFAULT_OPTIONS,
    known_pubkeys: Iterable[bytes] = (),
) -> Iterator[Finding]:
    known = frozenset(known_pubkeys)
    tail = b""
    lines_before = 0  # newlines before the start of `tail`
    first_column = 0  # characters of the line that `tail` starts inside, before it
    reported_upto = 0  # offset in `buf` up to which hits were already reported
    pending = iter(chunks)
    upcoming = next(pending, None)
    while upcoming is not None:
        chunk, upcoming = upcoming, next(pending, None)
        buf = tail + chunk if tail else chunk
        limit = len(buf) if upcoming is None else max(reported_upto, len(buf) - GUARD)
        hits = [h for h in find_hits(buf, known, options=options) if reported_upto < h.end <= limit]
        if hits:
            yield from to_findings(
                buf, hits, path=path, options=options, line_offset=lines_before, first_column=first_column
            )
        if upcoming is None:
            break
        cut = max(0, len(buf) - OVERLAP)
        newline = buf.find(b"\n", cut)
        if 0 <= newline < len(buf) - OVERLAP // 2:
            cut = newline + 1  # keep whole lines in the overlap, so columns stay right
        lines_before += buf.count(b"\n", 0, cut)
        line_start = buf.rfind(b"\n", 0, cut) + 1
        carried = len(buf[line_start:cut].decode("utf-8", "replace"))
        first_column = carried + (first_column if line_start == 0 else 0)
        tail = buf[cut:]
        reported_upto = limit - cut


def read_chunks(fh: object, first: bytes = b"", size: int = CHUNK) -> Iterator[bytes]:
    """`first` (already read), then the rest of a binary file object in chunks."""
    if first:
        yield first
    read = fh.read  # type: ignore[attr-defined]
    while True:
        chunk: bytes = read(size)
        if not chunk:
            return
        yield chunk
