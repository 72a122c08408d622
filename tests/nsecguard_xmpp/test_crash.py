"""SIGKILL of the bot process at several points of the workflow, then a restart: the leak is
retracted and there is exactly one safe copy and one warning (the core's journal)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.nsecguard_xmpp.conftest import Account, Inbox, Online, archive, join, uid
from tests.nsecguard_xmpp.local_prosody import LocalProsody

from keygen import assert_no_key, new_key

pytestmark = pytest.mark.slow


class BotProcess:
    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.config, self.env = config, env
        self.lines: list[str] = []
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._new = asyncio.Event()

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "nsecguard_xmpp", "--config", str(self.config),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env=self.env,
        )  # fmt: skip
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode("utf-8", "replace"))
            self._new.set()

    async def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        async def loop() -> None:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if needle in line:
                        return
                seen = len(self.lines)
                self._new.clear()
                await self._new.wait()

        await asyncio.wait_for(loop(), timeout)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        if self._reader is not None:
            await self._reader

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await self._reader


def write_config(server: LocalProsody, account: Account, state: Path, room: str, path: Path) -> None:
    path.write_text(
        "\n".join(
            [
                f'jid = "{account.jid}"',
                'password_env = "NSECGUARD_TEST_XMPP_PASSWORD"',
                f'state_dir = "{state}"',
                f'rooms = ["{room}"]',
                f'host = "{server.host}"',
                f"port = {server.port}",
                'tls = "none"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )


# where to die: the log line the bot writes at that point of the workflow
POINTS = {
    "journaled, not yet removed": " from ",
    "removed, no copy yet": "removed ",
    "copy sent, no warning yet": "sent copy for",
}


@pytest.mark.parametrize("point", sorted(POINTS))
async def test_sigkill_then_restart_gives_exactly_one_copy_and_one_warning(
    point: str, prosody: LocalProsody, online: Online, tmp_path: Path
) -> None:
    from nsecguard_xmpp.client import is_retraction, is_tombstone

    key = new_key()
    account = Account(prosody, "guard")
    room = f"{uid('room')}@muc.localhost"
    config = tmp_path / "bot.toml"
    write_config(prosody, account, tmp_path / "state", room, config)
    env = {**os.environ, "NSECGUARD_TEST_XMPP_PASSWORD": account.password}
    bot = BotProcess(config, env)
    await bot.start()
    try:
        await bot.wait_for("ready in")
        user, observer = await online("user"), await online("obs")
        await join(user, room, "alice")
        watch = Inbox(observer)
        await join(observer, room, "obs")
        mine = Inbox(user)
        user.send_message(mto=room, mbody=f"key: {key.nsec} bye", mtype="groupchat")
        await bot.wait_for(POINTS[point])
        await bot.kill()
        first_run = "".join(bot.lines)

        bot = BotProcess(config, env)
        await bot.start()
        await bot.wait_for("ready in")
        await watch.wait(lambda m: is_retraction(m) is not None)
        await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
        await watch.wait(lambda m: key.npub in (m["body"] or "") and m["type"] == "groupchat")
        await asyncio.sleep(1.0)  # anything more on its way would arrive now

        stored = await archive(observer, room)
        copies = [m for m in stored if key.npub in (m["body"] or "")]
        assert len(copies) == 1, f"{len(copies)} safe copies in the archive"
        assert any(is_tombstone(m) for m in stored)
        live_copies = [
            m for m in watch.messages if m["type"] == "groupchat" and key.npub in (m["body"] or "")
        ]
        assert len(live_copies) == 1
        warnings = [m for m in mine.messages if m["type"] == "chat" and key.npub in (m["body"] or "")]
        assert len(warnings) == 1, f"{len(warnings)} warnings"
        for text in [str(m) for m in copies + warnings]:
            assert_no_key(text, key)
        assert_no_key(first_run + "".join(bot.lines), key)
    finally:
        await bot.stop()
