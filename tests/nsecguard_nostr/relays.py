"""Real relays on 127.0.0.1 for the tests: nostr-sdk's `LocalRelay`, in this process or in a
child process (which a test can kill and restart on the same port).

    async with local_relay() as url: ...          # in-process, stopped on exit
    proc = RelayProcess(); proc.start(); proc.kill(); proc.start()   # same port each time

Run as a script (`python relays.py PORT`) it serves one LocalRelay until killed.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def local_relay(port: int = 0) -> AsyncIterator[str]:
    """A LocalRelay in this process; yields its ws:// URL."""
    from nostr_sdk import LocalRelayBuilder

    relay = LocalRelayBuilder().addr("127.0.0.1").port(port or free_port()).build()
    await relay.run()
    try:
        yield str(await relay.url())
    finally:
        relay.shutdown()


class RelayProcess:
    """A LocalRelay in a child process, on a fixed port (restartable on the same port)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), line

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


async def _serve(port: int) -> None:
    from nostr_sdk import LocalRelayBuilder

    relay = LocalRelayBuilder().addr("127.0.0.1").port(port).build()
    for _ in range(50):  # the port may still be held for a moment after a kill
        try:
            await relay.run()
            break
        except Exception:
            await asyncio.sleep(0.1)
    print("ready", await relay.url(), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
