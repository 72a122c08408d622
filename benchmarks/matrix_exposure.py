"""Exposure window of the Matrix guard: from a user's send until another client sees the redaction.

    python benchmarks/matrix_exposure.py                       # 40 single messages, then 20/s for 60 s
    python benchmarks/matrix_exposure.py --samples 10 --rate 20 --duration 5   # a quick run
    python benchmarks/matrix_exposure.py --reference raw   # against the floor (raw_redact_bot.py)

Starts its own throwaway Synapse and the bot (`python -m nsecguard_matrix bot`, a separate
process, posting the safe copy and the DM as usual), and beside it the reference: a minimal
nio bot that only redacts (`minimal_redact_bot.py`), each guarding its own room; single
messages take turns between the two rooms, and the ratio of the medians is printed. With
`--reference raw` the reference is `raw_redact_bot.py` instead: raw HTTP, the narrowest filter,
nothing but the redaction (the homeserver's own share of the window, as near as a client gets).
The sender and the observer are lean HTTP clients (aiohttp, raw client-server API) in this
process, so the numbers measure the server and the bot, not a client library. Prints p50,
p99 and max, and how many keys were missed (not redacted) under load.
Every key is generated here and thrown away.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from nsecguard import bech32, keys
from nsecguard_matrix.local_synapse import LocalSynapse

FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 200, "types": ["m.room.redaction"]},
        "state": {"not_types": ["*"]},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


# the reference bots: script beside this one, and how the report names it
REFERENCES = {
    "nio": ("minimal_redact_bot.py", "a minimal nio bot that only redacts"),
    "raw": ("raw_redact_bot.py", "a raw-HTTP bot that only redacts (narrowest filter, no client library)"),
}


def fresh_nsec() -> str:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            return bech32.encode("nsec", secret)


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session, self.url = session, url
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        async with self.session.request(
            method, self.url + path, json=body, params=params or None, headers=self.headers
        ) as r:
            data = await r.json()
            if r.status != 200:
                raise RuntimeError(f"{method} {path}: {r.status} {data.get('errcode')}")
            return data


async def login(session: aiohttp.ClientSession, url: str, user: str, password: str) -> Api:
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
    }
    async with session.post(url + "/_matrix/client/v3/login", json=body) as r:
        return Api(session, url, (await r.json())["access_token"])


class Observer:
    """Another client: long-polls /sync and notes when each redaction arrives."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.redacted: dict[str, float] = {}
        self.since: str | None = None

    async def prime(self) -> None:
        data = await self.api.call("GET", "/_matrix/client/v3/sync", filter=json.dumps(FILTER), timeout="0")
        self.since = data["next_batch"]

    async def run(self) -> None:
        while True:
            params = {"filter": json.dumps(FILTER), "timeout": "30000"}
            if self.since:
                params["since"] = self.since
            data = await self.api.call("GET", "/_matrix/client/v3/sync", **params)
            now = time.perf_counter()
            self.since = data["next_batch"]
            for room in data.get("rooms", {}).get("join", {}).values():
                for ev in room.get("timeline", {}).get("events", []):
                    target = ev.get("redacts") or ev.get("content", {}).get("redacts")
                    if ev.get("type") == "m.room.redaction" and target:
                        self.redacted.setdefault(target, now)


async def send(api: Api, room: str, body: str) -> tuple[str, float]:
    started = time.perf_counter()
    data = await api.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{uuid.uuid4().hex}",
        {"msgtype": "m.text", "body": body},
    )
    return data["event_id"], started


def summary(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label}: no samples"
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{label}: n={len(ms)} p50={statistics.median(ms):.0f} ms p99={p99:.0f} ms max={max(ms):.0f} ms"
        f" (over 200 ms: {sum(m > 200 for m in ms)})"
    )


def start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def guarded_room(sender: Api, observer: Observer, bot_user: str, bot: subprocess.Popen[bytes]) -> str:
    """A room of the sender, the observer and one bot (moderator), once the bot has joined."""
    room: str = (
        await sender.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            {
                "invite": [bot_user, "@observer:localhost"],
                "power_level_content_override": {"users": {bot_user: 50}},
                "preset": "private_chat",
            },
        )
    )["room_id"]
    await observer.api.call("POST", f"/_matrix/client/v3/join/{room}", {})
    deadline = time.monotonic() + 60
    while True:
        members = await sender.call("GET", f"/_matrix/client/v3/rooms/{room}/joined_members")
        if bot_user in members["joined"]:
            return room
        if time.monotonic() > deadline or bot.poll() is not None:
            raise RuntimeError(f"{bot_user} did not join")
        await asyncio.sleep(0.1)


async def exposure(sender: Api, observer: Observer, room: str) -> float:
    event_id, started = await send(sender, room, f"here is my key {fresh_nsec()} thanks")
    await wait_for(observer, [event_id], 20)
    return (observer.redacted[event_id] - started) * 1000


