"""What the workflow suite needs from a platform under test, and fault injection for any.

A `Harness` is one platform with a bot account (its `transport`) and one user: the suite sends
as the user, and asks the platform (as the user, or as an onlooker) what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nsecguard.chat.message import Message
from nsecguard.chat.transport import Transport, Unavailable


class Harness(Protocol):
    transport: Transport
    user: str  # the user who sends
    settle: float  # seconds after which nothing more is on its way (for "exactly one" checks)

    async def room(self, *, power: bool = True) -> str:
        """A fresh room with the bot in it (able to remove messages, or not) and the user."""
        ...

    async def direct_room(self) -> str:
        """A 1:1 chat between the user and the bot."""
        ...

    async def send(
        self,
        room: str,
        text: str,
        *,
        formatted: str | None = None,
        edit_of: Message | None = None,
        from_bot: bool = False,
        direct: bool = False,
    ) -> Message:
        """The user (or another bot, `from_bot`) posts; the `Message` as the adapter sees it."""
        ...

    async def removed(self, msg: Message) -> bool:
        """Others can no longer read `msg`."""
        ...

    async def room_posts(self, room: str) -> list[str]:
        """The bot's messages in `room` other than notes to moderators, as the user sees them."""
        ...

    async def moderator_notes(self, room: str) -> list[str]:
        """What the bot told the moderators of `room`."""
        ...

    async def warnings(self) -> list[str]:
        """The private warnings the user received."""
        ...


class Crash(BaseException):
    """The process dies here (nothing in the guard catches a BaseException)."""


class Faulty:
    """Wraps a transport: `faults[method]` lists what its next calls do: "ok",
    "unavailable" (raises before acting), "crash-before", "crash-after" (acts, then dies)."""

    def __init__(self, inner: Transport, faults: dict[str, Sequence[str]]) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.faults = {k: list(v) for k, v in faults.items()}
        self.calls: dict[str, int] = {}

    async def _call(self, name: str, *args: object, **kwargs: object) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        todo = self.faults.get(name) or ["ok"]
        action = todo.pop(0) if self.faults.get(name) else "ok"
        if action == "unavailable":
            raise Unavailable("injected")
        if action == "crash-before":
            raise Crash(name)
        await getattr(self.inner, name)(*args, **kwargs)
        if action == "crash-after":
            raise Crash(name)

    async def can_remove(self, msg: Message) -> bool:
        return await self.inner.can_remove(msg)

    async def remove(self, msg: Message, reason: str) -> None:
        await self._call("remove", msg, reason)

    async def post(
        self, room: str, text: str, html: str | None, mentions: Sequence[str], *, key: str
    ) -> None:
        await self._call("post", room, text, html, mentions, key=key)

    async def warn_privately(self, user: str, text: str, html: str | None, *, key: str) -> None:
        await self._call("warn_privately", user, text, html, key=key)

    async def notify_moderators(self, room: str, text: str, html: str | None, *, key: str) -> None:
        await self._call("notify_moderators", room, text, html, key=key)

    async def display_name(self, room: str, user: str) -> str | None:
        return await self.inner.display_name(room, user)

    def mention_npub(self, npub: str) -> tuple[str, str | None]:
        return self.inner.mention_npub(npub)

    def mention_user(self, user: str, name: str | None) -> tuple[str, str | None]:
        return self.inner.mention_user(user, name)
