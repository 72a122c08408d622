"""Fixtures for the XMPP front-end: a real Prosody per session (127.0.0.1, free port), real
slixmpp clients per test. Skipped when Prosody is not installed (`.ci/run` installs it)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.nsecguard_xmpp.local_prosody import LocalProsody, available

Online = Callable[..., Awaitable[Any]]


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def prosody(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProsody]:
    pytest.importorskip("slixmpp")
    if not available():
        pytest.skip("prosody is not installed (apt-get install prosody prosody-modules)")
    server = LocalProsody(Path(tmp_path_factory.mktemp("prosody")))
    server.write_config()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def connect(server: LocalProsody, jid: str, password: str) -> Any:
    from nsecguard_xmpp.client import make_client

    client = make_client(jid, password, tls="none")
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_start(_: Any) -> None:
        client.send_presence()
        if not started.done():
            started.set_result(None)

    def on_fail(_: Any) -> None:
        if not started.done():
            started.set_exception(RuntimeError("authentication failed"))

    client.add_event_handler("session_start", on_start)
    client.add_event_handler("failed_auth", on_fail)
    client.connect(server.host, server.port)
    await asyncio.wait_for(started, 30)
    return client


@pytest.fixture
async def online(prosody: LocalProsody) -> AsyncIterator[Online]:
    """`await online("alice")`: a fresh account, connected; all disconnected after the test."""
    clients: list[Any] = []

    async def make(name: str = "user") -> Any:
        user = uid(name)
        jid = prosody.register(user, "pw-" + user)
        client = await connect(prosody, jid, "pw-" + user)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.disconnect(wait=0.5)
    await asyncio.sleep(0.1)


class Inbox:
    """Every message stanza a client receives, and a way to wait for one."""

    def __init__(self, client: Any) -> None:
        self.messages: list[Any] = []
        self._changed = asyncio.Event()
        from nsecguard_xmpp.client import on_every_message

        on_every_message(client, self._push)

    def _push(self, msg: Any) -> None:
        self.messages.append(msg)
        self._changed.set()

    async def wait(self, pred: Callable[[Any], bool], timeout: float = 20.0) -> Any:
        async def loop() -> Any:
            while True:
                for msg in self.messages:
                    if pred(msg):
                        return msg
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(loop(), timeout)


async def join(client: Any, room: str, nick: str, **kw: Any) -> Any:
    return await client.plugin["xep_0045"].join_muc_wait(room, nick, timeout=20, **kw)


async def archive_items(client: Any, room: str) -> list[tuple[str, Any]]:
    """The room's MAM archive as another occupant can query it: (archive id, message)."""
    found = []
    async for page_msg in client.plugin["xep_0313"].iterate(jid=room):
        result = page_msg["mam_result"]
        found.append((str(result["id"]), result["forwarded"]["stanza"]))
    return found


async def archive(client: Any, room: str) -> list[Any]:
    """The room's MAM archive as another occupant can query it (the archived messages)."""
    return [stanza for _, stanza in await archive_items(client, room)]


class Account:
    def __init__(self, server: LocalProsody, name: str) -> None:
        self.user = uid(name)
        self.password = "pw-" + self.user
        self.jid = server.register(self.user, self.password)


def bot_config(server: LocalProsody, account: Account, state: Path, rooms: list[str], **extra: Any) -> Any:
    from nsecguard_xmpp.config import Config

    return Config(
        jid=account.jid,
        password=account.password,
        state_dir=state,
        rooms=tuple(rooms),
        host=server.host,
        port=server.port,
        tls="none",
        **extra,
    )


@pytest.fixture
async def run_bot(prosody: LocalProsody, tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """`await run_bot(rooms)`: an XmppGuardBot in this event loop, ready (rooms joined)."""
    from nsecguard_xmpp.bot import XmppGuardBot

    bots: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(rooms: list[str], account: Account | None = None, **extra: Any) -> Any:
        account = account or Account(prosody, "guard")
        bot = XmppGuardBot(bot_config(prosody, account, tmp_path / f"state{len(bots)}", rooms, **extra))
        task = asyncio.ensure_future(bot.run())
        bots.append((bot, task))
        await asyncio.wait_for(bot.ready.wait(), 30)
        return bot

    yield start
    for bot, task in bots:
        bot.stop()
        await asyncio.wait_for(task, 10)
