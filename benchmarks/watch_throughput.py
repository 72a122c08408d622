"""Events per second through `nsecguard watch`, next to a bare subscriber that only counts.

Two measurements, in the same run, on the same realistic mix (nostr_corpus: notes, replies,
reposts, profiles, 0.2% leaks; only the kinds the watcher subscribes to):

- scan loop: the sentinel's per-event work (parse the event JSON, de-duplicate, scan content,
  tags and profile fields, record the leaks) on events already in memory; the reference is the
  parse alone (what any bot pays).
- end to end: the events, signed, are published live by a child process to a nostr-sdk
  LocalRelay on 127.0.0.1 while the real `Watch` is subscribed (signature checks by nostr-sdk,
  notifications, scanning, store writes, and a NIP-17 warning sent for each leaked key); the
  reference ("minimal bot") is a nostr-sdk client on the same relay, subscribed the same way,
  that only counts. (Live, not backfilled: the LocalRelay's memory database answers a REQ with
  at most 500 stored events.)

Events per wall-clock second and per CPU second of this process (all its threads: nostr-sdk's
runtime included) are printed with the ratio to the reference. The issue's bar: 2,000 events/s
per core sustained.

    python benchmarks/watch_throughput.py [N]   (default 20000)
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from nostr_corpus import Corpus

from nsecguard_nostr.event import _loads
from nsecguard_nostr.watch import scan
from nsecguard_nostr.watch.sentinel import Sentinel
from nsecguard_nostr.watch.store import Store


def corpus(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ev in Corpus(seed=11).events(n * 3):
        if ev["kind"] in scan.DEFAULT_KINDS:
            out.append(ev)
            if len(out) == n:
                break
    return out


def scan_loop(events: list[dict[str, Any]], tmp: str) -> None:
    import orjson

    lines = [orjson.dumps(ev).decode() for ev in events]
    t0, c0 = time.perf_counter(), time.process_time()
    count = sum(1 for line in lines if _loads(line)["id"])
    ref_wall, ref_cpu = time.perf_counter() - t0, time.process_time() - c0
    store = Store(os.path.join(tmp, "loop.db"))
    Sentinel(Store(os.path.join(tmp, "warm.db"))).process(
        _loads(lines[0]), "ws://127.0.0.1:1"
    )  # load the engine
    sentinel = Sentinel(store)
    t0, c0 = time.perf_counter(), time.process_time()
    plans = sum(1 for line in lines if sentinel.process(_loads(line), "ws://127.0.0.1:1") is not None)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    n = len(lines)
    assert count == n and sentinel.events == n
    print(f"scan loop, {n} events, {sentinel.leaking} leaking ({plans} with warnings to send)")
    print(f"  reference (parse only): {n / ref_wall:10,.0f} events/s  {n / ref_cpu:10,.0f} per CPU-s")
    print(f"  sentinel              : {n / wall:10,.0f} events/s  {n / cpu:10,.0f} per CPU-s")
    print(f"  ratio sentinel / reference: {ref_wall / wall:.2f} (wall)")


PUBLISHER = """
import asyncio, sys
from datetime import timedelta
from nostr_sdk import ClientBuilder, Event, RelayUrl

