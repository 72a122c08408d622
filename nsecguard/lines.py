"""Where a finding stands: byte offsets as line, column and character offsets, answered in
linear time however many findings one line holds."""

from __future__ import annotations

import bisect

INLINE_ALLOW = (b"nsecguard: allow", b"nsecguard:allow")


class Lines:
    """Line, column and inline-allow of offsets, for buffers that have findings. Every query
    costs O(log lines) plus the distance from the previous query on the same line (queries come
    in increasing order), so thousands of findings on one minified line stay linear."""

    def __init__(self, data: bytes, first_column: int = 0) -> None:
        self.data = data
        self.first_column = first_column  # characters of the first line before `data` starts
        self._starts: list[int] | None = None
        self._cursor = (-1, 0, 0)  # (line index, offset, column) of the last query
        self._allowed: dict[int, bool] = {}

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self.data.find
            pos = find(b"\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._starts = starts
        return self._starts

    def _index(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def locate(self, offset: int) -> tuple[int, int]:
        index = self._index(offset)
        line_start = self.starts[index]
        last_index, last_offset, last_column = self._cursor
        if last_index == index and last_offset <= offset:
            begin, column = last_offset, last_column  # continue along the same line
        else:
            begin, column = line_start, 1 + (self.first_column if index == 0 else 0)
        column += len(self.data[begin:offset].decode("utf-8", "replace"))
        self._cursor = (index, offset, column)
        return index + 1, column

    def allowed(self, offset: int) -> bool:
        """Does the offset's line carry an inline `nsecguard: allow`? (Answered once a line.)"""
        index = self._index(offset)
        known = self._allowed.get(index)
        if known is None:
            start = self.starts[index]
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.data)
            known = any(self.data.find(tag, start, end) >= 0 for tag in INLINE_ALLOW)
            self._allowed[index] = known
        return known


class CharOffsets:
    """Byte offsets into UTF-8 `data` as character offsets. Queries mostly come in increasing
    order (findings sorted by start, each end soon after): each decodes only the distance from
    the nearest earlier query, so many findings cost one pass over the text, not one each."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._known: list[tuple[int, int]] = [(0, 0)]  # (byte offset, char offset), sorted

    def __call__(self, offset: int) -> int:
        known = self._known
        i = bisect.bisect_right(known, (offset, 1 << 62)) - 1
        base, chars = known[i]
        chars += len(self.data[base:offset].decode("utf-8", "surrogatepass"))
        if i == len(known) - 1:
            known.append((offset, chars))
        return chars