async def load(
    sender: Api, observer: Observer, room: str, args: argparse.Namespace
) -> tuple[str, list[float]]:
    """Send `rate` leaking messages a second for `duration` seconds; how many were missed
    ("N of M") and each exposure window (ms)."""
    interval = 1.0 / args.rate
    start_at = time.perf_counter()
    tasks = []
    for i in range(int(args.rate * args.duration)):
        delay = start_at + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(send(sender, room, f"load {i}: my nsec is {fresh_nsec()}")))
    sent = list(await asyncio.gather(*tasks))
    await wait_for(observer, [e for e, _ in sent], args.settle, quiet=True)
    missed = [e for e, _ in sent if e not in observer.redacted]
    # a second opinion from the server: the event's content must be gone
    for event_id in missed[:]:
        ev = await sender.call("GET", f"/_matrix/client/v3/rooms/{room}/event/{event_id}")
        if not ev.get("content"):
            missed.remove(event_id)
    windows = [(observer.redacted[e] - t) * 1000 for e, t in sent if e in observer.redacted]
    return f"{len(missed)} of {len(sent)}", windows


async def bench(hs: LocalSynapse, base: Path, args: argparse.Namespace) -> int:
    hs.register("nsecguard", "bot-password")
    hs.register("minimal", "minimal-password")
    hs.register("sender", "sender-password")
    hs.register("observer", "observer-password")
    config = base / "bot.toml"
    config.write_text(
        f'homeserver = "{hs.url}"\nuser_id = "@nsecguard:localhost"\npassword = "bot-password"\n'
        f'store_path = "{base / "bot-store"}"\n'
    )
    cmd = [sys.executable, "-m", "nsecguard_matrix", "bot", "--config", str(config)]
    bot = start([*cmd, "--log-level", args.bot_log_level], base / "bot.log")
    reference = None
    if not args.no_reference:
        script = str(Path(__file__).with_name(REFERENCES[args.reference][0]))
        reference = start(
            [sys.executable, script, hs.url, "@minimal:localhost", "minimal-password"], base / "ref.log"
        )
    try:
        async with aiohttp.ClientSession() as session:
            sender = await login(session, hs.url, "sender", "sender-password")
            observer = Observer(await login(session, hs.url, "observer", "observer-password"))
            await observer.prime()
            watching = asyncio.ensure_future(observer.run())
            room = await guarded_room(sender, observer, "@nsecguard:localhost", bot)
            ref_room = (
                await guarded_room(sender, observer, "@minimal:localhost", reference) if reference else None
            )
            for _ in range(3):  # warm up (first DM room, connections)
                await exposure(sender, observer, room)
                if ref_room:
                    await exposure(sender, observer, ref_room)
                await asyncio.sleep(0.5)

            # 1. single messages, spaced out: the exposure window, taking turns with the reference
            single: list[float] = []
            minimal: list[float] = []
            for _ in range(args.samples):
                single.append(await exposure(sender, observer, room))
                await asyncio.sleep(args.gap)
                if ref_room:
                    minimal.append(await exposure(sender, observer, ref_room))
                    await asyncio.sleep(args.gap)
            print(summary("single messages, exposure window", single))
            if minimal:
                print(summary(f"reference: {REFERENCES[args.reference][1]}", minimal))
                ratio = statistics.median(single) / statistics.median(minimal)
                print(
                    f"median ratio, nsecguard / {args.reference} reference bot: {ratio:.2f}x"
                    " (the goal, 75 ms against the issue's 80 ms: 0.94x)"
                )
            # 2. load: `rate` leaking messages a second for `duration` seconds; the reference
            # first (alone, then stopped), so the two loads never share the server
            if reference and ref_room:
                ref_missed, ref_load = await load(sender, observer, ref_room, args)
                stop(reference)
                reference = None
                print(summary(f"reference under load ({args.rate}/s for {args.duration:.0f} s)", ref_load))
                print(f"keys the reference missed under load: {ref_missed}")
            missed, under_load = await load(sender, observer, room, args)
            print(summary(f"under load ({args.rate}/s for {args.duration:.0f} s)", under_load))
            print(f"keys missed under load: {missed}")
            watching.cancel()
            return 0 if missed.startswith("0 ") else 1
    finally:
        stop(bot)
        if reference:
            stop(reference)


async def wait_for(observer: Observer, event_ids: list[str], timeout: float, *, quiet: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while not all(e in observer.redacted for e in event_ids):
        if time.monotonic() > deadline:
            if quiet:
                return
            raise TimeoutError("redaction not seen")
        await asyncio.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=40, help="single messages to time (default 40)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between single messages")
    parser.add_argument("--rate", type=float, default=20, help="messages a second under load (default 20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--settle", type=float, default=60, help="seconds to wait for the last redactions")
    parser.add_argument("--bot-log-level", default="warning", choices=["debug", "info", "warning"])
    parser.add_argument("--keep", action="store_true", help="keep the server's directory (logs)")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the minimal redact-only bot run alongside"
    )
    parser.add_argument(
        "--reference",
        choices=sorted(REFERENCES),
        default="nio",
        help="the bot run alongside: nio (the issue's minimal matrix-nio bot) or raw (raw HTTP: the floor)",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="nsecguard-bench-"))
    try:
        with LocalSynapse(base / "synapse") as hs:
            return asyncio.run(bench(hs, base, args))
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
