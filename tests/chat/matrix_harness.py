"""The Matrix entry of the workflow suite: a real Synapse (the session's), a bot account on
`MatrixTransport` with its own sync loop, and a real user client that records what it sees."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nsecguard.chat.message import Message

PASSWORD = "a-test-password"
NOTE_MARK = "Moderators: delete it now"  # what sets a note to moderators apart (texts.moderators)


class MatrixHarness:
    settle = 1.0  # seconds a duplicate would take to show up

    def __init__(self, hs: Any, store: Path) -> None:
        import nio

        from nsecguard_matrix.bot import State
        from nsecguard_matrix.demo import Peer
        from nsecguard_matrix.transport import MatrixTransport

        self.nio = nio
        self.hs = hs
        name, alice = f"guard{uuid.uuid4().hex[:8]}", f"alice{uuid.uuid4().hex[:8]}"
        hs.register(name, PASSWORD)
        hs.register(alice, PASSWORD)
        self.bot_id = f"@{name}:{hs.server_name}"
        self.user = f"@{alice}:{hs.server_name}"
        self.peer = Peer(hs.url, self.user, PASSWORD)
        config = nio.AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
        self.client = nio.AsyncClient(hs.url, self.bot_id, config=config)
        store.mkdir(parents=True, exist_ok=True)
        self.state = State(store / "state.json")
        self.transport = MatrixTransport(self.client, self.state)
        self.rooms: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        nio = self.nio
        resp = await self.client.login(PASSWORD, device_name="workflow-suite")
        assert isinstance(resp, nio.LoginResponse), resp

        async def on_invite(room: Any, event: Any) -> None:
            if event.state_key == self.bot_id and event.membership == "invite":
                await self.client.join(room.room_id)

        self.client.add_event_callback(on_invite, (nio.InviteMemberEvent,))
        await self.client.sync(timeout=0, full_state=True)
        self._task = asyncio.ensure_future(self.client.sync_forever(timeout=30000, loop_sleep_time=0))
        await self.peer.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()
        await self.peer.stop()

    async def room(self, *, power: bool = True) -> str:
        room = await self.peer.create_room([self.bot_id], bot_level=50 if power else None)
        self.rooms.add(room)
        for _ in range(600):
            found = self.client.rooms.get(room)
            if found is not None and self.bot_id in found.users and self.user in found.users:
                return room
            await asyncio.sleep(0.05)
        raise AssertionError("the bot never joined")

    async def direct_room(self) -> str:
        return await self.room()

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
        from nsecguard_matrix.messages import to_message

        content: dict[str, Any] = {"msgtype": "m.notice" if from_bot else "m.text", "body": text}
        if formatted is not None:
            content.update(format="org.matrix.custom.html", formatted_body=formatted)
        if edit_of is not None:
            content = {
                "msgtype": "m.text",
                "body": f"* {text}",
                "m.new_content": dict(content),
                "m.relates_to": {"rel_type": "m.replace", "event_id": edit_of.id},
            }
        event_id = await self.peer.send(room, content)
        resp = await self.client.room_get_event(room, event_id)  # the event as the bot gets it
        assert isinstance(resp, self.nio.RoomGetEventResponse), resp
        msg = to_message(room, resp.event.source, direct=direct)
        assert msg is not None
        return msg

    async def removed(self, msg: Message) -> bool:
        return any(self.peer.redacted(msg.id)(s) for s in self.peer.seen)

    def _from_bot(self) -> list[Any]:
        return [
            s for s in self.peer.seen if s.source.get("sender") == self.bot_id and s.type == "m.room.message"
        ]

    async def room_posts(self, room: str) -> list[str]:
        return [
            str(s.content.get("body"))
            for s in self._from_bot()
            if s.room_id == room and NOTE_MARK not in str(s.content.get("body"))
        ]

    async def moderator_notes(self, room: str) -> list[str]:
        return [
            str(s.content.get("body"))
            for s in self._from_bot()
            if s.room_id == room and NOTE_MARK in str(s.content.get("body"))
        ]

    async def warnings(self) -> list[str]:
        return [str(s.content.get("body")) for s in self._from_bot() if s.room_id not in self.rooms]


@contextlib.asynccontextmanager
async def matrix(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    pytest.importorskip("synapse")
    pytest.importorskip("nio")
    harness = MatrixHarness(request.getfixturevalue("synapse"), tmp_path / "matrix-bot")
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
