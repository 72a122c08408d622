"""An in-memory chat server and its `Transport`: the reference transport of the workflow suite.

The server keeps what a real one keeps (messages, removals, posts, private messages) and, like
a real one, gives one message for two sends with the same idempotency key.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from nsecguard.chat.message import Message
from nsecguard.chat.transport import Refused


@dataclass
class Posted:
    where: str  # a room, or "dm:<user>", or "mods:<room>"
    text: str
    html: str | None
    mentions: tuple[str, ...] = ()


@dataclass
class MemoryServer:
    messages: dict[str, Message] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    posted: list[Posted] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    no_power: set[str] = field(default_factory=set)  # rooms where the bot cannot remove
    names: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def send(self, room: str, sender: str, text: str, **extra: object) -> Message:
        msg = Message(
            platform="memory", room=room, sender=sender, id=f"m{next(self._ids)}", text=text, **extra
        )  # type: ignore[arg-type]
        self.messages[msg.id] = msg
        return msg

    def deliver(self, where: str, text: str, html: str | None, mentions: Sequence[str], key: str) -> None:
        if key in self.keys:
            return  # a retry of a send that already went through
        self.keys.add(key)
        self.posted.append(Posted(where, text, html, tuple(mentions)))


class MemoryTransport:
    platform = "memory"

    def __init__(self, server: MemoryServer) -> None:
        self.server = server

    async def can_remove(self, msg: Message) -> bool:
        return msg.room not in self.server.no_power

    async def remove(self, msg: Message, reason: str) -> None:
        if msg.room in self.server.no_power:
            raise Refused("M_FORBIDDEN: no power to remove")
        self.server.removed.add(msg.id)

    async def post(
        self, room: str, text: str, html: str | None, mentions: Sequence[str], *, key: str
    ) -> None:
        self.server.deliver(room, text, html, mentions, key)

    async def warn_privately(self, user: str, text: str, html: str | None, *, key: str) -> None:
        self.server.deliver(f"dm:{user}", text, html, (), key)

    async def notify_moderators(self, room: str, text: str, html: str | None, *, key: str) -> None:
        self.server.deliver(f"mods:{room}", text, html, (), key)

    async def display_name(self, room: str, user: str) -> str | None:
        return self.server.names.get(user)

    def mention_npub(self, npub: str) -> tuple[str, str | None]:
        return f"nostr:{npub}", f'<a href="nostr:{npub}">{npub[:12]}…</a>'

    def mention_user(self, user: str, name: str | None) -> tuple[str, str | None]:
        return (f"{name} ({user})" if name else user), f'<a href="user:{user}">{name or user}</a>'
