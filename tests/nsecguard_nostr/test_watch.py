"""`nsecguard watch` against real relays on 127.0.0.1 (nostr-sdk's LocalRelay), with real
clients: a leak is published, the owner's client fetches and unwraps (NIP-17) the warning."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("nostr_sdk")

from nostr_sdk import Event, Filter, Kind, PublicKey
from relays import RelayProcess, local_relay
from watch_helpers import event_exists, fetch, keys_of, publish, until, warnings_for

from nsecguard_nostr.watch.relays import Watch, WatchConfig
from nsecguard_nostr.watch.sentinel import Sentinel, note
from nsecguard_nostr.watch.store import Store

from keygen import TestKey, assert_no_key, new_key

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def running_watch(
    urls: list[str], store_path: Path, sentinel: TestKey, *, request_deletion: bool = False, **config: float
) -> AsyncIterator[Watch]:
    store = Store(store_path)
    watch = Watch(
        WatchConfig(relays=urls, **config),  # type: ignore[arg-type]
        keys_of(sentinel),
        store,
        Sentinel(store, request_deletion=request_deletion),
    )
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: len(watch.eose) == len(urls))
        yield watch
    finally:
        watch.stop.set()
        await task
        store.close()


def no_key_anywhere(tmp_path: Path, texts: list[str], *ks: TestKey) -> None:
    for text in texts:
        assert_no_key(text, *ks)
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert_no_key(f.read_bytes(), *ks)


async def test_leaking_note_warns_its_owner(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nsecguard")
    alice, sentinel = new_key(), new_key()
    async with local_relay() as url:
        async with running_watch([url], tmp_path / "w.db", sentinel) as watch:
            await publish([url], alice, "a clean note")
            ev = await publish([url], alice, f"my backup: {alice.nsec} do not share")
            got = await until(lambda: warnings_for([url], alice))
            assert watch.sentinel.events == 2
        assert len(got) == 1
        _, sender, text = got[0]
        assert sender == sentinel.npub
        assert alice.npub in text
        assert "compromised for good" in text and "What to do now" in text
        assert "nostr:nevent1" in text and url in text
        ref = text.split("nostr:")[1].split()[0]
        from nostr_sdk import Nip19Event

        decoded = Nip19Event.from_bech32(ref)
        assert decoded.event_id().to_hex() == ev.id().to_hex()
        assert [str(r) for r in decoded.relays()] == [url]
        assert "deletion request" not in text.lower()
        no_key_anywhere(tmp_path, [text, caplog.text], alice, sentinel)
        # the note itself is untouched without --request-deletion
        assert await event_exists([url], ev.id().to_hex())


async def test_someone_elses_key_warns_owner_and_author(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nsecguard")
    bob, carol, sentinel = new_key(), new_key(), new_key()
    profile = '{"name": "bob", "about": "found this: ' + carol.nsec + '"}'
    async with local_relay() as url:
        async with running_watch([url], tmp_path / "w.db", sentinel, request_deletion=True) as watch:
            ev = await publish([url], bob, profile, kind=0)
            to_carol = await until(lambda: warnings_for([url], carol))
            to_bob = await until(lambda: warnings_for([url], bob))
        assert watch.deletions == 0  # not the author's own key: nothing to sign a deletion with
        assert await event_exists([url], ev.id().to_hex())
    assert "profile field about" in to_carol[0][2] and carol.npub in to_carol[0][2]
    assert "holds the private key of another account" in to_bob[0][2]
    no_key_anywhere(tmp_path, [to_carol[0][2], to_bob[0][2], caplog.text], bob, carol, sentinel)


async def test_two_relays_one_warning(tmp_path: Path) -> None:
    alice, sentinel = new_key(), new_key()
    async with local_relay() as a, local_relay() as b:
        async with running_watch([a, b], tmp_path / "w.db", sentinel) as watch:
            await publish([a, b], alice, f"oops {alice.hex}", tags=[["p", alice.pubhex]])
            await until(lambda: watch.warnings >= 1)
            # a second event leaking the same key, on one relay only: no second warning
            second = await publish([b], alice, f"again {alice.nsec}")
            await until(lambda: watch.store.has_event(second.id().to_hex()))
            await asyncio.sleep(0.5)
        got = await warnings_for([a, b], alice)
    assert len(got) == 1  # the same gift wrap on both relays, sent once
    assert watch.warnings == 1
    assert watch.sentinel.duplicates >= 0
    store = Store(tmp_path / "w.db")
    assert len(store.sightings(alice.npub)) == 2
    assert len(store.warnings_about(alice.npub)) == 1


async def test_relay_killed_and_restarted_nothing_missed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nsecguard")
    alice, dave, sentinel = new_key(), new_key(), new_key()
    relay = RelayProcess()
    relay.start()
    try:
        async with running_watch(
            [relay.url], tmp_path / "w.db", sentinel, backoff_min=2.0, backoff_max=2.0
        ) as watch:
            await publish([relay.url], alice, f"first {alice.nsec}")
            await until(lambda: watch.warnings == 1)
            relay.kill()
            await until(lambda: relay.url not in watch.subs)  # the watcher saw the relay go
            relay.start()  # same port, empty: what is published now, the watcher must backfill
            ev = await publish([relay.url], dave, f"while you were away {dave.nsec}")
            assert relay.url not in watch.subs  # still waiting out its backoff
            got = await until(lambda: warnings_for([relay.url], dave))
            assert watch.store.has_event(ev.id().to_hex())
        assert "lost " + relay.url in caplog.text
        no_key_anywhere(tmp_path, [got[0][2], caplog.text], alice, dave, sentinel)
    finally:
        relay.kill()


async def test_watcher_restart_backfills_from_its_cursor_and_warns_once(tmp_path: Path) -> None:
    alice, erin, sentinel = new_key(), new_key(), new_key()
    async with local_relay() as url:
        async with running_watch([url], tmp_path / "w.db", sentinel) as watch:
            await publish([url], alice, f"{alice.nsec}")
            await until(lambda: watch.warnings == 1)
        # the watcher is down: a leak is published, and alice leaks again
        await publish([url], erin, f"key: {erin.nsec}")
        await publish([url], alice, f"and again {alice.nsec}")
        async with running_watch([url], tmp_path / "w.db", sentinel) as watch2:
            await until(lambda: watch2.warnings == 1)  # erin's, from the backfill
            await asyncio.sleep(0.5)
        assert watch2.warnings == 1  # alice was warned already, in the first run
        assert len(await warnings_for([url], alice)) == 1
        assert len(await warnings_for([url], erin)) == 1


async def test_request_deletion_publishes_a_kind_5_the_relay_honours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nsecguard")
    alice, sentinel = new_key(), new_key()
    async with local_relay() as url:
        async with running_watch([url], tmp_path / "w.db", sentinel, request_deletion=True) as watch:
            ev = await publish([url], alice, f"my nsec is {alice.nsec}")
            got = await until(lambda: warnings_for([url], alice))
            assert watch.deletions == 1
        deletions: list[Event] = await fetch(
            [url], Filter().kind(Kind(5)).author(PublicKey.parse(alice.npub))
        )
        assert len(deletions) == 1
        d = deletions[0]
        assert d.verify()  # a valid signature, by the leaked key's owner
        assert d.author().to_hex() == alice.pubhex
        tags = [t.to_vec() for t in d.tags()]
        assert ["e", ev.id().to_hex()] in tags and ["k", "1"] in tags
        assert not await event_exists([url], ev.id().to_hex())  # the relay dropped the note
        assert "deletion request (NIP-09, kind 5) for the leaking event was published" in got[0][2]
        store = Store(tmp_path / "w.db")
        assert store.deletion_requested(ev.id().to_hex())
        no_key_anywhere(tmp_path, [got[0][2], caplog.text, d.as_json()], alice, sentinel)
        assert note(ev.id().to_hex()) in caplog.text or ev.id().to_hex() in caplog.text


async def test_deduplicates_the_same_event_from_many_relays(tmp_path: Path) -> None:
    sentinel = new_key()
    async with local_relay() as a, local_relay() as b:
        store = Store(tmp_path / "w.db")
        watch = Watch(WatchConfig(relays=[a, b]), keys_of(sentinel), store, Sentinel(store))
        task = asyncio.create_task(watch.run())
        await until(lambda: len(watch.eose) == 2)
        for i in range(5):
            await publish([a, b], new_key(), f"clean note {i}")
        await until(lambda: watch.sentinel.events == 5)
        await asyncio.sleep(0.5)
        watch.stop.set()
        stats = await task
    assert stats.events == 5 and stats.leaking == 0 and stats.warnings == 0
