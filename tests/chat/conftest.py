"""The workflow suite runs over every transport in `TRANSPORTS`: adding a platform is one
entry, a factory that yields a `Harness` (tests/chat/harness.py)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from nsecguard.chat.message import Message
from tests.chat.harness import Harness
from tests.chat.matrix_harness import matrix
from tests.chat.memory import MemoryServer, MemoryTransport
from tests.nsecguard_matrix.conftest import synapse  # noqa: F401 (the Matrix entry's server)
from tests.nsecguard_xmpp.conftest import prosody  # noqa: F401 (the XMPP entry's server)
from tests.nsecguard_xmpp.harness import xmpp

_rooms = itertools.count()


class MemoryHarness:
    user = "alice"
    settle = 0.0

    def __init__(self) -> None:
        self.server = MemoryServer(names={"alice": "Alice"})
        self.transport = MemoryTransport(self.server)

    async def room(self, *, power: bool = True) -> str:
        room = f"room{next(_rooms)}"
        if not power:
            self.server.no_power.add(room)
        return room

    async def direct_room(self) -> str:
        return f"dm{next(_rooms)}"

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
        sender = "otherbot" if from_bot else self.user
        return self.server.send(
            room,
            sender,
            text,
            formatted=formatted,
            edit_of=edit_of.id if edit_of else None,
            from_bot=from_bot,
            direct=direct,
        )

    async def removed(self, msg: Message) -> bool:
        return msg.id in self.server.removed

    async def room_posts(self, room: str) -> list[str]:
        return [p.text for p in self.server.posted if p.where == room]

    async def moderator_notes(self, room: str) -> list[str]:
        return [p.text for p in self.server.posted if p.where == f"mods:{room}"]

    async def warnings(self) -> list[str]:
        return [p.text for p in self.server.posted if p.where == f"dm:{self.user}"]


@contextlib.asynccontextmanager
async def memory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    yield MemoryHarness()


Factory = Callable[[pytest.FixtureRequest, Path], contextlib.AbstractAsyncContextManager[Harness]]
TRANSPORTS: dict[str, Factory] = {"memory": memory, "matrix": matrix, "xmpp": xmpp}


@pytest.fixture(params=list(TRANSPORTS))
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    async with TRANSPORTS[request.param](request, tmp_path) as h:
        yield h