async def main():
    events = [Event.from_json(line) for line in open(sys.argv[2])]
    # a LocalRelay takes at most ~6,000 notes a minute from one connection, whatever its rate
    # limit says (and drops the rest without an error): one connection per 5,000 events
    per = 5000
    clients = []
    for _ in range((len(events) + per - 1) // per):
        client = ClientBuilder().build()
        await client.add_relay(RelayUrl.parse(sys.argv[1]))
        await client.connect(timedelta(seconds=3))
        clients.append(client)
    for i in range(0, len(events), 200):
        client = clients[i // per]
        await asyncio.gather(*(client.send_event(ev) for ev in events[i : i + 200]))
    for client in clients:
        await client.shutdown()

asyncio.run(main())
"""


async def _publish(url: str, path: str) -> asyncio.subprocess.Process:
    """A child process publishes the events (its CPU is not this process's)."""
    return await asyncio.create_subprocess_exec(sys.executable, "-c", PUBLISHER, url, path)


async def end_to_end(events: list[dict[str, Any]], tmp: str) -> None:
    from nostr_sdk import (
        ClientBuilder,
        ClientNotification,
        EventBuilder,
        Filter,
        Keys,
        Kind,
        LocalRelayBuilder,
        RateLimit,
        RelayUrl,
        ReqTarget,
        Tag,
        Timestamp,
    )

    from nsecguard_nostr.watch.relays import Watch, WatchConfig

    n = len(events)
    relay = (
        LocalRelayBuilder()
        .addr("127.0.0.1")
        .rate_limit(RateLimit(max_reqs=1000, notes_per_minute=1 << 30))
        .build()
    )
    await relay.run()
    url = str(await relay.url())
    now = int(time.time())
    paths = []
    for run in ("reference", "watch"):  # the same events, signed twice by other authors (other ids)
        authors = [Keys.generate() for _ in range(50)]
        path = os.path.join(tmp, f"{run}.jsonl")
        with open(path, "w") as f:
            for i, ev in enumerate(events):
                signed = (
                    EventBuilder(Kind(ev["kind"]), ev["content"])
                    .tags([Tag.parse(t) for t in ev["tags"]])
                    .custom_created_at(Timestamp.from_secs(now - n + i))  # none replaced, none in the future
                    .finalize(authors[i % len(authors)])
                )
                f.write(signed.as_json() + "\n")
        paths.append(path)
    kinds = [Kind(k) for k in sorted(scan.DEFAULT_KINDS)]

    # reference: a bare subscriber that counts
    bare = ClientBuilder().build()
    await bare.add_relay(RelayUrl.parse(url))
    await bare.connect(timedelta(seconds=3))
    stream = bare.notifications()
    await bare.subscribe(ReqTarget.auto([Filter().kinds(kinds).since(Timestamp.from_secs(now - n))]))
    t0, c0 = time.perf_counter(), time.process_time()
    child = await _publish(url, paths[0])
    got = 0
    while got < n:
        note = await asyncio.wait_for(stream.next(), 30)
        if isinstance(note, ClientNotification.NEW_EVENT):
            got += 1
    ref_wall, ref_cpu = time.perf_counter() - t0, time.process_time() - c0
    await child.wait()
    await bare.shutdown()

    # the watcher
    store = Store(os.path.join(tmp, "e2e.db"))
    sentinel = Sentinel(store)
    watch = Watch(WatchConfig(relays=[url], since=now - n), Keys.generate(), store, sentinel)
    task = asyncio.create_task(watch.run())
    while not watch.eose:
        await asyncio.sleep(0.01)
    base = sentinel.events  # the reference's events, backfilled: not counted
    t0, c0 = time.perf_counter(), time.process_time()
    child = await _publish(url, paths[1])
    deadline = time.monotonic() + 120
    while sentinel.events < base + n and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert sentinel.events == base + n, f"the watcher saw {sentinel.events - base} of {n} events"
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await child.wait()
    watch.stop.set()
    stats = await task
    store.close()
    relay.shutdown()
    print(
        f"end to end, live through a LocalRelay, {n} events, {stats.leaking} leaking, "
        f"{stats.warnings} warnings sent"
    )
    print(f"  reference (bare subscriber): {n / ref_wall:10,.0f} events/s  {n / ref_cpu:10,.0f} per CPU-s")
    print(f"  nsecguard watch            : {n / wall:10,.0f} events/s  {n / cpu:10,.0f} per CPU-s")
    print(f"  ratio watch / reference: {ref_wall / wall:.2f} (wall), {ref_cpu / cpu:.2f} (CPU)")


def main() -> None:
    logging.getLogger("nsecguard").setLevel(logging.ERROR)  # not one line per planted leak
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    events = corpus(n)
    with tempfile.TemporaryDirectory() as tmp:
        scan_loop(events, tmp)
        asyncio.run(end_to_end(events, tmp))


if __name__ == "__main__":
    main()
