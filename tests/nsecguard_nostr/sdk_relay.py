"""A real nostr-sdk `LocalRelay` on 127.0.0.1, started and stopped by the test, and a real client."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from nostr_sdk import Client, ClientBuilder, Event, LocalRelayBuilder, RelayUrl

from nsecguard_nostr.sdk_policy import LeakWritePolicy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def local_relay(policy: LeakWritePolicy | None) -> AsyncIterator[str]:
    """A LocalRelay with `policy` (None: none), yielding its `ws://` URL."""
    builder = LocalRelayBuilder().addr("127.0.0.1").port(free_port())
    if policy is not None:
        builder = policy.attach(builder)
    relay = builder.build()
    await relay.run()
    try:
        yield str(await relay.url())
    finally:
        relay.shutdown()
        if policy is not None:
            policy.detach()


@asynccontextmanager
async def client(url: str) -> AsyncIterator[Client]:
    c = ClientBuilder().build()
    await c.add_relay(RelayUrl.parse(url))
    await c.connect()
    try:
        yield c
    finally:
        await c.disconnect()


async def publish(c: Client, event: Event) -> tuple[bool, str | None]:
    """(accepted, the relay's message when not) as the client receives them."""
    out: Any = await c.send_event(event)
    if out.success:
        return True, None
    messages = list(out.failed.values())
    return False, str(messages[0]) if messages else None
