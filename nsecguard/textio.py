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
    sample = head[:_SAMPLE]
    for encoding in ("utf-32-le", "utf-32-be"):
        if _decodes_to_text(sample, encoding, 4):
            return encoding
    # UTF-16: most zero bytes are the high bytes of ASCII characters (spaces, newlines, digits,
    # the key itself), even in Chinese or Japanese text; a binary file's zeros stand anywhere
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    for encoding, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high >= 1.5 * low and _decodes_to_text(sample, encoding, 2):
            return encoding
    return None


_SAMPLE = 4096


def _decodes_to_text(sample: bytes, encoding: str, width: int) -> bool:
    """Is `sample` text in `encoding` (no BOM)? It must decode strictly (a binary file read as
    UTF-16 meets an unpaired surrogate within a few hundred characters, as UTF-32 a value past
    U+10FFFF) to printable characters (tables of small numbers decode to control characters).
    Mostly-CJK UTF-16, with few zero bytes, passes as well as mostly-ASCII UTF-16."""
    n = len(sample) - len(sample) % width
    if n < 4 * width:
        return False
    try:
        text = sample[:n].decode(encoding)
    except UnicodeDecodeError as exc:  # a character cut at the sample's end is no reason
        if exc.start < n - 4:
            return False
        text = sample[: exc.start].decode(encoding)
    if not text:
        return False
    printable = sum(1 for c in text if c.isprintable() or c in "\t\n\r")
    return printable >= 0.95 * len(text)


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
