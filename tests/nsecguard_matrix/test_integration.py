"""The bot and the Synapse module against a real Synapse (started by the session fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.nsecguard_matrix.conftest import Planted, uid

nio = pytest.importorskip("nio")

from nsecguard_matrix.bot import GuardBot  # noqa: E402
from nsecguard_matrix.config import Config  # noqa: E402
from nsecguard_matrix.demo import Peer, Seen, wait_until  # noqa: E402

pytestmark = pytest.mark.slow

PASSWORD = "a-test-password"


def make_bot(hs: Any, store: Path, name: str, **extra: Any) -> GuardBot:
    config = Config(
        homeserver=hs.url, user_id=f"@{name}:{hs.server_name}", password=PASSWORD, store_path=store, **extra
    )
    bot = GuardBot(config)
    bot.follow_up_delay = 0.05
    return bot


@contextlib.asynccontextmanager
async def running_task(bot: GuardBot) -> AsyncIterator[asyncio.Task[None]]:
    """The bot running, after its first sync; stopped (and awaited) on the way out."""
    task = asyncio.ensure_future(bot.run())
    try:
        await wait_until(lambda: bot.synced.is_set() or task.done(), 30, "the bot's first sync")
        if task.done():
            task.result()
        yield task
    finally:
        bot.stopped.set()
        await asyncio.wait_for(task, 30)


@contextlib.asynccontextmanager
async def running(bot: GuardBot) -> AsyncIterator[GuardBot]:
    async with running_task(bot):
        yield bot


@contextlib.asynccontextmanager
async def peer(hs: Any, name: str, store: Path | None = None) -> AsyncIterator[Peer]:
    hs.register(name, PASSWORD)
    user = Peer(hs.url, f"@{name}:{hs.server_name}", PASSWORD, store_path=store)
    await user.start()
    try:
        yield user
    finally:
        await user.stop()


def from_bot(bot: GuardBot, room_id: str | None = None, *, other_room: str | None = None) -> Any:
    def match(s: Seen) -> bool:
        if s.source.get("sender") != bot.user_id or s.type != "m.room.message":
            return False
        if room_id is not None and s.room_id != room_id:
            return False
        return other_room is None or s.room_id != other_room

    return match


def assert_clean(user: Peer, bot: GuardBot, planted: Planted) -> None:
    """Nothing the bot sent holds a planted key."""
    for s in user.seen:
        if s.source.get("sender") == bot.user_id:
            assert not planted.found_in(json.dumps(s.source)), "a bot message holds a planted key"


async def joined(bot: GuardBot, room_id: str) -> None:
    await wait_until(lambda: room_id in bot.client.rooms, 20, "the bot to join")


async def test_nsec_and_hex_are_redacted_copied_and_warned(
    synapse: Any, store: Path, planted: Planted
) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with running(make_bot(synapse, store, name)) as bot, peer(synapse, uid("alice")) as alice:
        room = await alice.create_room([bot.user_id], bot_level=50)
        await joined(bot, room)
        key, hexkey = planted.new(), planted.new()
        ev1 = await alice.text(room, f"my new account, key {key.nsec} :)")
        ev2 = await alice.text(room, f"and my old nostr private key is {hexkey.hex}")
        clean = await alice.text(room, "an ordinary message")
        await alice.wait_for(alice.redacted(ev1))
        await alice.wait_for(alice.redacted(ev2))

        copy1 = await alice.wait_for(
            lambda s: from_bot(bot, room)(s) and key.npub in str(s.content.get("body"))
        )
        assert f"nostr:{key.npub}" in copy1.content["body"]
        assert copy1.content["msgtype"] == "m.notice"
        assert copy1.content["m.mentions"] == {"user_ids": [alice.user_id]}
        assert f"https://matrix.to/#/{alice.user_id}" in copy1.content["formatted_body"]
        await alice.wait_for(lambda s: from_bot(bot, room)(s) and hexkey.npub in str(s.content.get("body")))

        dm = await alice.wait_for(lambda s: from_bot(bot, other_room=room)(s) and key.npub in str(s.content))
        assert "compromised" in dm.content["body"] and "new key" in dm.content["body"]
        await alice.wait_for(lambda s: from_bot(bot, other_room=room)(s) and hexkey.npub in str(s.content))
        assert not any(alice.redacted(clean)(s) for s in alice.seen)
        await bot.drain()
        assert_clean(alice, bot, planted)


async def test_an_edit_that_adds_a_key_is_redacted(synapse: Any, store: Path, planted: Planted) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with running(make_bot(synapse, store, name)) as bot, peer(synapse, uid("alice")) as alice:
        room = await alice.create_room([bot.user_id], bot_level=50)
        await joined(bot, room)
        key = planted.new()
        original = await alice.text(room, "my key is coming")
        edit = await alice.send(
            room,
            {
                "msgtype": "m.text",
                "body": f"* my key is {key.nsec}",
                "m.new_content": {"msgtype": "m.text", "body": f"my key is {key.nsec}"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": original},
            },
        )
        await alice.wait_for(alice.redacted(edit))
        copy = await alice.wait_for(
            lambda s: from_bot(bot, room)(s) and key.npub in str(s.content.get("body"))
        )
        assert "edit" in copy.content["body"]
        assert not any(alice.redacted(original)(s) for s in alice.seen)
        await bot.drain()
        assert_clean(alice, bot, planted)


async def test_a_malformed_event_is_skipped_and_the_bot_goes_on(
    synapse: Any, store: Path, planted: Planted
) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with running(make_bot(synapse, store, name)) as bot, peer(synapse, uid("alice")) as alice:
        room = await alice.create_room([bot.user_id], bot_level=50)
        await joined(bot, room)
        key = planted.new()
        odd = await alice.send(
            room,
            {"msgtype": "m.text", "body": "x", "format": 7, "formatted_body": {"b": [f"<b>{key.nsec}</b>"]}},
        )
        await alice.send(
            room, {"msgtype": "m.text", "body": "y", "m.new_content": "broken", "m.relates_to": 5}
        )
        await alice.wait_for(alice.redacted(odd))
        key2 = planted.new()
        later = await alice.text(room, f"still watching? {key2.nsec}")
        await alice.wait_for(alice.redacted(later))
        await bot.drain()
        assert_clean(alice, bot, planted)


async def test_encrypted_room(synapse: Any, tmp_path: Path, store: Path, planted: Planted) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with (
        running(make_bot(synapse, store, name)) as bot,
        peer(synapse, uid("alice"), store=tmp_path / "alice-store") as alice,
    ):
        room = await alice.create_room([bot.user_id], bot_level=50, encrypted=True)
        await joined(bot, room)
        await wait_until(lambda: bot.client.rooms[room].encrypted, 10, "the bot to see the room encrypted")
        # let both sides learn each other's devices
        await wait_until(lambda: bot.user_id in alice.client.rooms[room].users, 10, "alice to see the bot")
        await asyncio.sleep(0.5)
        key = planted.new()
        event_id = await alice.text(room, f"secret stuff: {key.nsec}")
        await alice.wait_for(alice.redacted(event_id), 30)
        copy = await alice.wait_for(
            lambda s: (
                s.source.get("sender") == bot.user_id and s.room_id == room and key.npub in str(s.content)
            ),
            30,
        )
        assert copy.decrypted, "the safe copy must be sent encrypted into an encrypted room"
        await bot.drain()
        assert_clean(alice, bot, planted)


async def test_a_key_posted_while_the_bot_was_down_is_handled_once(
    synapse: Any, store: Path, planted: Planted
) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with peer(synapse, uid("alice")) as alice:
        bot = make_bot(synapse, store, name)
        async with running(bot):
            room = await alice.create_room([bot.user_id], bot_level=50)
            await joined(bot, room)
            before = planted.new()
            first = await alice.text(room, f"before: {before.nsec}")
            await alice.wait_for(alice.redacted(first))
            await alice.wait_for(lambda s: from_bot(bot, room)(s) and before.npub in str(s.content))
            await bot.drain()
            device = bot.client.device_id
        # the bot is down
        during = planted.new()
        missed = await alice.text(room, f"while you were away: {during.nsec}")
        bot2 = make_bot(synapse, store, name)
        async with running(bot2):
            assert bot2.client.device_id == device, "a restart must restore the login, not make a new device"
            await alice.wait_for(alice.redacted(missed), 20)
            await alice.wait_for(lambda s: from_bot(bot2, room)(s) and during.npub in str(s.content))
            await asyncio.sleep(1.0)
            await bot2.drain()
        copies = [s for s in alice.seen if from_bot(bot2, room)(s) and before.npub in str(s.content)]
        assert len(copies) == 1, "an event handled before the restart was handled again"
        redactions = [s for s in alice.seen if alice.redacted(first)(s)]
        assert len(redactions) == 1
        assert_clean(alice, bot2, planted)


async def test_a_bot_without_power_says_so(synapse: Any, store: Path, planted: Planted) -> None:
    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with running(make_bot(synapse, store, name)) as bot, peer(synapse, uid("alice")) as alice:
        room = await alice.create_room([bot.user_id], bot_level=None)
        await joined(bot, room)
        told = await alice.wait_for(
            lambda s: from_bot(bot, room)(s) and "power level" in str(s.content.get("body"))
        )
        assert "50" in told.content["body"] and alice.user_id in told.content["m.mentions"]["user_ids"]
        key = planted.new()
        event_id = await alice.text(room, f"oops {key.nsec}")
        notice = await alice.wait_for(lambda s: from_bot(bot, room)(s) and "cannot remove" in str(s.content))
        assert key.npub in notice.content["body"]
        dm = await alice.wait_for(
            lambda s: from_bot(bot, other_room=room)(s) and "could not remove" in str(s.content)
        )
        assert key.npub in dm.content["body"]
        assert not any(alice.redacted(event_id)(s) for s in alice.seen)
        await bot.drain()
        assert_clean(alice, bot, planted)


async def test_synapse_module_refuses_a_leak_and_passes_a_clean_message(
    guarded_synapse: Any, planted: Planted
) -> None:
    async with peer(guarded_synapse, uid("alice")) as alice:
        room = await alice.create_room([], bot_level=None)
        await alice.text(room, "hello, nothing secret here")
        key = planted.new()
        resp = await alice.client.room_send(
            room, "m.room.message", {"msgtype": "m.text", "body": f"key: {key.nsec}"}
        )
        assert isinstance(resp, nio.RoomSendError)
        assert resp.status_code == "M_FORBIDDEN"
        assert key.npub in resp.message and "private key" in resp.message
        assert not planted.found_in(resp.message)
        hexkey = planted.new()
        resp = await alice.client.room_send(
            room,
            "m.room.message",
            {"msgtype": "m.text", "body": "x", "formatted_body": f"privkey: {hexkey.hex}"},
        )
        assert isinstance(resp, nio.RoomSendError) and hexkey.npub in resp.message
        log = (guarded_synapse.log_path).read_text(errors="replace")
        assert not planted.found_in(log), "a planted key reached Synapse's log"


async def test_topic_name_display_name_custom_events_and_text_files_are_guarded(
    synapse: Any, store: Path, planted: Planted
) -> None:
    """What the bot once let through: state events (topic, name, a display name in
    m.room.member, custom state), custom event types, and a key inside a small .txt file."""
    import io

    name = uid("guard")
    synapse.register(name, PASSWORD)
    async with running(make_bot(synapse, store, name)) as bot, peer(synapse, uid("alice")) as alice:
        room = await alice.create_room([bot.user_id], bot_level=50)
        await joined(bot, room)
        keys = [planted.new() for _ in range(6)]
        sent = [await alice.send(room, {"anything": [keys[2].nsec]}, "org.example.custom")]
        for event_type, content, state_key in [
            ("m.room.topic", {"topic": f"our keys: {keys[0].nsec}"}, ""),
            ("m.room.name", {"name": keys[1].nsec}, ""),
            ("m.room.member", {"membership": "join", "displayname": keys[3].nsec}, alice.user_id),
            ("org.example.state", {"note": {"deep": keys[4].nsec}}, "x"),
        ]:
            resp = await alice.client.room_put_state(room, event_type, content, state_key=state_key)
            assert isinstance(resp, nio.RoomPutStateResponse), resp
            sent.append(resp.event_id)
        data = f"my backup\nnsec={keys[5].nsec}\n".encode()
        upload, _ = await alice.client.upload(
            lambda *_: io.BytesIO(data), content_type="text/plain", filename="backup.txt", filesize=len(data)
        )
        assert isinstance(upload, nio.UploadResponse), upload
        file_event = await alice.send(
            room,
            {
                "msgtype": "m.file",
                "body": "backup.txt",
                "url": upload.content_uri,
                "info": {"mimetype": "text/plain", "size": len(data)},
            },
        )
        sent.append(file_event)
        for event_id in sent:
            await alice.wait_for(alice.redacted(event_id), 20)
        for key in keys:
            await alice.wait_for(
                lambda s, k=key: from_bot(bot, room)(s) and k.npub in str(s.content.get("body"))
            )
        await bot.drain()
        assert_clean(alice, bot, planted)
