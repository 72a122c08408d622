"""The bot as a real process, killed at the worst moments (issue 9): after a restart there is
exactly one safe copy and one warning, and a SIGTERM still sends the warning it owes.

The kill points are found in the bot's own log (it names each step as it is done), or are a
fixed delay after the user's send."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.nsecguard_matrix.conftest import Planted, uid

nio = pytest.importorskip("nio")
pytest.importorskip("synapse")

from nsecguard_matrix.demo import Peer, wait_until  # noqa: E402

pytestmark = pytest.mark.slow

PASSWORD = "a-test-password"
SETTLE_S = 2.0  # a duplicate safe copy or warning would show up within this


class BotProcess:
    def __init__(self, hs: Any, base: Path, name: str) -> None:
        self.user_id = f"@{name}:{hs.server_name}"
        self.config = base / "bot.toml"
        self.config.write_text(
            f'homeserver = "{hs.url}"\nuser_id = "{self.user_id}"\npassword = "{PASSWORD}"\n'
            f'store_path = "{base / "store"}"\n'
        )
        self.log = base / "bot.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "nsecguard_matrix",
            "bot",
            "--config",
            str(self.config),
            "--log-level",
            "info",
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=out)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_log(self, needle: str, after: int = 0, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text()[after:]:
            assert self.proc is not None and self.proc.poll() is None, "the bot died:\n" + self.text()[-3000:]
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never logged {needle!r}:\n" + self.text()[-3000:])
            await asyncio.sleep(0.002)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@contextlib.contextmanager
def bot_process(hs: Any, base: Path) -> Iterator[BotProcess]:
    name = uid("guard")
    hs.register(name, PASSWORD)
    bot = BotProcess(hs, base, name)
    try:
        yield bot
    finally:
        bot.stop()


@contextlib.asynccontextmanager
async def alice(hs: Any) -> AsyncIterator[Peer]:
    name = uid("alice")
    hs.register(name, PASSWORD)
    peer = Peer(hs.url, f"@{name}:{hs.server_name}", PASSWORD)
    await peer.start()
    try:
        yield peer
    finally:
        await peer.stop()


async def guarded_room(user: Peer, bot: BotProcess) -> str:
    room = await user.create_room([bot.user_id], bot_level=50)
    await wait_until(
        lambda: any(
            s.room_id == room
            and s.type == "m.room.member"
            and s.source.get("state_key") == bot.user_id
            and s.content.get("membership") == "join"
            for s in user.seen
        ),
        30,
        "the bot to join",
    )
    return room


def bot_messages(user: Peer, bot: BotProcess) -> list[Any]:
    return [s for s in user.seen if s.source.get("sender") == bot.user_id and s.type == "m.room.message"]


async def exactly_one_of_each(user: Peer, bot: BotProcess, room: str, event_id: str, npub: str) -> None:
    await user.wait_for(user.redacted(event_id), 30)
    await user.wait_for(
        lambda s: s in bot_messages(user, bot) and s.room_id == room and npub in str(s.content), 30
    )
    await user.wait_for(
        lambda s: s in bot_messages(user, bot) and s.room_id != room and npub in str(s.content), 30
    )
    await asyncio.sleep(SETTLE_S)
    copies = [s for s in bot_messages(user, bot) if s.room_id == room and npub in str(s.content)]
    warnings = [s for s in bot_messages(user, bot) if s.room_id != room and npub in str(s.content)]
    assert len(copies) == 1, f"{len(copies)} safe copies"
    assert len(warnings) == 1, f"{len(warnings)} warnings"
    assert len({s.room_id for s in warnings}) == 1


# (what to wait for before the kill: a log line, or seconds after the send)
KILL_POINTS: dict[str, str | float] = {
    "20 ms after the send": 0.02,
    "50 ms after the send": 0.05,
    "100 ms after the send": 0.1,
    "right after the redaction": "removed {event_id}",
    "after the safe copy": "sent copy for {event_id}",
    "after the direct chat is created": "opened direct chat",
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
async def test_sigkill_then_restart_gives_one_safe_copy_and_one_warning(
    synapse: Any, tmp_path: Path, planted: Planted, point: str
) -> None:
    async with alice(synapse) as user:
        with bot_process(synapse, tmp_path) as bot:
            bot.start()
            await bot.wait_log("logged in as")
            room = await guarded_room(user, bot)
            key = planted.new()
            mark = len(bot.text())
            event_id = await user.text(room, f"my key, oops: {key.nsec}")
            when = KILL_POINTS[point]
            if isinstance(when, float):
                await asyncio.sleep(when)
            else:
                await bot.wait_log(when.format(event_id=event_id), after=mark)
            bot.signal(signal.SIGKILL)
            bot.wait()
            bot.start()  # same store: the login, the sync position and the journal
            await exactly_one_of_each(user, bot, room, event_id, key.npub)
            assert not planted.found_in(bot.text()), "a planted key reached the bot's log"


async def test_sigterm_50_ms_after_a_first_leak_still_sends_the_warning(
    synapse: Any, tmp_path: Path, planted: Planted
) -> None:
    async with alice(synapse) as user:
        with bot_process(synapse, tmp_path) as bot:
            bot.start()
            await bot.wait_log("logged in as")
            room = await guarded_room(user, bot)
            key = planted.new()
            event_id = await user.text(room, f"first time here: {key.nsec}")
            await asyncio.sleep(0.05)
            bot.signal(signal.SIGTERM)
            assert bot.wait() == 0
            # no restart: everything was done before the process ended
            await exactly_one_of_each(user, bot, room, event_id, key.npub)
            assert not planted.found_in(bot.text())
