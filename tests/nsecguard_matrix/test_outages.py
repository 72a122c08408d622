"""The bot against a real Synapse that goes away, and one that rate-limits it.

Each test starts its own Synapse (the session one must not be stopped or throttled). What
the bot's client sent, and what came back, is recorded at the transport: that is the
evidence that the server really was unreachable, or really answered 429.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.nsecguard_matrix.conftest import Planted, uid

nio = pytest.importorskip("nio")
pytest.importorskip("synapse")

from nsecguard_matrix.bot import GuardBot, make_client  # noqa: E402
from nsecguard_matrix.config import Config  # noqa: E402
from nsecguard_matrix.demo import Peer, wait_until  # noqa: E402
from nsecguard_matrix.local_synapse import LocalSynapse  # noqa: E402
from tests.nsecguard_matrix.test_integration import (  # noqa: E402
    PASSWORD,
    assert_clean,
    from_bot,
    running_task,
)

pytestmark = pytest.mark.slow

MAX_RETRY_WAIT = 1.0  # the bot's cap on waits between tries while the server is down (15 s in use)
SLACK = 0.05  # seconds: timer and scheduling jitter


@dataclass
class Attempt:
    """One HTTP request as the client's transport saw it."""

    path: str
    start: float  # time.monotonic()
    end: float
    status: int | None  # None: no response (connection refused or dropped)
    retry_after: float = 0.0  # seconds, from a 429's retry_after_ms

    @property
    def is_sync(self) -> bool:
        return self.path.startswith("/_matrix/client/") and "/sync?" in self.path


class Recorder:
    """Every request a client sends from now on, tries again included (nio retries inside
    `_send`, calling `send` once per try)."""

    def __init__(self, client: Any) -> None:
        self.attempts: list[Attempt] = []
        self.waiting: list[str] = []  # paths of the requests awaiting their response
        self._original = client.send
        client.send = self.send

    def idle_in_sync(self) -> bool:
        """Only the long poll is out: the bot has handled everything it has seen."""
        return len(self.waiting) == 1 and "/sync?" in self.waiting[0]

    async def send(
        self,
        method: str,
        path: str,
        data: Any = None,
        headers: dict[str, str] | None = None,
        trace_context: Any = None,
        timeout: float | None = None,
    ) -> Any:
        start = time.monotonic()
        self.waiting.append(path)
        try:
            resp = await self._original(method, path, data, headers, trace_context, timeout)
        except Exception:
            self.attempts.append(Attempt(path, start, time.monotonic(), None))
            raise
        finally:
            self.waiting.remove(path)
        retry_after = 0.0
        if resp.status == 429:
            retry_after = (await resp.json()).get("retry_after_ms", 0) / 1000  # aiohttp keeps the body
        self.attempts.append(Attempt(path, start, time.monotonic(), resp.status, retry_after))
        return resp


@contextlib.contextmanager
def own_synapse(base: Path, **kwargs: Any) -> Iterator[LocalSynapse]:
    hs = LocalSynapse(base, **kwargs)
    hs.start()
    try:
        yield hs
    finally:
        hs.stop()


def new_bot(hs: LocalSynapse, store: Path) -> GuardBot:
    name = uid("guard")
    hs.register(name, PASSWORD)
    config = Config(
        homeserver=hs.url, user_id=f"@{name}:{hs.server_name}", password=PASSWORD, store_path=store
    )
    bot = GuardBot(config, make_client(config, max_retry_wait=MAX_RETRY_WAIT))
    bot.follow_up_delay = 0.05
    return bot


@contextlib.asynccontextmanager
async def user(hs: LocalSynapse, user_id: str) -> AsyncIterator[Peer]:
    peer = Peer(hs.url, user_id, PASSWORD)
    await peer.start()
    try:
        yield peer
    finally:
        await peer.stop()


async def leak_is_handled(alice: Peer, bot: GuardBot, room: str, event_id: str, npub: str) -> None:
    """Redacted, a safe copy in the room, a warning in a direct chat: each naming `npub`."""
    await alice.wait_for(alice.redacted(event_id), 20)
    await alice.wait_for(lambda s: from_bot(bot, room)(s) and npub in str(s.content.get("body")), 20)
    await alice.wait_for(lambda s: from_bot(bot, other_room=room)(s) and npub in str(s.content), 20)


