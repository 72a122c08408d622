"""Bytes as the engine wants them: text sniffed, UTF-16/32 decoded, binaries recognised.

Keys are ASCII, so the engine reads UTF-8 and any ASCII-compatible encoding as raw bytes
(invalid UTF-8 is harmless). UTF-16 and UTF-32 (as Windows editors write them, with a BOM, or
recognisable by their zero bytes) are transcoded to UTF-8 first. Anything else holding NUL bytes
is binary.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

SNIFF_BYTES = 8192

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

BOM_STARTS = frozenset(bom[:2] for bom, _ in _BOMS)


def sniff(head: bytes) -> str | None:
    """The encoding to transcode from, "" for bytes to scan as they are, None for binary."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\0" not in head[:SNIFF_BYTES]:
        return ""
    # UTF-16 without a BOM: mostly-ASCII text has a zero in every other byte (1 KiB tells)
    sample = head[:1024]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 16:
        if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def transcode(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """UTF-8 bytes from chunks in `encoding`, decoded incrementally (a BOM is dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    first = True
    for chunk in chunks:
        text = decoder.decode(chunk)
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        if text:
            yield text.encode("utf-8", "surrogatepass")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8", "surrogatepass")
