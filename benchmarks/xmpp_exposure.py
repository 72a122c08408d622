"""Exposure window of the XMPP guard: from a user's send until another occupant sees the retraction.

    python benchmarks/xmpp_exposure.py                 # 40 single messages, then 10/s for 10 s
    python benchmarks/xmpp_exposure.py --samples 10 --duration 3   # a quick run

Starts its own throwaway Prosody (tests/nsecguard_xmpp/local_prosody.py: 127.0.0.1, a free
port, mod_muc_moderation) and two bots as separate processes, each owning its own room: the
guard (`python -m nsecguard_xmpp`, journal, safe copy and warning as usual) and the reference,
a minimal slixmpp bot that only retracts any message holding "nsec1" (this file, run with
`--minimal-bot`). Messages take turns between the two rooms; the sender and the observer are
slixmpp clients in this process. Prints p50, p99 and max for each and the ratio of the
medians. Every key is generated here and thrown away.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nsecguard import bech32, keys  # noqa: E402
from nsecguard_xmpp.client import (  # noqa: E402
    is_retraction,
    make_client,
    moderate,
    moderation_version,
    on_every_message,
    stanza_id,
)
from tests.nsecguard_xmpp.local_prosody import LocalProsody  # noqa: E402


def fresh_nsec() -> str:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            return bech32.encode("nsec", secret)


async def online(server: LocalProsody, jid: str, password: str) -> Any:
    client = make_client(jid, password, tls="none")
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_start(_: Any) -> None:
        client.send_presence()
        if not started.done():
            started.set_result(None)

    client.add_event_handler("session_start", on_start)
    client.connect(server.host, server.port)
    await asyncio.wait_for(started, 30)
    return client


# ---- the reference: retract, nothing else ----------------------------------------------


async def minimal_bot(host: str, port: int, jid: str, room: str) -> None:
    password = os.environ["BENCH_XMPP_PASSWORD"]
    client = make_client(jid, password, tls="none")
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    client.add_event_handler("session_start", lambda _: started.done() or started.set_result(None))
    client.connect(host, port)
    await started
    await client.plugin["xep_0045"].join_muc_wait(room, "minimal", maxstanzas=0, timeout=30)
    version = await moderation_version(client, room)
    pending: set[asyncio.Future[None]] = set()

    def on_message(msg: Any) -> None:
        if (
            msg["type"] == "groupchat"
            and "nsec1" in (msg["body"] or "")
            and msg["from"].resource != "minimal"
        ):
            sid = stanza_id(msg, room)
            if sid:
                task = asyncio.ensure_future(moderate(client, room, sid, "key", version=version))
                pending.add(task)
                task.add_done_callback(pending.discard)

    on_every_message(client, on_message)
    print("ready", flush=True)
    await asyncio.Event().wait()


# ---- the run ---------------------------------------------------------------------------


def start_bot(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "ready" in line:
            # keep draining its output, so a full pipe never slows the bot down
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc
    raise RuntimeError("a bot did not start")


Results = dict[str, list[float]]


async def measure(
    server: LocalProsody, rooms: dict[str, str], samples: int, rate: float, duration: float
) -> tuple[Results, Results, dict[str, int]]:
    sender = await online(server, *register(server, "sender"))
    observer = await online(server, *register(server, "observer"))
    for room in rooms.values():
        await sender.plugin["xep_0045"].join_muc_wait(room, "sender", maxstanzas=0, timeout=30)
        await observer.plugin["xep_0045"].join_muc_wait(room, "observer", maxstanzas=0, timeout=30)
    sent_at: dict[str, float] = {}  # the sender's message id -> when it was sent
    by_sid: dict[str, str] = {}
    done: dict[str, asyncio.Future[float]] = {}

    def on_message(msg: Any) -> None:
        now = time.perf_counter()
        room = msg["from"].bare
        target = is_retraction(msg)
        if target is not None and target in by_sid:
            fut = done[by_sid[target]]
            if not fut.done():
                fut.set_result(now)
        elif msg["id"] in sent_at:
            sid = stanza_id(msg, room)
            if sid:
                by_sid[sid] = msg["id"]

    on_every_message(observer, on_message)
    results: dict[str, list[float]] = {name: [] for name in rooms}
    for i in range(samples):
        for name, room in rooms.items():
            msg: Any = sender.make_message(mto=room, mbody=f"sample {i}: {fresh_nsec()}", mtype="groupchat")
            done[msg["id"]] = asyncio.get_running_loop().create_future()
            sent_at[msg["id"]] = time.perf_counter()
            msg.send()
            try:
                seen = await asyncio.wait_for(done[msg["id"]], 30)
                results[name].append((seen - sent_at[msg["id"]]) * 1000)
            except TimeoutError:
                print(f"  {name}: sample {i} was never retracted", file=sys.stderr)
            await asyncio.sleep(0.2)  # let the guard's follow-ups pass before the next sample

    # under load: `rate` leaks per second into each room at once, for `duration` seconds
    loaded: Results = {name: [] for name in rooms}
    missed = dict.fromkeys(rooms, 0)
    waiting: list[tuple[str, str]] = []
    for i in range(int(rate * duration)):
        for name, room in rooms.items():
            msg = sender.make_message(mto=room, mbody=f"load {i}: {fresh_nsec()}", mtype="groupchat")
            done[msg["id"]] = asyncio.get_running_loop().create_future()
            sent_at[msg["id"]] = time.perf_counter()
            msg.send()
            waiting.append((name, msg["id"]))
        await asyncio.sleep(1 / rate)
    for name, mid in waiting:
        try:
            seen = await asyncio.wait_for(done[mid], 30)
            loaded[name].append((seen - sent_at[mid]) * 1000)
        except TimeoutError:
            missed[name] += 1
    sender.disconnect(wait=0.5)
    observer.disconnect(wait=0.5)
    await asyncio.sleep(0.2)
    return results, loaded, missed


def register(server: LocalProsody, name: str) -> tuple[str, str]:
    user = f"{name}{uuid.uuid4().hex[:6]}"
    password = "pw-" + user
    return server.register(user, password), password


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rate", type=float, default=10.0, help="leaks per second per room under load")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (0: none)")
    parser.add_argument("--minimal-bot", nargs=4, metavar=("HOST", "PORT", "JID", "ROOM"))
    args = parser.parse_args()
    if args.minimal_bot:
        host, port, jid, room = args.minimal_bot
        asyncio.run(minimal_bot(host, int(port), jid, room))
        return 0
    with tempfile.TemporaryDirectory(prefix="nsecguard-xmpp-bench-") as tmp:
        base = Path(tmp)
        server = LocalProsody(base)
        server.write_config()
        server.start()
        procs: list[subprocess.Popen[str]] = []
        try:
            guard_jid, guard_pw = register(server, "guard")
            ref_jid, ref_pw = register(server, "minimal")
            rooms = {"guard": f"g{uuid.uuid4().hex[:6]}@{server.muc_domain}"}
            rooms["minimal"] = f"m{uuid.uuid4().hex[:6]}@{server.muc_domain}"
            cfg = base / "guard.toml"
            cfg.write_text(
                f'jid = "{guard_jid}"\npassword_env = "BENCH_XMPP_PASSWORD"\nstate_dir = "{base / "state"}"\n'
                f'rooms = ["{rooms["guard"]}"]\nhost = "{server.host}"\nport = {server.port}\ntls = "none"\n'
            )
            procs.append(
                start_bot(
                    [sys.executable, "-m", "nsecguard_xmpp", "--config", str(cfg)],
                    {**os.environ, "BENCH_XMPP_PASSWORD": guard_pw},
                )
            )
            procs.append(
                start_bot(
                    [
                        sys.executable,
                        __file__,
                        "--minimal-bot",
                        server.host,
                        str(server.port),
                        ref_jid,
                        rooms["minimal"],
                    ],
                    {**os.environ, "BENCH_XMPP_PASSWORD": ref_pw},
                )
            )
            results, loaded, missed = asyncio.run(
                measure(server, rooms, args.samples, args.rate, args.duration)
            )
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
            server.stop()
    print("exposure window on Prosody (send -> another occupant sees the retraction)")
    table(f"single messages, {args.samples} each", results, None)
    if args.duration > 0:
        table(f"under load: {args.rate:g}/s into each room for {args.duration:g} s", loaded, missed)
    return 0


def table(title: str, results: Results, missed: dict[str, int] | None) -> None:
    print(f"\n{title}")
    print(f"{'bot':<10}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'missed':>8}")
    for name, values in results.items():
        if values:
            p50, p99 = pct(values, 0.5), pct(values, 0.99)
            lost = missed[name] if missed else 0
            print(f"{name:<10}{len(values):>5}{p50:>10.1f}{p99:>10.1f}{max(values):>10.1f}{lost:>8}")
    if results["guard"] and results["minimal"]:
        ratio = statistics.median(results["guard"]) / statistics.median(results["minimal"])
        print(f"guard / minimal (median): {ratio:.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
