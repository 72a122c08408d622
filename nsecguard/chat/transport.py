"""What a platform must offer the guard. An adapter implements `Transport`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nsecguard.chat.message import Message


class Refused(Exception):
    """The server said no for good (no power, message gone elsewhere): not tried again."""


class Unavailable(Exception):
    """The server could not do it now; another try may pass. `retry_after`: seconds the server
    asked to wait (a rate limit), if it said."""

    def __init__(self, reason: str = "", retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Transport(Protocol):
    """One platform. Every sending method takes `key`, an idempotency key derived from the
    guard's journal: the same key sent twice must give one message (Matrix transaction id,
    XMPP message id, ...), so a step sent just before a crash is not sent twice after it.

    `remove` of a message already removed succeeds (a retry after a crash)."""

    platform: str

    async def can_remove(self, msg: Message) -> bool: ...

    async def remove(self, msg: Message, reason: str) -> None: ...

    async def post(
        self, room: str, text: str, html: str | None, mentions: Sequence[str], *, key: str
    ) -> None: ...

    async def warn_privately(self, user: str, text: str, html: str | None, *, key: str) -> None: ...

    async def notify_moderators(self, room: str, text: str, html: str | None, *, key: str) -> None: ...

    async def display_name(self, room: str, user: str) -> str | None: ...

    def mention_npub(self, npub: str) -> tuple[str, str | None]: ...

    def mention_user(self, user: str, name: str | None) -> tuple[str, str | None]: ...
