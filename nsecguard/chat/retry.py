"""One retry and rate-limit policy for every step the guard takes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from nsecguard.chat.transport import Unavailable

log = logging.getLogger("nsecguard.chat")
T = TypeVar("T")


@dataclass
class RetryPolicy:
    """`attempts` tries in all, waiting `first_delay`, then twice as long each time, at most
    `max_delay` (or what the server asked for, within `max_delay`). `Refused` and any other
    error are not retried. `room_interval`: the least time between two posts to one room
    (under a flood, the server's time goes to removals first)."""

    attempts: int = 5
    first_delay: float = 0.5
    max_delay: float = 15.0
    room_interval: float = 0.0
    _last_post: dict[str, float] = field(default_factory=dict, repr=False)

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """The wait before try number `attempt + 1` (attempt counts from 1)."""
        wait: float = self.first_delay * 2.0 ** (attempt - 1)
        if asked is not None:
            wait = max(wait, asked)
        return min(wait, self.max_delay)

    async def run(self, what: str, step: Callable[[], Awaitable[T]]) -> T:
        """`step()`, tried again on `Unavailable`; the last `Unavailable` is raised."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await step()
            except Unavailable as exc:
                if attempt == self.attempts:
                    raise
                wait = self.delay(attempt, exc.retry_after)
                log.warning(
                    "%s: unavailable (%s), try %d in %.1f s", what, type(exc).__name__, attempt + 1, wait
                )
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def pace(self, room: str) -> None:
        """Wait until a post to `room` keeps `room_interval` from the last one."""
        if self.room_interval <= 0:
            return
        now = time.monotonic()
        at = max(now, self._last_post.get(room, 0.0) + self.room_interval)
        self._last_post[room] = at
        if at > now:
            await asyncio.sleep(at - now)
