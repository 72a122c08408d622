"""Exposure window of the Matrix guard: from a user's send until another client sees the redaction.

    python benchmarks/matrix_exposure.py                       # 40 single messages, then 20/s for 60 s
    python benchmarks/matrix_exposure.py --samples 10 --rate 20 --duration 5   # a quick run

Starts its own throwaway Synapse and the bot (`python -m nsecguard_matrix bot`, a separate
process, posting the safe copy and the DM as usual). The sender and the observer are lean
HTTP clients (aiohttp, raw client-server API) in this process, so the numbers measure the
server and the bot, not a client library. Prints p50, p99 and max, and how many keys were
missed (not redacted) under load. Every key is generated here and thrown away.
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


async def bench(hs: LocalSynapse, base: Path, args: argparse.Namespace) -> int:
    hs.register("nsecguard", "bot-password")
    hs.register("sender", "sender-password")
    hs.register("observer", "observer-password")
    config = base / "bot.toml"
    config.write_text(
        f'homeserver = "{hs.url}"\nuser_id = "@nsecguard:localhost"\npassword = "bot-password"\n'
        f'store_path = "{base / "bot-store"}"\n'
    )
    bot_log = (base / "bot.log").open("w")
    bot = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nsecguard_matrix",
            "bot",
            "--config",
            str(config),
            "--log-level",
            args.bot_log_level,
        ],
        stdout=bot_log,
        stderr=subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            sender = await login(session, hs.url, "sender", "sender-password")
            observer_api = await login(session, hs.url, "observer", "observer-password")
            room = (
                await sender.call(
                    "POST",
                    "/_matrix/client/v3/createRoom",
                    {
                        "invite": ["@nsecguard:localhost", "@observer:localhost"],
                        "power_level_content_override": {"users": {"@nsecguard:localhost": 50}},
                        "preset": "private_chat",
                    },
                )
            )["room_id"]
            await observer_api.call("POST", f"/_matrix/client/v3/join/{room}", {})
            observer = Observer(observer_api)
            await observer.prime()
            watching = asyncio.ensure_future(observer.run())
            # wait for the bot to join, then warm up (first DM room, connections)
            deadline = time.monotonic() + 60
            while True:
                members = await sender.call("GET", f"/_matrix/client/v3/rooms/{room}/joined_members")
                if "@nsecguard:localhost" in members["joined"]:
                    break
                if time.monotonic() > deadline or bot.poll() is not None:
                    raise RuntimeError("the bot did not join")
                await asyncio.sleep(0.1)
            for _ in range(3):
                event_id, _t = await send(sender, room, f"warm-up {fresh_nsec()}")
                await wait_for(observer, [event_id], 20)
                await asyncio.sleep(0.5)

            # 1. single messages, spaced out: the exposure window
            single: list[float] = []
            for _ in range(args.samples):
                event_id, started = await send(sender, room, f"here is my key {fresh_nsec()} thanks")
                await wait_for(observer, [event_id], 20)
                single.append((observer.redacted[event_id] - started) * 1000)
                await asyncio.sleep(args.gap)
            print(summary("single messages, exposure window", single))

            # 2. load: `rate` leaking messages a second for `duration` seconds
            sent: list[tuple[str, float]] = []
            interval = 1.0 / args.rate
            start = time.perf_counter()
            tasks = []
            for i in range(int(args.rate * args.duration)):
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(
                    asyncio.ensure_future(send(sender, room, f"load {i}: my nsec is {fresh_nsec()}"))
                )
            sent = list(await asyncio.gather(*tasks))
            await wait_for(observer, [e for e, _ in sent], args.settle, quiet=True)
            missed = [e for e, _ in sent if e not in observer.redacted]
            # a second opinion from the server: the event's content must be gone
            for event_id in missed[:]:
                ev = await sender.call("GET", f"/_matrix/client/v3/rooms/{room}/event/{event_id}")
                if not ev.get("content"):
                    missed.remove(event_id)
            load = [(observer.redacted[e] - t) * 1000 for e, t in sent if e in observer.redacted]
            print(summary(f"under load ({args.rate}/s for {args.duration:.0f} s)", load))
            print(f"keys missed under load: {len(missed)} of {len(sent)}")
            watching.cancel()
            return 1 if missed else 0
    finally:
        bot.terminate()
        try:
            bot.wait(timeout=15)
        except subprocess.TimeoutExpired:
            bot.kill()
        bot_log.close()


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
