"""The chat core's `Transport` on Matrix (matrix-nio): redactions, notices, direct chats.

Each send carries the journal step's idempotency key as its transaction id: Synapse answers
a repeated transaction id with the first event, so a step sent just before a crash is not
posted twice after the restart (the bot restores the same login, hence the same token).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import nio

from nsecguard.chat.message import Message
from nsecguard.chat.transport import Refused, Unavailable

if TYPE_CHECKING:
    from nsecguard_matrix.bot import State

log = logging.getLogger("nsecguard.matrix")

# error codes that another try will not change
PERMANENT = {
    "M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_UNKNOWN_TOKEN",
    "M_MISSING_TOKEN", "M_UNSUPPORTED_ROOM_VERSION", "M_USER_DEACTIVATED",
}  # fmt: skip
DM_SYNC_WAIT_S = 10.0  # how long a new direct chat may take to show up in the sync


def matrix_to(user_id: str) -> str:
    return f"https://matrix.to/#/{user_id}"


def _failure(resp: Any) -> Exception:
    code = getattr(resp, "status_code", None)
    retry_ms = getattr(resp, "retry_after_ms", None)
    if code in PERMANENT:
        return Refused(str(code))
    return Unavailable(str(code), retry_after=retry_ms / 1000 if isinstance(retry_ms, int) else None)


class MatrixTransport:
    platform = "matrix"

    def __init__(
        self, client: Any, state: State, *, on_dm_created: Callable[[str], None] | None = None
    ) -> None:
        self.client = client
        self.state = state
        self.on_dm_created = on_dm_created
        self.creating = 0  # direct chats being created (the bot's power check skips them)
        self._dm_locks: dict[str, asyncio.Lock] = {}

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def can_remove(self, msg: Message) -> bool:
        room = self.client.rooms.get(msg.room)
        if room is None:
            return False
        levels = room.power_levels
        return bool(levels.get_user_level(self.user_id) >= levels.defaults.redact)

    async def remove(self, msg: Message, reason: str) -> None:
        try:
            resp = await self.client.room_redact(msg.room, msg.id, reason=reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise Unavailable(type(exc).__name__) from None
        if not isinstance(resp, nio.RoomRedactResponse):
            raise _failure(resp)

    async def _send(self, room: str, content: dict[str, Any], key: str) -> None:
        try:
            resp = await self.client.room_send(
                room, "m.room.message", content, tx_id=key, ignore_unverified_devices=True
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a room not synced yet, a dropped connection
            raise Unavailable(type(exc).__name__) from None
        if not isinstance(resp, nio.RoomSendResponse):
            raise _failure(resp)

    @staticmethod
    def content(text: str, rich: str | None, mentions: Sequence[str] = ()) -> dict[str, Any]:
        content: dict[str, Any] = {"msgtype": "m.notice", "body": text}
        if rich is not None:
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = rich
        content["m.mentions"] = {"user_ids": list(mentions)}
        return content

    async def post(
        self, room: str, text: str, html: str | None, mentions: Sequence[str], *, key: str
    ) -> None:
        await self._send(room, self.content(text, html, mentions), key)

    async def notify_moderators(self, room: str, text: str, html: str | None, *, key: str) -> None:
        await self._send(room, self.content(text, html), key)

    async def warn_privately(self, user: str, text: str, html: str | None, *, key: str) -> None:
        room_id = await self.dm_room(user)
        await self._send(room_id, self.content(text, html), key)

    async def display_name(self, room: str, user: str) -> str | None:
        """The user's name in the room (the chat core gives it to the output boundary, as it
        does every platform's)."""
        found = self.client.rooms.get(room)
        name = found.user_name(user) if found is not None else None
        return name if isinstance(name, str) else None

    def mention_npub(self, npub: str) -> tuple[str, str | None]:
        return f"nostr:{npub}", f'<a href="https://njump.me/{npub}">nostr:{npub}</a>'

    def mention_user(self, user: str, name: str | None) -> tuple[str, str | None]:
        shown = f"{name} ({user})" if name and name != user else user
        return shown, f'<a href="{html.escape(matrix_to(user))}">{html.escape(name or user)}</a>'

    # ---- direct chats -------------------------------------------------------------------

    async def dm_room(self, user_id: str) -> str:
        """The bot's direct chat with `user_id`, opened if needed (persisted at once, so a
        restart reuses it). Raises Unavailable or Refused when it cannot be opened."""
        lock = self._dm_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            room_id = self.state.dm_rooms.get(user_id)
            if room_id is not None and self.in_dm(room_id, user_id):
                return room_id
            self.creating += 1
            try:
                resp = await self.client.room_create(
                    is_direct=True,
                    invite=[user_id],
                    name="nsecguard warnings",
                    preset=nio.RoomPreset.trusted_private_chat,
                )
                if isinstance(resp, nio.RoomCreateResponse):
                    self.state.dm_rooms[user_id] = resp.room_id
                    self.state.own_rooms.append(resp.room_id)
                    self.state.save()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise Unavailable(type(exc).__name__) from None
            finally:
                self.creating -= 1
            if not isinstance(resp, nio.RoomCreateResponse):
                log.warning("cannot open a direct chat with %s: %s", user_id, resp.status_code)
                raise _failure(resp)
            log.info("opened direct chat %s with %s", resp.room_id, user_id)
            if self.on_dm_created is not None:
                self.on_dm_created(resp.room_id)
            # nio sends only to rooms it has synced: wait for the sync loop to see it, with the
            # invite (the first sync to show the room may come before it; meanwhile, under the
            # lock, another warning would take the room for one the user has left)
            for _ in range(int(DM_SYNC_WAIT_S / 0.05)):
                if self.in_dm(resp.room_id, user_id):
                    break
                await asyncio.sleep(0.05)
            return str(resp.room_id)

    def in_dm(self, room_id: str, user_id: str) -> bool:
        """The bot has synced `room_id` with `user_id` in it or invited to it."""
        room = self.client.rooms.get(room_id)
        return room is not None and (user_id in room.users or user_id in room.invited_users)
