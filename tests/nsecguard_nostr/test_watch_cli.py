"""`nsecguard watch` and `nsecguard leaked` as real subprocesses, against a real relay."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("nostr_sdk")

from relays import local_relay
from watch_helpers import publish, warnings_for

from keygen import TestKey, assert_no_key, new_key

pytestmark = pytest.mark.slow


def identity_file(tmp_path: Path, key: TestKey, mode: int = 0o600) -> Path:
    path = tmp_path / "sentinel.key"
    path.write_text(key.nsec + "\n")
    path.chmod(mode)
    return path


async def run(
    exe: str, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    def call() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "COLUMNS": "100"},
        )

    return await asyncio.to_thread(call)


async def test_watch_subprocess_warns_then_leaked_answers(tmp_path: Path, nsecguard_exe: str) -> None:
    alice, bob, sentinel = new_key(), new_key(), new_key()
    store = tmp_path / "watch.db"
    ident = identity_file(tmp_path, sentinel)
    async with local_relay() as url:
        start = int(time.time()) - 5
        ev = await publish([url], alice, f"my key {alice.nsec}")
        # a script's run: backfill from --since, warn, stop once idle
        cp = await run(
            nsecguard_exe, "watch", "--relay", url, "--identity", str(ident), "--store", str(store),
            "--since", str(start), "--until-idle", "1.5", "--request-deletion",
        )  # fmt: skip
        assert cp.returncode == 0, cp.stderr
        assert sentinel.npub in cp.stderr and "warned " + alice.npub in cp.stderr
        got = await warnings_for([url], alice)
        assert len(got) == 1 and got[0][1] == sentinel.npub
        assert "was published" in got[0][2]  # the deletion was requested
        # a second run remembers: no second warning
        cp2 = await run(
            nsecguard_exe, "watch", "--relay", url, "--identity", "-", "--store", str(store),
            "--since", str(start), "--until-idle", "1.5", stdin=sentinel.hex + "\n",
        )  # fmt: skip
        assert cp2.returncode == 0, cp2.stderr
        assert "warned" not in cp2.stderr
        assert len(await warnings_for([url], alice)) == 1

    leaked = await run(nsecguard_exe, "leaked", alice.npub, "--store", str(store))
    assert leaked.returncode == 1, leaked.stderr
    assert "nevent1" in leaked.stdout and url in leaked.stdout and "by its owner" in leaked.stdout
    assert "deletion requested for " + ev.id().to_hex() in leaked.stdout
    as_json = await run(nsecguard_exe, "leaked", alice.pubhex, "--store", str(store), "--format", "json")
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["leaked"] and body["sightings"][0]["event_id"] == ev.id().to_hex()
    assert body["sightings"][0]["relay"] == url and body["warned"][0]["recipient"] == alice.npub

    clean = await run(nsecguard_exe, "leaked", bob.npub, "--store", str(store))
    assert clean.returncode == 0 and "not seen leaked" in clean.stdout

    outputs = [cp.stdout, cp.stderr, cp2.stdout, cp2.stderr, leaked.stdout, as_json.stdout, got[0][2]]
    for text in outputs:
        assert_no_key(text, alice, sentinel)
    assert_no_key(store.read_bytes(), alice, sentinel)
    assert (store.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(
    "args, message",
    [
        (["leaked", "npub1notanpub", "--store", "{store}"], "not an npub"),
        (["leaked", "{nsec}", "--store", "{store}"], "that is a private key"),
        (["leaked", "{npub}", "--store", "{missing}"], "no store at"),
        (["leaked", "{npub}", "--store", "{garbage}"], "not an nsecguard store"),
    ],
)
def test_leaked_errors_exit_2(tmp_path: Path, nsecguard_exe: str, args: list[str], message: str) -> None:
    k = new_key()
    from nsecguard_nostr.watch.store import Store

    Store(tmp_path / "s.db").close()
    (tmp_path / "garbage.db").write_bytes(b"not sqlite at all" * 100)
    subs = {
        "store": str(tmp_path / "s.db"),
        "missing": str(tmp_path / "none.db"),
        "garbage": str(tmp_path / "garbage.db"),
        "nsec": k.nsec,
        "npub": k.npub,
    }
    cp = subprocess.run([nsecguard_exe, *(a.format(**subs) for a in args)], capture_output=True, text=True)
    assert cp.returncode == 2, cp.stdout + cp.stderr
    assert message in cp.stderr
    assert "Traceback" not in cp.stderr
    assert_no_key(cp.stdout + cp.stderr, k)


def test_watch_refuses_an_identity_file_others_can_read(tmp_path: Path, nsecguard_exe: str) -> None:
    sentinel = new_key()
    ident = identity_file(tmp_path, sentinel, 0o644)
    cp = subprocess.run(
        [
            nsecguard_exe,
            "watch",
            "--relay",
            "ws://127.0.0.1:9",
            "--identity",
            str(ident),
            "--store",
            str(tmp_path / "w.db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cp.returncode == 2
    assert "readable by others" in cp.stderr and "chmod 600" in cp.stderr
    assert_no_key(cp.stdout + cp.stderr, sentinel)


@pytest.mark.parametrize("content", ["nsec1qqqqqqqq", "not a key at all", ""])
def test_watch_rejects_an_identity_that_is_not_a_key(
    tmp_path: Path, nsecguard_exe: str, content: str
) -> None:
    cp = subprocess.run(
        [
            nsecguard_exe,
            "watch",
            "--relay",
            "ws://127.0.0.1:9",
            "--identity",
            "-",
            "--store",
            str(tmp_path / "w.db"),
        ],
        input=content,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cp.returncode == 2
    assert "does not hold a private key" in cp.stderr
    assert content not in cp.stderr or not content


def test_watch_rejects_a_url_that_is_not_a_relay(tmp_path: Path, nsecguard_exe: str) -> None:
    sentinel = new_key()
    cp = subprocess.run(
        [
            nsecguard_exe,
            "watch",
            "--relay",
            "https://example.org",
            "--identity",
            "-",
            "--store",
            str(tmp_path / "w.db"),
        ],
        input=sentinel.nsec,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cp.returncode == 2 and "not a relay URL" in cp.stderr
    assert_no_key(cp.stdout + cp.stderr, sentinel)
