"""The protocol stream through the output boundary, frame by frame.

LSP frames are `Content-Length: N\r\n\r\n` and N bytes of JSON. The boundary's line-based byte
stream would hold a body (it ends without a newline) until the next frame, and a scrubbed body
changes length. So frames are collected whole here, their body scrubbed by the boundary, and
the header written anew for the body as it leaves.
"""

from __future__ import annotations

from typing import IO

from nsecguard import output

_HEADER_END = b"\r\n\r\n"


class FramedScrubber:
    """A binary stream for pygls' writer: whole frames out, each body scrubbed."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._pending = b""

    def write(self, data: bytes) -> int:
        self._pending += bytes(data)
        while True:
            end = self._pending.find(_HEADER_END)
            if end < 0:
                return len(data)
            length = _content_length(self._pending[:end])
            start = end + len(_HEADER_END)
            if length is None:  # not a frame we understand: scrub it and pass it on as it is
                self._emit(output.scrub_bytes(self._pending))
                self._pending = b""
                return len(data)
            if len(self._pending) < start + length:
                return len(data)
            body = output.scrub_bytes(self._pending[start : start + length])
            self._pending = self._pending[start + length :]
            self._emit(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def _emit(self, frame: bytes) -> None:
        self._raw.write(frame)
        self._raw.flush()

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        self._raw.close()


def _content_length(header: bytes) -> int | None:
    for line in header.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None
