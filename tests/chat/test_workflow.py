"""The core workflow, the same tests over every transport (tests/chat/conftest.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from nsecguard.chat.guard import Guard
from nsecguard.chat.journal import JOURNAL_FILE, Journal
from nsecguard.chat.retry import RetryPolicy
from nsecguard.chat.transport import Transport
from tests.chat.harness import Crash, Faulty, Harness

from keygen import TestKey, assert_no_key, new_key

T = TypeVar("T")
FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.05)


def guard_for(transport: Transport, state: Path) -> Guard:
    return Guard(transport, Journal(state), retry=FAST)


async def eventually(get: Callable[[], Awaitable[T]], ok: Callable[[T], bool], what: str) -> T:
    """Poll until `ok` (a real server delivers a moment later); generous, not timed."""
    value = await get()
    for _ in range(300):
        if ok(value):
            return value
        await asyncio.sleep(0.05)
        value = await get()
    raise AssertionError(f"never: {what}")


async def settled(harness: Harness, get: Callable[[], Awaitable[T]]) -> T:
    """What a platform shows once nothing more is on its way (for 'exactly one' checks)."""
    await asyncio.sleep(harness.settle)
    return await get()


def no_key(texts: list[str], *keys: TestKey) -> None:
    for text in texts:
        assert_no_key(text, *keys)


def bunker(key: TestKey) -> str:
    return f"bunker://{key.pubhex}?relay=wss://relay.example.com&secret={os.urandom(8).hex()}"


async def test_leak_is_removed_with_one_safe_copy_and_one_warning(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, f"my key is {key.nsec} ok?")
    leak = await guard_for(harness.transport, tmp_path).handle(msg)
    assert leak is not None and leak.npubs == [key.npub]
    assert await eventually(lambda: harness.removed(msg), bool, "removed")
    posts = await eventually(lambda: harness.room_posts(room), bool, "a safe copy")
    warnings = await eventually(harness.warnings, bool, "a warning")
    posts, warnings = (
        await settled(harness, lambda: harness.room_posts(room)),
        await settled(harness, harness.warnings),
    )
    assert len(posts) == 1 and key.npub in posts[0] and "ok?" in posts[0]
    assert len(warnings) == 1 and key.npub in warnings[0] and "compromised for good" in warnings[0]
    assert not await harness.moderator_notes(room)
    no_key(posts + warnings + [(tmp_path / JOURNAL_FILE).read_text()], key)


async def test_a_clean_message_is_left_alone(harness: Harness, tmp_path: Path) -> None:
    room = await harness.room()
    msg = await harness.send(room, f"my npub is {new_key().npub}")
    assert await guard_for(harness.transport, tmp_path).handle(msg) is None
    assert not await settled(harness, lambda: harness.room_posts(room))
    assert not await harness.removed(msg)


async def test_no_power_tells_the_moderators_and_warns_the_sender(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.room(power=False)
    msg = await harness.send(room, f"my nostr private key: {key.hex}")
    await guard_for(harness.transport, tmp_path).handle(msg)
    notes = await eventually(lambda: harness.moderator_notes(room), bool, "moderators told")
    warnings = await eventually(harness.warnings, bool, "a warning")
    assert not await harness.removed(msg)
    assert len(notes) == 1 and key.npub in notes[0]
    assert len(warnings) == 1 and "could not remove" in warnings[0]
    assert not [p for p in await harness.room_posts(room) if "without it" in p]  # no safe copy
    no_key(notes + warnings, key)


async def test_a_direct_chat_gets_a_warning_only(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.direct_room()
    msg = await harness.send(room, f"here: {key.nsec}", direct=True)
    await guard_for(harness.transport, tmp_path).handle(msg)
    warnings = await eventually(harness.warnings, bool, "a warning")
    assert len(await settled(harness, harness.warnings)) == 1 and key.npub in warnings[0]
    assert not await harness.removed(msg)
    assert not [p for p in await harness.room_posts(room) if "without it" in p]
    no_key(warnings, key)


async def test_another_bots_notice_is_removed_without_a_conversation(
    harness: Harness, tmp_path: Path
) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, f"relay log: {key.nsec}", from_bot=True)
    await guard_for(harness.transport, tmp_path).handle(msg)
    assert await eventually(lambda: harness.removed(msg), bool, "removed")
    assert not await settled(harness, harness.warnings)


async def test_an_edit_that_adds_a_key(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.room()
    guard = guard_for(harness.transport, tmp_path)
    first = await harness.send(room, "my key is coming")
    assert await guard.handle(first) is None
    edit = await harness.send(room, f"my key is {key.nsec}", edit_of=first)
    await guard.handle(edit)
    assert await eventually(lambda: harness.removed(edit), bool, "the edit removed")
    posts = await eventually(lambda: harness.room_posts(room), bool, "a safe copy")
    assert "an edit holding" in posts[0] and key.npub in posts[0]
    no_key(posts, key)


async def test_a_key_only_in_the_formatted_part_gives_a_copy_with_the_npub(
    harness: Harness, tmp_path: Path
) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, "see below", formatted=f"<p>see <code>{key.nsec}</code></p>")
    await guard_for(harness.transport, tmp_path).handle(msg)
    posts = await eventually(lambda: harness.room_posts(room), bool, "a safe copy")
    assert key.npub in posts[0]
    no_key(posts, key)


async def test_a_bunker_secret_is_not_called_a_private_key(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, f"connect with {bunker(key)}")
    await guard_for(harness.transport, tmp_path).handle(msg)
    posts = await eventually(lambda: harness.room_posts(room), bool, "a safe copy")
    warnings = await eventually(harness.warnings, bool, "a warning")
    for text in posts + warnings:
        assert "remote-signer secret" in text and "private key" not in text.replace("your key itself", "")
    assert "Revoke" in warnings[0]


async def test_unavailable_is_retried(harness: Harness, tmp_path: Path) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, key.nsec)
    faulty = Faulty(harness.transport, {"remove": ["unavailable"], "post": ["unavailable", "unavailable"]})
    await guard_for(faulty, tmp_path).handle(msg)
    assert faulty.calls["remove"] == 2 and faulty.calls["post"] == 3
    assert await eventually(lambda: harness.removed(msg), bool, "removed")
    assert len(await eventually(lambda: harness.room_posts(room), bool, "a safe copy")) == 1


async def test_refused_is_not_retried(harness: Harness, tmp_path: Path) -> None:
    room = await harness.room(power=False)
    msg = await harness.send(room, new_key().nsec)
    faulty = Faulty(harness.transport, {})
    await guard_for(faulty, tmp_path).handle(msg)
    assert faulty.calls["remove"] == 1 and faulty.calls["notify_moderators"] == 1


async def test_the_same_message_twice_is_handled_once(harness: Harness, tmp_path: Path) -> None:
    room = await harness.room()
    msg = await harness.send(room, new_key().nsec)
    guard = guard_for(harness.transport, tmp_path)
    await guard.handle(msg)
    assert await guard.handle(msg) is None
    assert await guard_for(harness.transport, tmp_path).handle(msg) is None  # after a restart
    assert len(await settled(harness, lambda: harness.room_posts(room))) == 1


CRASHES = [
    ("remove", "crash-before"),
    ("remove", "crash-after"),
    ("post", "crash-before"),
    ("post", "crash-after"),
    ("warn_privately", "crash-before"),
    ("warn_privately", "crash-after"),
]


@pytest.mark.parametrize(("method", "when"), CRASHES)
async def test_a_crash_between_steps_then_resume_gives_exactly_one_of_each(
    harness: Harness, tmp_path: Path, method: str, when: str
) -> None:
    key = new_key()
    room = await harness.room()
    msg = await harness.send(room, f"oops {key.nsec}")
    with pytest.raises(Crash):
        await guard_for(Faulty(harness.transport, {method: [when]}), tmp_path).handle(msg)
    restarted = guard_for(harness.transport, tmp_path)
    await restarted.resume()
    assert await restarted.handle(msg) is None  # the event seen again after the restart
    assert await eventually(lambda: harness.removed(msg), bool, "removed")
    await eventually(harness.warnings, bool, "a warning")
    posts, warnings = (
        await settled(harness, lambda: harness.room_posts(room)),
        await settled(harness, harness.warnings),
    )
    assert len(posts) == 1 and len(warnings) == 1
    assert not Journal(tmp_path).pending()


async def test_another_bot_in_a_direct_chat_gets_nothing(harness: Harness, tmp_path: Path) -> None:
    room = await harness.direct_room()
    msg = await harness.send(room, f"echo {new_key().nsec}", from_bot=True, direct=True)
    assert await guard_for(harness.transport, tmp_path).handle(msg) is not None
    assert not await settled(harness, harness.warnings)
    assert not await harness.removed(msg)
