"""The XMPP guard against a real Prosody: a real slixmpp user, a third client checking what
others can still see (the live room, join history, the MAM archive)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from nsecguard.chat.journal import JOURNAL_FILE
from tests.nsecguard_xmpp.conftest import Inbox, Online, archive, join, uid

from keygen import assert_no_key, new_key

pytestmark = pytest.mark.slow


def _xml(msg: Any) -> str:
    return str(msg)


def _chat_from(inbox: Inbox, jid: str) -> list[str]:
    return [m["body"] for m in inbox.messages if m["type"] == "chat" and m["from"].bare == jid and m["body"]]


async def settle() -> None:
    await asyncio.sleep(0.5)


async def test_a_leak_in_a_room_is_retracted_reposted_and_warned(
    online: Online, run_bot: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from nsecguard_xmpp.client import is_retraction, is_tombstone

    caplog.set_level(logging.DEBUG, logger="nsecguard")
    key = new_key()
    room = f"{uid('room')}@muc.localhost"
    bot = await run_bot([room])  # the bot creates the room: owner, so moderator
    assert bot.transport.our_role(room) == "moderator"
    user, observer = await online("user"), await online("obs")
    await join(user, room, "alice")
    watch = Inbox(observer)
    await join(observer, room, "obs")
    mine = Inbox(user)

    user.send_message(mto=room, mbody=f"my key is {key.nsec} ok?", mtype="groupchat")
    notice = await watch.wait(lambda m: is_retraction(m) is not None)
    copy = await watch.wait(lambda m: m["type"] == "groupchat" and key.npub in (m["body"] or ""))
    assert "ok?" in copy["body"] and copy["from"].resource == "nsecguard"
    warning = await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    assert "compromised for good" in warning["body"]
    await settle()

    # what others can still see: the archive holds a tombstone and the copy, never the key
    stored = await archive(observer, room)
    assert any(is_tombstone(m) for m in stored)
    assert [m for m in stored if key.npub in (m["body"] or "")], "the safe copy is archived"
    late = await online("late")
    _, _, _, history = await join(late, room, "late", maxstanzas=50)
    assert sum(key.npub in (m["body"] or "") for m in history) == 1
    # exactly one copy and one warning
    assert sum(key.npub in (m["body"] or "") for m in watch.messages) == 1
    assert len(_chat_from(mine, bot.cfg.jid)) == 1
    sid = is_retraction(notice)
    assert sid and sid == next(m for m in mine.messages if key.nsec in (m["body"] or "")).xml.find(
        "{urn:xmpp:sid:0}stanza-id"
    ).get("id")
    from_bot = [m for m in watch.messages if m["from"].resource == "nsecguard"]
    for text in [_xml(m) for m in stored + history + from_bot] + _chat_from(mine, bot.cfg.jid):
        assert_no_key(text, key)
    assert_no_key((tmp_path / "state0" / JOURNAL_FILE).read_text(), key)
    # the bot's own log lines (the test users' slixmpp debug logs hold what they sent)
    assert_no_key("\n".join(r.getMessage() for r in caplog.records if r.name.startswith("nsecguard")), key)
    assert [r for r in caplog.records if r.name.startswith("nsecguard.chat")], "the guard logged its work"


async def test_a_correction_holding_a_key_is_retracted(online: Online, run_bot: Any) -> None:
    from nsecguard_xmpp.client import is_retraction

    key = new_key()
    room = f"{uid('room')}@muc.localhost"
    await run_bot([room])
    user, observer = await online("user"), await online("obs")
    await join(user, room, "alice")
    watch = Inbox(observer)
    await join(observer, room, "obs")
    first: Any = user.make_message(mto=room, mbody="my key is coming", mtype="groupchat")
    first.send()
    await watch.wait(lambda m: m["body"] == "my key is coming")
    fix: Any = user.make_message(mto=room, mbody=f"my key is {key.nsec}", mtype="groupchat")
    fix["replace"]["id"] = first["id"]
    fix.send()
    await watch.wait(lambda m: is_retraction(m) is not None)
    await watch.wait(lambda m: key.npub in (m["body"] or ""))


async def test_without_moderation_power_the_moderators_are_told(online: Online, run_bot: Any) -> None:
    key = new_key()
    room = f"{uid('room')}@muc.localhost"
    owner = await online("owner")
    await join(owner, room, "owner")  # the owner created it: the bot is a plain participant
    notes = Inbox(owner)
    bot = await run_bot([room])
    assert bot.transport.our_role(room) == "participant"
    user = await online("user")
    await join(user, room, "alice")
    mine = Inbox(user)
    user.send_message(mto=room, mbody=f"here: {key.nsec}", mtype="groupchat")
    note = await notes.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    assert_no_key(str(note), key)
    warning = await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    assert_no_key(str(warning), key)
    await settle()
    from nsecguard_xmpp.client import is_retraction

    assert not [m for m in mine.messages if is_retraction(m)]


async def test_a_key_in_a_one_to_one_chat_gets_a_warning_only(online: Online, run_bot: Any) -> None:
    key = new_key()
    bot = await run_bot([])
    user = await online("user")
    mine = Inbox(user)
    user.send_message(mto=bot.cfg.jid, mbody=f"is this my key? {key.nsec}", mtype="chat")
    warning = await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    assert "compromised for good" in warning["body"]
    await settle()
    assert len(_chat_from(mine, bot.cfg.jid)) == 1
    assert_no_key(str(warning), key)


async def test_a_key_in_the_room_subject_is_cleared_and_warned(online: Online, run_bot: Any) -> None:
    key = new_key()
    room = f"{uid('room')}@muc.localhost"
    bot = await run_bot([room])
    user, observer = await online("user"), await online("obs")
    await join(user, room, "alice")
    watch = Inbox(observer)
    await join(observer, room, "obs")
    mine = Inbox(user)
    # the bot (owner) lets the user set the subject by making them a moderator
    await bot.client.plugin["xep_0045"].set_role(room, "alice", "moderator")
    topic: Any = user.make_message(mto=room, mtype="groupchat")
    topic["subject"] = f"today: {key.nsec}"
    topic.send()
    cleared = await watch.wait(
        lambda m: m["from"].resource == "nsecguard" and m.xml.find("{jabber:client}subject") is not None
    )
    assert_no_key(str(cleared), key)
    await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    late = await online("late")
    _, subject, _, _ = await join(late, room, "late")
    assert_no_key(str(subject), key)


async def test_a_private_message_through_the_room_gets_a_warning_only(online: Online, run_bot: Any) -> None:
    from nsecguard_xmpp.client import is_retraction

    key = new_key()
    room = f"{uid('room')}@muc.localhost"
    await run_bot([room])
    user = await online("user")
    await join(user, room, "alice")
    mine = Inbox(user)
    user.send_message(mto=f"{room}/nsecguard", mbody=f"psst {key.nsec}", mtype="chat")
    warning = await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
    assert warning["from"].bare == room  # answered the way it came: through the room
    await settle()
    assert not [m for m in mine.messages if is_retraction(m)]
    assert not [m for m in mine.messages if m["type"] == "groupchat" and key.npub in (m["body"] or "")]
    assert_no_key(str(warning), key)


async def test_a_key_inside_a_text_attachment_is_retracted(
    online: Online, run_bot: Any, tmp_path: Path
) -> None:
    import functools
    import http.server
    import threading
    from xml.etree import ElementTree as ET

    from nsecguard_xmpp.client import is_retraction

    key = new_key()
    files = tmp_path / "upload"
    files.mkdir()
    (files / "notes.txt").write_text(f"backup of my account\n{key.nsec}\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(files))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/notes.txt"
        room = f"{uid('room')}@muc.localhost"
        await run_bot([room], attachment_hosts=frozenset({"127.0.0.1"}))
        user, observer = await online("user"), await online("obs")
        await join(user, room, "alice")
        watch = Inbox(observer)
        await join(observer, room, "obs")
        mine = Inbox(user)
        msg: Any = user.make_message(mto=room, mbody=url, mtype="groupchat")
        oob = ET.SubElement(msg.xml, "{jabber:x:oob}x")
        ET.SubElement(oob, "{jabber:x:oob}url").text = url
        msg.send()
        await watch.wait(lambda m: is_retraction(m) is not None)
        warning = await mine.wait(lambda m: m["type"] == "chat" and key.npub in (m["body"] or ""))
        assert_no_key(str(warning), key)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_wrong_password_is_a_clear_error(prosody: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.nsecguard_xmpp.conftest import Account

    acct = Account(prosody, "guard")
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        f'jid = "{acct.jid}"\npassword_env = "PW"\nstate_dir = "{tmp_path / "state"}"\n'
        f'host = "{prosody.host}"\nport = {prosody.port}\ntls = "none"\n'
    )
    cp = subprocess.run(
        [sys.executable, "-m", "nsecguard", "xmpp-bot", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, "PW": "not-the-password"},
        timeout=60,
    )
    assert cp.returncode == 2
    assert "refused the bot's login" in cp.stderr and "Traceback" not in cp.stderr
    assert "not-the-password" not in cp.stderr
