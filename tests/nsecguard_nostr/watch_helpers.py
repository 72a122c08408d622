"""Nostr clients for the watch tests: publish events, read and unwrap the warnings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nostr_sdk import (
    Client,
    ClientBuilder,
    Event,
    EventBuilder,
    EventId,
    Filter,
    Keys,
    Kind,
    RelayUrl,
    ReqTarget,
    SecretKey,
    Tag,
    UnwrappedGift,
)

from keygen import TestKey


def keys_of(k: TestKey) -> Keys:
    return Keys(SecretKey.from_bytes(k.secret))


async def client(*urls: str) -> Client:
    c = ClientBuilder().build()
    for url in urls:
        await c.add_relay(RelayUrl.parse(url))
    await c.connect(timedelta(seconds=3))
    return c


async def publish(
    urls: list[str], author: TestKey, content: str, *, kind: int = 1, tags: list[list[str]] | None = None
) -> Event:
    ev = EventBuilder(Kind(kind), content).tags([Tag.parse(t) for t in tags or []]).finalize(keys_of(author))
    c = await client(*urls)
    try:
        out = await c.send_event(ev)
        assert len(out.success) == len(urls), out.failed
    finally:
        await c.shutdown()
    return ev


async def fetch(urls: list[str], filt: Filter) -> list[Event]:
    c = await client(*urls)
    try:
        return list(await c.fetch_events(ReqTarget.auto([filt]), timedelta(seconds=3)))
    finally:
        await c.shutdown()


async def warnings_for(urls: list[str], owner: TestKey) -> list[tuple[str, str, str]]:
    """(gift wrap id, sender npub, text) of every NIP-17 message to `owner`, really unwrapped."""
    keys = keys_of(owner)
    wraps = await fetch(urls, Filter().kind(Kind(1059)).pubkey(keys.public_key()))
    out = {}
    for wrap in wraps:
        gift = UnwrappedGift.from_gift_wrap(keys, wrap)
        rumor = gift.rumor()
        assert rumor.kind().as_u16() == 14  # a NIP-17 chat message
        out[wrap.id().to_hex()] = (gift.sender().to_bech32(), rumor.content())
    return [(i, s, t) for i, (s, t) in out.items()]


async def until(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll an async or plain condition until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


async def event_exists(urls: list[str], event_id: str) -> bool:
    return bool(await fetch(urls, Filter().id(EventId.parse(event_id))))
