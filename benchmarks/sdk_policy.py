"""The cost of the LocalRelay write policy per event, next to the same relay with no policy.

A real nostr-sdk LocalRelay on 127.0.0.1 and a real nostr-sdk client in this process; the same
signed events (the relay benchmark's realistic mix, 0.2% leaks) are published to three relays in
turn, in windows of concurrent publishes, each waiting for its `OK`:

- none:      LocalRelay without a write policy (the reference);
- accept:    a Python write policy that accepts everything (the cost of the callback alone);
- nsecguard: `LeakWritePolicy`.

Each is run twice, alternately, and the faster run kept. Ratios are against `none`, same run.

    python benchmarks/sdk_policy.py [N]
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

from nostr_sdk import (
    ClientBuilder,
    Event,
    EventBuilder,
    Keys,
    Kind,
    LocalRelayBuilder,
    RateLimit,
    RelayUrl,
    Tag,
    Timestamp,
    WritePolicy,
    WritePolicyResult,
    uniffi_set_event_loop,
)

sys.path.insert(0, str(Path(__file__).parent))
from nostr_corpus import Corpus

from nsecguard_nostr.policy import PolicyConfig
from nsecguard_nostr.sdk_policy import LeakWritePolicy

WINDOW = 50  # publishes in flight at a time


class AcceptAll(WritePolicy):  # type: ignore[misc]
    async def admit_event(self, event: Event, socket_addr: str) -> WritePolicyResult:
        return WritePolicyResult.ACCEPT()


class TimedPolicy(LeakWritePolicy):
    """`LeakWritePolicy`, timing its own verdicts (parse and scan, without the callback)."""

    def __init__(self) -> None:
        super().__init__(PolicyConfig(log_rejects=False))
        self.seconds = 0.0

    def judge(self, event_json: str, origin: str = "") -> WritePolicyResult:
        start = time.perf_counter()
        try:
            return super().judge(event_json, origin)
        finally:
            self.seconds += time.perf_counter() - start


def signed_events(n: int) -> list[Event]:
    authors = [Keys.generate() for _ in range(50)]
    out = []
    for i, data in enumerate(Corpus().events(n)):
        builder = EventBuilder(Kind(int(data["kind"])), str(data["content"])).tags(
            [Tag.parse(t) for t in data["tags"]]
        )
        builder = builder.custom_created_at(Timestamp.from_secs(int(data["created_at"])))
        out.append(builder.finalize(authors[i % len(authors)]))
    return out


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run(events: list[Event], policy: Any) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, events accepted)."""
    # no rate limit (the default lets a connection publish 60 notes a minute)
    limit = RateLimit(max_reqs=1000, notes_per_minute=10_000_000)
    builder = LocalRelayBuilder().addr("127.0.0.1").port(_port()).rate_limit(limit)
    if isinstance(policy, LeakWritePolicy):
        builder = policy.attach(builder)
    elif policy is not None:
        uniffi_set_event_loop(asyncio.get_running_loop())
        builder = builder.write_policy(policy)
    relay = builder.build()
    await relay.run()
    client = ClientBuilder().build()
    await client.add_relay(RelayUrl.parse(str(await relay.url())))
    await client.connect()
    await client.send_event(events[0])  # warm up the connection (a duplicate later: not counted)
    accepted = 0
    refused: set[str] = set()
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(1, len(events), WINDOW):
        outs = await asyncio.gather(*(client.send_event(e) for e in events[start : start + WINDOW]))
        accepted += sum(1 for out in outs if out.success)
        refused.update(str(m)[:40] for out in outs for m in out.failed.values())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.disconnect()
    relay.shutdown()
    if isinstance(policy, LeakWritePolicy):
        policy.detach()
    else:
        uniffi_set_event_loop(None)  # type: ignore[arg-type]
    if refused:
        print(f"  refusals seen ({type(policy).__name__}): {sorted(refused)[:3]}")
    return wall, cpu, accepted


async def main(n: int) -> None:
    print(f"signing {n} events...", flush=True)
    events = signed_events(n)
    best: dict[str, tuple[float, float, int]] = {}
    verdict_us = 0.0
    for _ in range(2):
        for name in ("none", "accept", "nsecguard"):
            policy: Any = {"none": None, "accept": AcceptAll(), "nsecguard": TimedPolicy()}[name]
            result = await run(events, policy)
            if name not in best or result[0] < best[name][0]:
                best[name] = result
                if isinstance(policy, TimedPolicy):
                    judged = policy.accepted + policy.rejected
                    verdict_us = policy.seconds / judged * 1e6
    count = len(events) - 1
    ref_wall, ref_cpu, _ = best["none"]
    head = ("policy", "events/s", "µs/event", "CPU µs/ev", "wall ratio", "CPU ratio")
    print(f"{head[0]:<10} {head[1]:>9} {head[2]:>9} {head[3]:>10} {head[4]:>10} {head[5]:>9} accepted")
    for name, (wall, cpu, accepted) in best.items():
        print(
            f"{name:<10} {count / wall:>9.0f} {wall / count * 1e6:>9.1f} {cpu / count * 1e6:>10.1f} "
            f"{wall / ref_wall:>10.2f} {cpu / ref_cpu:>9.2f} {accepted}/{count}"
        )
    summary = {
        "verdict_us_per_event": round(verdict_us, 1),  # parse + scan, inside the callback
        "callback_cpu_us_per_event": round((best["accept"][1] - ref_cpu) / count * 1e6, 1),
        "policy_cpu_us_per_event": round((best["nsecguard"][1] - ref_cpu) / count * 1e6, 1),
        "wall_ratio": round(best["nsecguard"][0] / ref_wall, 2),
        "cpu_ratio": round(best["nsecguard"][1] / ref_cpu, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
