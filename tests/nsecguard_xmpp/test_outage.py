"""The server goes away and comes back: the bot reconnects, rejoins its rooms and guards again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.nsecguard_xmpp.conftest import Account, Inbox, bot_config, connect, join, uid
from tests.nsecguard_xmpp.local_prosody import LocalProsody, available

from keygen import new_key

pytestmark = pytest.mark.slow


async def test_the_bot_reconnects_after_a_server_restart(tmp_path: Path) -> None:
    pytest.importorskip("slixmpp")
    if not available():
        pytest.skip("prosody is not installed")
    from nsecguard_xmpp.bot import XmppGuardBot
    from nsecguard_xmpp.client import is_retraction

    server = LocalProsody(tmp_path / "prosody")
    server.base_dir.mkdir()
    server.write_config()
    server.start()
    bot = None
    task = None
    try:
        room = f"{uid('room')}@{server.muc_domain}"
        bot = XmppGuardBot(bot_config(server, Account(server, "guard"), tmp_path / "state", [room]))
        task = asyncio.ensure_future(bot.run())
        await asyncio.wait_for(bot.ready.wait(), 30)

        server.stop()
        for _ in range(200):
            if not bot.ready.is_set():
                break
            await asyncio.sleep(0.05)
        assert not bot.ready.is_set(), "the bot noticed the outage"
        server.start()
        await asyncio.wait_for(bot.ready.wait(), 60)

        key = new_key()
        acct = Account(server, "user")
        user = await connect(server, acct.jid, acct.password)
        await join(user, room, "alice")
        seen = Inbox(user)
        user.send_message(mto=room, mbody=f"after the restart: {key.nsec}", mtype="groupchat")
        await seen.wait(lambda m: is_retraction(m) is not None, timeout=30)
        user.disconnect(wait=0.5)
    finally:
        if bot is not None and task is not None:
            bot.stop()
            await asyncio.wait_for(task, 10)
        server.stop()
