"""`nsecguard matrix-demo`: a throwaway Synapse, the bot and a demo user; the user posts a
message holding a freshly generated key, and the demo prints what each side saw.

`Peer` (a plain Matrix user driven by matrix-nio) is shared with the benchmark and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nio

from nsecguard import bech32, keys
from nsecguard_matrix.bot import GuardBot
from nsecguard_matrix.config import Config
from nsecguard_matrix.local_synapse import LocalSynapse


def new_secret() -> bytes:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            return secret


def nsec_of(secret: bytes) -> str:
    return bech32.encode("nsec", secret)


def npub_of(secret: bytes) -> str:
    return keys.npub(keys.xonly_pubkey(secret))


@dataclass
class Seen:
    room_id: str
    source: dict[str, Any]
    at: float  # time.perf_counter() when this client's sync delivered it
    decrypted: bool = False

    @property
    def type(self) -> str:
        return str(self.source.get("type"))

    @property
    def content(self) -> dict[str, Any]:
        content = self.source.get("content")
        return content if isinstance(content, dict) else {}


@dataclass
class Peer:
    """A Matrix user that records every timeline event it syncs and joins every invite."""

    url: str
    user_id: str
    password: str
    store_path: Path | None = None
    seen: list[Seen] = field(default_factory=list)
    client: Any = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        encrypted = self.store_path is not None
        if encrypted:
            assert self.store_path is not None
            self.store_path.mkdir(parents=True, exist_ok=True)
        config = nio.AsyncClientConfig(encryption_enabled=encrypted, store_sync_tokens=False)
        self.client = nio.AsyncClient(
            self.url, self.user_id, store_path=str(self.store_path or ""), config=config
        )
        resp = await self.client.login(self.password, device_name="peer")
        if not isinstance(resp, nio.LoginResponse):
            raise RuntimeError(f"login of {self.user_id} failed: {resp}")
        self.client.add_event_callback(self._on_event, (nio.Event, nio.BadEvent, nio.UnknownBadEvent))
        self.client.add_event_callback(self._on_invite, (nio.InviteMemberEvent,))
        await self.client.sync(timeout=0, full_state=True)
        if encrypted and self.client.should_upload_keys:
            await self.client.keys_upload()
        self._task = asyncio.ensure_future(self.client.sync_forever(timeout=30000, loop_sleep_time=0))

    async def _on_event(self, room: Any, event: Any) -> None:
        source = getattr(event, "source", None)
        if isinstance(source, dict):
            decrypted = bool(getattr(event, "decrypted", False))
            self.seen.append(Seen(room.room_id, source, time.perf_counter(), decrypted))

    async def _on_invite(self, room: Any, event: Any) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.client is not None:
            await self.client.close()

    async def wait_for(self, match: Callable[[Seen], bool], timeout: float = 15.0) -> Seen:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.seen:
                if match(item):
                    return item
            await asyncio.sleep(0.01)
        raise TimeoutError(f"{self.user_id} did not see the expected event within {timeout} s")

    async def send(self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message") -> str:
        resp = await self.client.room_send(room_id, event_type, content, ignore_unverified_devices=True)
        if not isinstance(resp, nio.RoomSendResponse):
            raise RuntimeError(f"send failed: {resp}")
        return str(resp.event_id)

    async def text(self, room_id: str, body: str) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": body})

    async def create_room(
        self, invite: list[str], *, bot_level: int | None = 50, encrypted: bool = False, name: str = "demo"
    ) -> str:
        override = {"users": {u: bot_level for u in invite}} if bot_level is not None else None
        initial_state = (
            [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
            if encrypted
            else []
        )
        resp = await self.client.room_create(
            name=name, invite=invite, power_level_override=override, initial_state=initial_state
        )
        if not isinstance(resp, nio.RoomCreateResponse):
            raise RuntimeError(f"room creation failed: {resp}")
        return str(resp.room_id)

    def redacted(self, event_id: str) -> Callable[[Seen], bool]:
        return lambda s: (
            s.type == "m.room.redaction"
            and (s.source.get("redacts") == event_id or s.content.get("redacts") == event_id)
        )


def bot_config(hs: LocalSynapse, store: Path, password: str, **extra: Any) -> Config:
    return Config(
        homeserver=hs.url,
        user_id=f"@nsecguard:{hs.server_name}",
        password=password,
        store_path=store,
        **extra,
    )


async def wait_until(check: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def _demo(hs: LocalSynapse, base: Path) -> None:
    say = print
    hs.register("nsecguard", "bot-password")
    hs.register("alice", "alice-password")
    say(f"* a throwaway Synapse runs at {hs.url}; users @nsecguard:localhost (the bot) and @alice:localhost")
    bot = GuardBot(bot_config(hs, base / "bot-store", "bot-password"))
    bot_task = asyncio.ensure_future(bot.run())
    alice = Peer(hs.url, "@alice:localhost", "alice-password")
    await alice.start()
    try:
        room = await alice.create_room([bot.user_id], bot_level=50, name="nsecguard demo")
        say(f"* alice created room {room}, invited the bot and gave it power level 50 (enough to redact)")
        await wait_until(lambda: room in bot.client.rooms, what="the bot to join")
        say("* the bot joined")
        secret = new_secret()
        npub = npub_of(secret)
        message = f"hey, I just made my first Nostr account! my key is {nsec_of(secret)} - follow me?"
        say(
            '* alice posts: "hey, I just made my first Nostr account! my key is '
            f'nsec1…(a fresh key of {npub}) - follow me?"'
        )
        sent = time.perf_counter()
        event_id = await alice.text(room, message)
        red = await alice.wait_for(alice.redacted(event_id))
        say(f"\n1. {(red.at - sent) * 1000:.0f} ms after sending, alice's client saw the message redacted,")
        say(f"   reason: {red.content.get('reason') or red.source.get('reason')!r}")
        copy = await alice.wait_for(
            lambda s: (
                s.room_id == room
                and s.source.get("sender") == bot.user_id
                and s.content.get("msgtype") == "m.notice"
                and "without it:" in str(s.content.get("body"))
            )
        )
        say(
            f"\n2. {(copy.at - sent) * 1000:.0f} ms: the bot posted a safe copy (m.notice, mentioning alice):"
        )
        for line in str(copy.content.get("body")).splitlines():
            say(f"   | {line}")
        dm = await alice.wait_for(
            lambda s: (
                s.room_id != room
                and s.source.get("sender") == bot.user_id
                and "compromised" in str(s.content.get("body"))
            )
        )
        say(f"\n3. {(dm.at - sent) * 1000:.0f} ms: alice got a direct message from the bot:")
        for line in str(dm.content.get("body")).splitlines():
            say(f"   | {line}")
        leaked = [
            s
            for s in alice.seen
            if nsec_of(secret) in str(s.source) and s.source.get("sender") == bot.user_id
        ]
        say(f"\n* the bot's messages hold the key {len(leaked)} times; they name only {npub}")
    finally:
        await alice.stop()
        bot.stopped.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot_task, 15)


def main(*, keep: bool = False) -> int:
    base = Path(tempfile.mkdtemp(prefix="nsecguard-demo-"))
    try:
        print("* starting a throwaway local Synapse (a few seconds)...")
        with LocalSynapse(base / "synapse") as hs:
            asyncio.run(_demo(hs, base))
    finally:
        if keep:
            print(f"* kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0
