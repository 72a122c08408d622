"""The bot's behaviour with a mocked nio client (no server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest

from tests.nsecguard_matrix.conftest import Planted

nio = pytest.importorskip("nio")

from nsecguard_matrix.bot import GuardBot, KeyScrubber  # noqa: E402
from nsecguard_matrix.config import Config  # noqa: E402

BOT = "@guard:localhost"
ROOM = "!room:localhost"


def make(tmp_path: Path, **extra: Any) -> tuple[GuardBot, Mock, list[str]]:
    client = Mock(spec=nio.AsyncClient)
    calls: list[str] = []
    room = nio.MatrixRoom(ROOM, BOT)
    client.rooms = {ROOM: room}
    client.olm = None
    client.next_batch = ""

    async def redact(room_id: str, event_id: str, reason: str | None = None) -> Any:
        calls.append(f"redact {event_id}")
        return nio.RoomRedactResponse("$redaction", room_id)

    async def send(room_id: str, type: str, content: dict[str, Any], **kw: Any) -> Any:
        calls.append(f"send {room_id} {json.dumps(content)}")
        return nio.RoomSendResponse("$sent", room_id)

    async def create(**kw: Any) -> Any:
        calls.append("create-dm")
        client.rooms["!dm:localhost"] = nio.MatrixRoom("!dm:localhost", BOT)
        client.rooms["!dm:localhost"].add_member(kw["invite"][0], None, None)
        return nio.RoomCreateResponse("!dm:localhost")

    client.room_redact.side_effect = redact
    client.room_send.side_effect = send
    client.room_create.side_effect = create
    config = Config(homeserver="http://hs", user_id=BOT, password="pw", store_path=tmp_path, **extra)
    bot = GuardBot(config, client)
    bot.follow_up_delay = 0
    return bot, client, calls


def text_event(
    body: str, *, sender: str = "@alice:localhost", event_id: str = "$e1", msgtype: str = "m.text"
) -> Any:
    return nio.RoomMessage.parse_event(
        {
            "type": "m.room.message",
            "event_id": event_id,
            "sender": sender,
            "origin_server_ts": 1,
            "content": {"msgtype": msgtype, "body": body},
        }
    )


async def handle(bot: GuardBot, event: Any) -> None:
    await bot.on_event(bot.client.rooms[ROOM], event)
    if bot._redacting:
        await asyncio.gather(*bot._redacting)
        bot._redacting.clear()
    await bot.drain()


async def test_redacts_first_then_copy_and_dm(tmp_path: Path, planted: Planted) -> None:
    bot, client, calls = make(tmp_path)
    key = planted.new()
    await handle(bot, text_event(f"key {key.nsec}"))
    assert calls[0] == "redact $e1"
    sends = [c for c in calls if c.startswith("send")]
    assert any(c.startswith(f"send {ROOM}") and key.npub in c for c in sends)
    assert any(c.startswith("send !dm:localhost") and "compromised" in c for c in sends)
    assert client.room_redact.await_args.kwargs["reason"] and not planted.found_in(
        str(client.room_redact.await_args)
    )
    assert not any(planted.found_in(c) for c in calls)


async def test_ignores_itself_clean_text_and_repeats(tmp_path: Path, planted: Planted) -> None:
    bot, _client, calls = make(tmp_path)
    key = planted.new()
    await handle(bot, text_event(f"{key.nsec}", sender=BOT))
    await handle(bot, text_event("nothing here", event_id="$e2"))
    assert calls == []
    await handle(bot, text_event(f"{key.nsec}", event_id="$e3"))
    await handle(bot, text_event(f"{key.nsec}", event_id="$e3"))
    assert calls.count("redact $e3") == 1


async def test_other_bots_notices_are_redacted_but_not_messaged(tmp_path: Path, planted: Planted) -> None:
    bot, _client, calls = make(tmp_path)
    await handle(bot, text_event(planted.new().nsec, msgtype="m.notice", sender="@otherbot:localhost"))
    assert calls[0] == "redact $e1"
    assert "create-dm" not in calls and not any(c.startswith("send !dm") for c in calls)


async def test_dm_can_be_turned_off(tmp_path: Path, planted: Planted) -> None:
    bot, _client, calls = make(tmp_path, direct_messages=False)
    await handle(bot, text_event(planted.new().nsec))
    assert "create-dm" not in calls and calls[0] == "redact $e1"


async def test_one_direct_chat_even_if_the_invite_is_synced_late(tmp_path: Path, planted: Planted) -> None:
    """The sync that first shows a new direct chat may not hold the invite yet (the server is
    still making the room): a second warning meanwhile must not open a second chat."""
    bot, client, calls = make(tmp_path)
    other = "!other:localhost"
    client.rooms[other] = nio.MatrixRoom(other, BOT)
    later: list[asyncio.Task[None]] = []

    async def create(**kw: Any) -> Any:
        calls.append("create-dm")
        room_id = f"!dm{calls.count('create-dm')}:localhost"
        client.rooms[room_id] = nio.MatrixRoom(room_id, BOT)

        async def invite_synced() -> None:
            await asyncio.sleep(0.2)
            client.rooms[room_id].add_member(kw["invite"][0], None, None, invited=True)

        later.append(asyncio.ensure_future(invite_synced()))
        return nio.RoomCreateResponse(room_id)

    client.room_create.side_effect = create
    await bot.on_event(client.rooms[ROOM], text_event(planted.new().nsec, event_id="$e1"))
    await bot.on_event(client.rooms[other], text_event(planted.new().nsec, event_id="$e2"))
    await asyncio.gather(*bot._redacting)
    await bot.drain()
    await asyncio.gather(*later)
    assert calls.count("create-dm") == 1
    assert len([c for c in calls if c.startswith("send !dm1:localhost")]) == 2


async def test_without_power_it_says_so_and_warns(tmp_path: Path, planted: Planted) -> None:
    bot, client, calls = make(tmp_path)
    client.room_redact.side_effect = None
    client.room_redact.return_value = nio.RoomRedactError("forbidden", "M_FORBIDDEN", room_id=ROOM)
    key = planted.new()
    await handle(bot, text_event(key.nsec))
    room_notice = [c for c in calls if c.startswith(f"send {ROOM}")]
    assert room_notice and "cannot remove" in room_notice[0] and key.npub in room_notice[0]
    assert any(c.startswith("send !dm") and "could not remove" in c for c in calls)


async def test_undecryptable_events_are_never_redacted(tmp_path: Path) -> None:
    bot, client, calls = make(tmp_path)
    megolm = nio.MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": "$enc",
            "sender": "@alice:localhost",
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AAAA",
                "sender_key": "k",
                "device_id": "D",
                "session_id": "s",
            },
        }
    )
    await handle(bot, megolm)
    assert calls == [] and "$enc" in bot.pending
    client.decrypt_event.side_effect = nio.EncryptionError("no key")
    await bot._retry_pending()
    assert calls == [] and "$enc" in bot.pending


async def test_a_broken_event_is_skipped(tmp_path: Path) -> None:
    bot, _client, calls = make(tmp_path)
    broken = Mock()
    broken.source = {"type": "m.room.message", "event_id": 5, "content": "nope"}
    await handle(bot, broken)
    await handle(bot, object())
    assert calls == []


async def test_sync_position_persists_after_redactions(tmp_path: Path, planted: Planted) -> None:
    bot, client, _calls = make(tmp_path)
    response = Mock(spec=nio.SyncResponse)
    response.next_batch = "s42"
    response.rooms = Mock(join={})

    async def sync(**kw: Any) -> Any:
        await bot.on_event(client.rooms[ROOM], text_event(planted.new().nsec, event_id="$s1"))
        return response

    client.sync.side_effect = sync
    assert await bot.sync_once()
    await bot.drain()
    saved = json.loads((tmp_path / "nsecguard-state.json").read_text())
    assert saved["next_batch"] == "s42" and "$s1" in saved["handled"]


async def test_sync_errors_back_off(tmp_path: Path) -> None:
    bot, client, _calls = make(tmp_path)
    client.sync.return_value = nio.SyncError("server gone", "M_UNKNOWN")
    bot._backoff = 0.01
    assert not await bot.sync_once()
    assert bot._backoff == 0.02
    client.sync.side_effect = ConnectionResetError()
    assert not await bot.sync_once()


def test_log_scrubber(planted: Planted) -> None:
    import logging

    key = planted.new()
    record = logging.LogRecord(
        "nio.events.misc", logging.WARNING, __file__, 1, "bad event %s", (key.nsec,), None
    )
    KeyScrubber().filter(record)
    assert not planted.found_in(record.getMessage()) and key.npub in record.getMessage()


@pytest.mark.parametrize(("work_s", "finished"), [(0.05, True), (60.0, False)])
async def test_a_stop_lets_events_in_hand_finish_within_a_grace_period(
    monkeypatch: pytest.MonkeyPatch, work_s: float, finished: bool
) -> None:
    """SIGTERM while a redaction is under way: it is finished if it can be (a restart would
    handle it again otherwise), but a server that went away cannot hold the stop up forever."""
    from nsecguard_matrix import bot as bot_module

    done: list[bool] = []

    class Busy:
        def __init__(self, config: Config) -> None:
            self.stopped = asyncio.Event()

        async def run(self) -> None:
            await self.stopped.wait()
            await asyncio.sleep(work_s)  # the events in hand
            done.append(True)

    monkeypatch.setattr(bot_module, "GuardBot", Busy)
    monkeypatch.setattr(bot_module, "STOP_GRACE_S", 0.5)
    runner = asyncio.ensure_future(bot_module.run_bot(Mock(spec=Config)))
    await asyncio.sleep(0.05)
    import os
    import signal

    os.kill(os.getpid(), signal.SIGTERM)  # the handler run_bot installed sets `stopped`
    await asyncio.wait_for(runner, 5)
    assert done == ([True] if finished else [])


async def test_its_own_direct_chats_are_never_taken_for_rooms_without_power(tmp_path: Path) -> None:
    """In room version 12 a room's creator is not in its power levels, so nio reports the bot's
    level in a direct chat it opened as 0. A chat it opened (even one a user has left, replaced by
    a newer one) must not get a "give me power" notice; other rooms still do."""
    bot, client, calls = make(tmp_path)
    old_dm, group = "!old-dm:localhost", "!group:localhost"
    for room_id in (old_dm, group):
        client.rooms[room_id] = nio.MatrixRoom(room_id, BOT)
    client.rooms.pop(ROOM)
    bot.state.own_rooms.append(old_dm)
    bot.state.dm_rooms["@alice:localhost"] = "!new-dm:localhost"
    bot._check_power_everywhere()
    await bot.drain()
    assert [c.split()[1] for c in calls if c.startswith("send")] == [group]
    bot.state.save()
    again = GuardBot(bot.config, client)
    again.state.load()
    assert again.state.own_rooms == [old_dm]


async def test_a_failed_safe_copy_or_warning_is_tried_again(
    tmp_path: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server error on the safe copy, and an exception on the warning, are passing troubles:
    both go out on a later try. A refusal (M_FORBIDDEN) is not tried again."""
    from nsecguard_matrix import bot as bot_module

    monkeypatch.setattr(bot_module, "POST_RETRY_S", 0.01)
    bot, client, _calls = make(tmp_path)
    failures = {"room": 1, "dm": 1}
    sent: list[str] = []

    async def flaky(room_id: str, type: str, content: dict[str, Any], **kw: Any) -> Any:
        where = "room" if room_id == ROOM else "dm"
        if failures[where]:
            failures[where] -= 1
            if where == "dm":
                raise nio.LocalProtocolError("room not synced yet")
            return nio.RoomSendError("server error", "M_UNKNOWN")
        sent.append(where)
        return nio.RoomSendResponse("$sent", room_id)

    client.room_send.side_effect = flaky
    await handle(bot, text_event(planted.new().nsec))
    assert sorted(sent) == ["dm", "room"] and failures == {"room": 0, "dm": 0}

    refusals: list[str] = []

    async def forbidden(room_id: str, type: str, content: dict[str, Any], **kw: Any) -> Any:
        refusals.append(room_id)
        return nio.RoomSendError("no", "M_FORBIDDEN")

    client.room_send.side_effect = forbidden
    await handle(bot, text_event(planted.new().nsec, event_id="$e2"))
    assert refusals.count(ROOM) == 1
