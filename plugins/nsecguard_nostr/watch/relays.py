"""The nostr-sdk glue: one client, one subscription per relay, reconnection with backoff, a
backfill from each relay's cursor, and the sending of gift-wrapped warnings and deletions.

Reconnection is ours, not nostr-sdk's (whose automatic one re-sends the first REQ, with its
first `since`): each relay has a supervisor that, when the relay drops, waits (0.5 s doubling up
to `backoff_max`), reconnects, and subscribes again with `since` = the relay's cursor minus a
slack. The cursor (the time up to which the relay was watched: set at each end of stored events
and once a second while subscribed) is persisted in the store, so a restart backfills too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from nsecguard_nostr.event import _loads
from nsecguard_nostr.watch import scan
from nsecguard_nostr.watch.sentinel import Plan, Sentinel, safe
from nsecguard_nostr.watch.store import Store

if TYPE_CHECKING:
    from nostr_sdk import Client, Keys

log = logging.getLogger("nsecguard.watch")


class WatchConfig(NamedTuple):
    relays: list[str]
    kinds: frozenset[int] = scan.DEFAULT_KINDS
    since: int | None = None  # first run: watch from here (default: now)
    slack: int = 120  # seconds re-read before a cursor (clock skew, events in flight)
    until_idle: float | None = None  # stop after this many seconds without events (scripts, tests)
    backoff_min: float = 0.5
    backoff_max: float = 60.0
    connect_timeout: float = 5.0
    limit: int | None = None  # events asked for per backfill (None: the relay's default)


class Stats(NamedTuple):
    events: int
    duplicates: int
    leaking: int
    warnings: int
    deletions: int


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class Watch:
    def __init__(self, config: WatchConfig, identity: Keys, store: Store, sentinel: Sentinel) -> None:
        from nostr_sdk import ClientBuilder

        self.config = config
        self.identity = identity
        self.store = store
        self.sentinel = sentinel
        self.client: Client = ClientBuilder().build()
        self.subs: dict[str, str] = {}  # relay url -> subscription id
        self.sub_relay: dict[str, str] = {}  # subscription id -> relay url
        self.subscribed_at: dict[str, int] = {}
        self.eose: set[str] = set()  # relays whose stored events were all sent
        self.last_activity = time.monotonic()
        self.warnings = 0
        self.deletions = 0
        self.stop = asyncio.Event()

    def stats(self) -> Stats:
        s = self.sentinel
        return Stats(s.events, s.duplicates, s.leaking, self.warnings, self.deletions)

    async def run(self) -> Stats:
        from nostr_sdk import RelayOptions, RelayUrl

        for url in self.config.relays:
            await self.client.add_relay(RelayUrl.parse(url), opts=RelayOptions().reconnect(False))
        log.info(
            "sentinel %s watching %d relays", self.identity.public_key().to_bech32(), len(self.config.relays)
        )
        stream = self.client.notifications()
        tasks = [asyncio.create_task(self._supervise(url, i)) for i, url in enumerate(self.config.relays)]
        consumer = asyncio.create_task(self._consume(stream))
        idle = asyncio.create_task(self._idle_watch())
        try:
            await self.stop.wait()
        finally:
            for t in (*tasks, consumer, idle):
                t.cancel()
            await asyncio.gather(*tasks, consumer, idle, return_exceptions=True)
            self._save_cursors()
            with contextlib.suppress(Exception):
                await self.client.shutdown()
        return self.stats()

    # connections
    async def _supervise(self, url: str, index: int) -> None:
        from nostr_sdk import RelayStatus, RelayUrl

        relay_url = RelayUrl.parse(url)
        relay = await self.client.relay(relay_url)
        assert relay is not None
        backoff = self.config.backoff_min
        generation = 0
        while not self.stop.is_set():
            if relay.status() != RelayStatus.CONNECTED:
                old = self.subs.pop(url, None)
                self.eose.discard(url)
                if old is not None:
                    log.warning("lost %s; reconnecting", url)
                    with contextlib.suppress(Exception):
                        await relay.unsubscribe(old)
                try:
                    await relay.try_connect(timedelta(seconds=self.config.connect_timeout))
                    backoff = self.config.backoff_min
                except Exception as exc:
                    log.warning(safe(f"cannot connect to {url} ({exc}); retrying in {backoff:g} s"))
                    await _sleep(self.stop, backoff)
                    backoff = min(backoff * 2, self.config.backoff_max)
                    continue
            if url not in self.subs:
                generation += 1
                await self._subscribe(url, relay_url, f"nsecguard-watch-{index}-{generation}")
            await _sleep(self.stop, 0.25)
            self._advance_cursor(url)

    async def _subscribe(self, url: str, relay_url: Any, sub_id: str) -> None:
        from nostr_sdk import Filter, Kind, ReqTarget, Timestamp

        cursor = self.store.cursor(url)
        if cursor is not None:
            since = cursor - self.config.slack
        elif self.config.since is not None:
            since = self.config.since
        else:
            since = int(time.time()) - self.config.slack
        filt = (
            Filter()
            .kinds([Kind(k) for k in sorted(self.config.kinds)])
            .since(Timestamp.from_secs(max(0, since)))
        )
        if self.config.limit is not None:
            filt = filt.limit(self.config.limit)
        try:
            out = await self.client.subscribe(ReqTarget.single(relay_url, [filt]), id=sub_id)
        except Exception as exc:
            log.warning(safe(f"cannot subscribe on {url} ({exc})"))
            return
        if out.failed:
            log.warning(safe(f"cannot subscribe on {url} ({'; '.join(out.failed.values())})"))
            return
        self.subs[url] = sub_id
        self.sub_relay[sub_id] = url
        self.subscribed_at[url] = int(time.time())
        log.info("subscribed to %s since %d", url, since)

    def _advance_cursor(self, url: str) -> None:
        if url in self.eose:  # watched live: everything up to now has been received
            self.store.set_cursor(url, int(time.time()))

    def _save_cursors(self) -> None:
        for url in self.eose:
            self.store.set_cursor(url, int(time.time()))

    # events
    async def _consume(self, stream: Any) -> None:
        from nostr_sdk import ClientNotification, RelayMessageEnum

        while True:
            n = await stream.next()
            if n is None or isinstance(n, ClientNotification.SHUTDOWN):
                return
            if isinstance(n, ClientNotification.NEW_EVENT):
                self.last_activity = time.monotonic()
                await self.handle(_loads(n.event.as_json()), str(n.relay_url))
            elif isinstance(n, ClientNotification.MESSAGE) and len(self.eose) < len(self.subs):
                # only while some relay's end of stored events is awaited: each event also comes
                # as a MESSAGE, and looking inside costs a call into nostr-sdk
                msg = n.message.as_enum()
                if isinstance(msg, RelayMessageEnum.END_OF_STORED_EVENTS):
                    url = self.sub_relay.get(msg.subscription_id)
                    if url is not None and self.subs.get(url) == msg.subscription_id:
                        self.eose.add(url)
                        self.last_activity = time.monotonic()
                        self.store.set_cursor(url, self.subscribed_at[url])

    async def handle(self, event: dict[str, Any], relay: str) -> None:
        plan = self.sentinel.process(event, relay)
        if plan is not None:
            await self.act(plan)

    async def act(self, plan: Plan) -> None:
        deleted = await self._delete(plan) if plan.delete else False
        for msg in plan.messages(deleted=deleted):
            if await self._send_private(msg.recipient, msg.text, plan.event_id, msg.about):
                self.warnings += 1

    async def _send_private(self, recipient: str, text: str, event_id: str, about: str) -> bool:
        from nostr_sdk import PublicKey, nip17_make_private_msg

        try:
            wrap = nip17_make_private_msg(self.identity, PublicKey.parse(recipient), text)
            out = await self.client.send_event(wrap)
        except Exception as exc:
            log.error(safe(f"cannot send the warning to {recipient} ({exc})"))
            return False
        if not out.success:
            log.error(safe(f"no relay took the warning to {recipient}: {'; '.join(out.failed.values())}"))
            return False
        self.store.add_warning(about, recipient, event_id, out.id.to_hex())
        log.warning(
            "warned %s (NIP-17 gift wrap %s, %d relays)", recipient, out.id.to_hex(), len(out.success)
        )
        return True

    async def _delete(self, plan: Plan) -> bool:
        """Publish a NIP-09 deletion request for the leaking event, signed with the author's own
        (leaked) key, taken back out of the event here and dropped as soon as it has signed."""
        from nostr_sdk import EventBuilder, Keys, Kind, SecretKey, Tag

        secret = scan.own_secret(plan.event)
        if secret is None:
            log.warning(
                "cannot request the deletion of %s: the key is not in a form to sign with", plan.event_id
            )
            return False
        try:
            signer = Keys(SecretKey.from_bytes(secret))
            request = (
                EventBuilder(
                    Kind(5), "This event leaked its author's private key (deletion requested by nsecguard)."
                )
                .tags([Tag.parse(["e", plan.event_id]), Tag.parse(["k", str(plan.event_kind)])])
                .finalize(signer)
            )
        except Exception:
            log.error("cannot sign the deletion request for %s", plan.event_id)
            return False
        finally:
            del secret
            signer = None
        try:
            out = await self.client.send_event(request)
        except Exception as exc:
            log.error(safe(f"cannot send the deletion request for {plan.event_id} ({exc})"))
            return False
        if not out.success:
            log.error(safe(f"no relay took the deletion request for {plan.event_id}"))
            return False
        npub = request.author().to_bech32()
        self.store.add_deletion(plan.event_id, npub, out.id.to_hex())
        self.deletions += 1
        log.warning("deletion requested for %s (kind 5 %s)", plan.event_id, out.id.to_hex())
        return True

    async def _idle_watch(self) -> None:
        if self.config.until_idle is None:
            return
        while not self.stop.is_set():
            await _sleep(self.stop, 0.2)
            live = len(self.eose) == len(self.config.relays)
            if live and time.monotonic() - self.last_activity >= self.config.until_idle:
                log.info("idle for %g s: stopping", self.config.until_idle)
                self.stop.set()


def install_signal_handlers(
    stop: asyncio.Event, signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM)
) -> None:
    loop = asyncio.get_running_loop()
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
