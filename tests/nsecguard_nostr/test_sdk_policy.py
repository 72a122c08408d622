"""The LocalRelay write policy, end to end: a real nostr-sdk client publishes to a real nostr-sdk
LocalRelay on 127.0.0.1 that the test starts; leaks get `OK false` with a clear message."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from typing import Any

import aiohttp
import pytest
from nostr_helpers import TestKey, assert_no_key, new_key, rand_hex
from nostr_sdk import (
    Event,
    EventBuilder,
    Keys,
    Kind,
    Tag,
    nip04_encrypt,
    nip17_make_private_msg,
)
from sdk_relay import client, local_relay, publish

from nsecguard_nostr.policy import PolicyConfig
from nsecguard_nostr.sdk_policy import HOST_PREFIX, LeakWritePolicy, relay_message

pytestmark = pytest.mark.slow


def signed(author: TestKey, content: str, tags: list[list[str]] | None = None, kind: int = 1) -> Event:
    builder = EventBuilder(Kind(kind), content).tags([Tag.parse(t) for t in tags or []])
    return builder.finalize(Keys.parse(author.hex))


def _leaks(author: TestKey, victim: TestKey) -> dict[str, Event]:
    profile = {"name": "alice", "about": f"backup {author.nsec}", "picture": "https://example.com/a.png"}
    return {
        "nsec in content": signed(author, f"my new key nostr:{victim.nsec} lol"),
        "hex key named in content": signed(author, f"NOSTR_SECRET_KEY={victim.hex}"),
        "key in a tag": signed(author, "see tag", [["t", "hello"], ["subject", victim.nsec]]),
        "kind-0 profile field": signed(author, json.dumps(profile), kind=0),
        "bunker secret": signed(
            author, f"bunker://{rand_hex()}?relay=wss://r.example&secret={secrets.token_urlsafe(12)}"
        ),
    }


async def test_leaks_are_rejected_with_a_clear_message_and_clean_events_accepted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="nsecguard")
    author, victim, friend = new_key(), new_key(), new_key()
    policy = LeakWritePolicy()
    leaks = _leaks(author, victim)
    async with local_relay(policy) as url, client(url) as c:
        for name, event in leaks.items():
            ok, message = await publish(c, event)
            assert not ok, name
            assert message is not None, name
            assert message.startswith("blocked: this event contains "), (name, message)
            assert not message.startswith(HOST_PREFIX * 2), message
            assert_no_key(message, author, victim)
        # the messages name the owner by npub and say what to do
        _, own_profile = await publish(c, leaks["kind-0 profile field"])
        assert own_profile is not None and f"your own private key ({author.npub})" in own_profile
        _, other = await publish(c, leaks["nsec in content"])
        assert other is not None and victim.npub in other and "move to a new key" in other
        _, bunker = await publish(c, leaks["bunker secret"])
        assert bunker is not None and "revoke this connection in your signer" in bunker

        friend_keys = Keys.parse(friend.hex)
        clean = {
            "note": signed(author, "gm! nsec1 is the prefix of a private key, never share one"),
            "reply with ids": signed(author, "+1", [["e", rand_hex()], ["p", friend.pubhex]]),
            "profile": signed(author, json.dumps({"name": "alice", "about": "hi"}), kind=0),
            "kind 4 DM": signed(
                author,
                nip04_encrypt(Keys.parse(author.hex).secret_key(), friend_keys.public_key(), "hello"),
                [["p", friend.pubhex]],
                kind=4,
            ),
            "gift-wrapped kind 14": nip17_make_private_msg(
                Keys.parse(author.hex), friend_keys.public_key(), "a sealed private message"
            ),
        }
        assert clean["gift-wrapped kind 14"].kind().as_u16() == 1059
        for name, event in clean.items():
            assert await publish(c, event) == (True, None), name
    assert policy.rejected == len(leaks) + 3 and policy.accepted == len(clean) and policy.errors == 0
    assert "rejected event" in caplog.text and victim.npub in caplog.text
    assert_no_key(caplog.text, author, victim)


async def _wire(url: str, event: Event) -> tuple[list[Any], list[Any]]:
    """Publish with a raw websocket: the OK frame the relay sends, then what a REQ for it finds."""
    sub = uuid.uuid4().hex[:8]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps(["EVENT", json.loads(event.as_json())]))
        ok = json.loads(await ws.receive_str(timeout=10))
        await ws.send_str(json.dumps(["REQ", sub, {"ids": [event.id().to_hex()]}]))
        stored = []
        while True:
            frame = json.loads(await ws.receive_str(timeout=10))
            if frame[0] == "EOSE":
                break
            stored.append(frame)
    return ok, stored


async def test_on_the_wire_one_prefix_and_the_leak_is_not_stored() -> None:
    author, victim = new_key(), new_key()
    leak = signed(author, f"oops {victim.nsec}")
    async with local_relay(LeakWritePolicy()) as url:
        ok, stored = await _wire(url, leak)
        assert ok[:3] == ["OK", leak.id().to_hex(), False]
        assert ok[3].startswith("blocked: this event contains the private key of " + victim.npub)
        assert "blocked: blocked:" not in ok[3]
        assert stored == []
        clean = signed(author, "all good")
        ok, stored = await _wire(url, clean)
        assert ok[2] is True and [f[2]["id"] for f in stored] == [clean.id().to_hex()]


async def test_without_the_policy_the_same_leak_is_accepted() -> None:
    """The control: it is the policy that rejects, not the relay."""
    author, victim = new_key(), new_key()
    async with local_relay(None) as url, client(url) as c:
        assert await publish(c, signed(author, f"oops {victim.nsec}")) == (True, None)


def test_relay_message_strips_our_prefix_once() -> None:
    from nsecguard_nostr.event import scan_event

    k = new_key()
    leaks = scan_event({"id": rand_hex(), "pubkey": rand_hex(), "kind": 1, "content": k.nsec, "tags": []})
    assert relay_message(leaks).startswith("this event contains the private key of " + k.npub)


def test_a_failure_never_escapes(caplog: pytest.LogCaptureFixture) -> None:
    policy = LeakWritePolicy(PolicyConfig(on_error="reject"))

    class Broken:
        def as_json(self) -> str:
            raise RuntimeError("boom")

    import asyncio

    result = asyncio.run(policy.admit_event(Broken(), "127.0.0.1:1"))  # type: ignore[arg-type]
    assert result.is_reject() and "could not check" in result.message
    assert policy.errors == 1 and "RuntimeError" in caplog.text
    with pytest.raises(ValueError):
        LeakWritePolicy(PolicyConfig(shadow=True))


def test_attach_outside_a_loop_is_a_clear_error() -> None:
    from nostr_sdk import LocalRelayBuilder

    with pytest.raises(RuntimeError, match="inside the asyncio loop"):
        LeakWritePolicy().attach(LocalRelayBuilder())