async def test_the_bot_reconnects_with_backoff_after_the_homeserver_went_away(
    tmp_path: Path, store: Path, planted: Planted
) -> None:
    with own_synapse(tmp_path / "synapse") as hs:
        bot = new_bot(hs, store)
        sent = Recorder(bot.client)
        alice_id = hs.register(uid("alice"), PASSWORD)
        async with running_task(bot) as task:
            async with user(hs, alice_id) as alice:
                room = await alice.create_room([bot.user_id], bot_level=50)
                await wait_until(lambda: room in bot.client.rooms, 20, "the bot to join")
            await wait_until(sent.idle_in_sync, 10, "the bot to wait in its long poll")
            device = bot.client.device_id

            hs.kill()  # a crash: every connection drops at once
            down = time.monotonic()

            def failed_syncs() -> list[Attempt]:
                return [a for a in sent.attempts if a.is_sync and a.status is None and a.end >= down]

            # down long enough for the waits to reach the cap (0, 0.5, 1, then 1 instead of 2, 4)
            await wait_until(lambda: len(failed_syncs()) >= 6, 20, "the bot to fail to sync")
            assert not task.done(), "the bot stopped while the homeserver was away"

            hs.start()  # the same port and data directory
            up = time.monotonic()
            assert not task.done()
            # alice comes back as a new session (her own client would sit in its own backoff)
            async with user(hs, alice_id) as alice:
                key = planted.new()
                event_id = await alice.text(room, f"is the guard back? my key: {key.nsec}")
                await leak_is_handled(alice, bot, room, event_id, key.npub)
                await bot.drain()
                assert_clean(alice, bot, planted)
            assert not task.done()
            assert bot.client.device_id == device, "the bot logged in again instead of carrying on"

    failed = failed_syncs()
    waits = [b.start - a.end for a, b in itertools.pairwise(failed)]
    assert waits[0] < 0.2, f"the first try again after a dropped connection is at once: {waits}"
    assert waits[1] >= 0.25, f"no backoff: {waits}"
    assert all(b >= a - SLACK for a, b in itertools.pairwise(waits)), f"the waits do not grow: {waits}"
    assert all(w <= MAX_RETRY_WAIT + 0.3 for w in waits), f"a wait longer than the cap: {waits}"
    assert waits[-1] >= MAX_RETRY_WAIT - SLACK, f"the waits never reached the cap: {waits}"
    back = [a for a in sent.attempts if a.is_sync and a.status == 200 and a.start >= up - MAX_RETRY_WAIT]
    assert back, "no successful sync after the homeserver came back"
    assert back[0].start - up <= MAX_RETRY_WAIT + 0.5, "the bot was slow to reconnect"


# Tight enough that the bot's own redactions, safe copies and warnings get 429 M_LIMIT_EXCEEDED.
# A moderator's redaction of someone else's event counts against rc_admin_redaction (when set;
# LocalSynapse raises it), everything else the bot sends against rc_message.
TIGHT = {"per_second": 2, "burst_count": 2}


async def test_rate_limits_are_waited_out_and_no_leak_is_missed(
    tmp_path: Path, store: Path, planted: Planted
) -> None:
    with own_synapse(
        tmp_path / "synapse", extra_config={"rc_message": TIGHT, "rc_admin_redaction": TIGHT}
    ) as hs:
        bot = new_bot(hs, store)
        sent = Recorder(bot.client)
        alice_id = hs.register(uid("alice"), PASSWORD, admin=True)
        async with user(hs, alice_id) as alice:
            # alice posts the burst: she, not the bot, is exempt from the limit
            hs.unthrottle(alice_id, alice.client.access_token)
            alice_sent = Recorder(alice.client)
            async with running_task(bot) as task:
                room = await alice.create_room([bot.user_id], bot_level=50)
                await wait_until(lambda: room in bot.client.rooms, 20, "the bot to join")
                keys = [planted.new() for _ in range(8)]
                events = [await alice.text(room, f"key number {i}: {k.nsec}") for i, k in enumerate(keys)]
                for event_id, key in zip(events, keys, strict=True):
                    await leak_is_handled(alice, bot, room, event_id, key.npub)
                await bot.drain()
                assert not task.done(), "the bot stopped under rate limiting"
                assert_clean(alice, bot, planted)
                warned_in = {s.room_id for s in alice.seen if from_bot(bot, other_room=room)(s)}
                assert len(warned_in) == 1, "more than one direct chat was opened with alice"

    assert not [a for a in alice_sent.attempts if a.status == 429], "the poster was throttled, not the bot"
    limited = [a for a in sent.attempts if a.status == 429]
    assert any("/redact/" in a.path for a in limited), "no redaction was rate-limited: tighten TIGHT"
    tries: dict[str, list[Attempt]] = {}
    for a in sent.attempts:
        tries.setdefault(a.path, []).append(a)
    for path_tries in tries.values():
        for a, b in itertools.pairwise(path_tries):
            if a.status == 429:
                assert a.retry_after > 0
                assert b.start - a.end >= a.retry_after - SLACK, "tried again before retry_after_ms"
        if any(a.status == 429 for a in path_tries):
            assert path_tries[-1].status == 200, "a rate-limited request was given up"
