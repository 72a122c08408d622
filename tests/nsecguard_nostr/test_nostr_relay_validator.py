"""The `nostr-relay` validator, end to end: the real nostr-relay server (uvicorn, SQLite) started
by the test on 127.0.0.1 with the validator in its config; events signed by nostr-sdk and sent
over a raw websocket, as nostr-relay answers a rejection with an empty id (which nostr-sdk's
client cannot match to its event)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nostr_helpers import TestKey, assert_no_key, new_key
from nostr_sdk import EventBuilder, Keys, Kind
from sdk_relay import free_port

from nsecguard_nostr.nostr_relay_validator import reject_leaks

pytestmark = pytest.mark.slow

CONFIG = """\
DEBUG: false
storage:
  sqlalchemy.url: sqlite+aiosqlite:///{db}
  validators:
    - nostr_relay.validators.is_signed
    - nsecguard_nostr.nostr_relay_validator.reject_leaks
gunicorn:
  bind: 127.0.0.1:{port}
  workers: 1
  loglevel: warning
  reload: false
"""


@pytest.fixture
def nostr_relay(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    exe = shutil.which("nostr-relay", path=str(Path(sys.executable).parent))
    assert exe is not None, "nostr-relay is not installed (pip install -e '.[all]')"
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "relay.sqlite3", port=port))
    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "-c", str(config), "serve", "--use-uvicorn"], cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        for _ in range(300):  # start-up runs its database migrations first
            if proc.poll() is not None:
                pytest.fail("nostr-relay exited: " + log.read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("nostr-relay did not start")
        yield f"ws://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        proc.wait(10)


async def send(url: str, event_json: str) -> list[Any]:
    """The OK frame for one event, on a connection of its own (nostr-relay throttles a connection
    after each rejection)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps(["EVENT", json.loads(event_json)]))
        frame: list[Any] = json.loads(await ws.receive_str(timeout=20))
        return frame


def signed(author: TestKey, content: str, kind: int = 1) -> str:
    json_text: str = EventBuilder(Kind(kind), content).finalize(Keys.parse(author.hex)).as_json()
    return json_text


async def test_nostr_relay_refuses_leaks_and_keeps_clean_events(nostr_relay: tuple[str, Path]) -> None:
    url, log = nostr_relay
    author, victim = new_key(), new_key()
    ok = await send(url, signed(author, f"oops nostr:{victim.nsec}"))
    assert ok[0] == "OK" and ok[2] is False
    assert ok[3].startswith("blocked: this event contains the private key of " + victim.npub), ok
    assert "blocked: blocked:" not in ok[3]
    profile = json.dumps({"name": "a", "about": f"key {author.nsec}"})
    ok = await send(url, signed(author, profile, kind=0))
    assert ok[2] is False and f"your own private key ({author.npub})" in ok[3]
    clean = signed(author, "gm, keep your nsec to yourself")
    assert await send(url, clean) == ["OK", json.loads(clean)["id"], True, ""]
    assert_no_key(log.read_text(), author, victim)
    assert_no_key(json.dumps(ok), author, victim)


def test_validator_alone() -> None:
    from nostr_relay.errors import StorageError

    class E:
        id, pubkey, created_at, kind, tags = "00" * 32, "11" * 32, 0, 1, [["t", "x"]]

        def __init__(self, content: str) -> None:
            self.content = content

    k = new_key()
    reject_leaks(E("nothing here"), None)
    with pytest.raises(StorageError) as exc:
        reject_leaks(E(k.nsec), None)
    assert k.npub in str(exc.value)
    assert_no_key(str(exc.value), k)
