"""Whole realistic files, generated at test time: every planted key found with its npub, and
nothing else found in files full of look-alikes (hashes, ids, pubkeys, digests, signatures)."""

from __future__ import annotations

import base64
import json
import os
import random

import pytest

from nsecguard import scan_text

from keygen import TestKey, new_key


def h(n: int = 32) -> str:
    return os.urandom(n).hex()


def event(pubkey: str, content: str = "gm", tags: list[list[str]] | None = None, kind: int = 1) -> str:
    return json.dumps(
        {
            "id": h(),
            "pubkey": pubkey,
            "created_at": 1_700_000_000 + random.randint(0, 10**6),
            "kind": kind,
            "tags": tags or [],
            "content": content,
            "sig": h(64),
        }
    )


def lookalike_files(k: TestKey) -> dict[str, str]:
    return {
        "Cargo.lock": "".join(
            f'[[package]]\nname = "crate{i}"\nversion = "1.0.{i}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "{h()}"\n\n'
            for i in range(40)
        ),
        "requirements.txt": "".join(
            f"pkg{i}==1.{i} \\\n    --hash=sha256:{h()} \\\n    --hash=sha256:{h()}\n" for i in range(20)
        ),
        "package-lock.json": json.dumps(
            {
                "packages": {
                    f"node_modules/p{i}": {
                        "version": "1.0.0",
                        "resolved": f"https://registry.npmjs.org/p{i}/-/p{i}-1.0.0.tgz",
                        "integrity": "sha512-" + base64.b64encode(os.urandom(64)).decode(),
                    }
                    for i in range(30)
                }
            },
            indent=2,
        ),
        "go.sum": "".join(
            f"example.com/m{i} v1.{i}.0 h1:{base64.b64encode(os.urandom(32)).decode()}\n" for i in range(30)
        ),
        "Dockerfile": f"FROM python:3.11-slim@sha256:{h()}\nRUN pip install nsecguard\n",
        "docker-compose.yml": f"services:\n  relay:\n    image: ghcr.io/hoytech/strfry@sha256:{h()}\n    environment:\n      RELAY_PUBKEY: {k.pubhex}\n",
        "git-log.txt": "".join(
            f"commit {h()}\nAuthor: Dev <d@example.com>\n\n    change {i}\n\n" for i in range(20)
        ),
        "SHA256SUMS": "".join(f"{h()}  release-{i}.tar.gz\n" for i in range(20)),
        "events.jsonl": "\n".join(
            event(h(), f"hello nostr:{new_key().npub}", [["p", h()], ["e", h(), "wss://r.example"]])
            for _ in range(50)
        ),
        "relay-msgs.log": "\n".join(json.dumps(["EVENT", "sub", json.loads(event(h()))]) for _ in range(20)),
        "nip05.json": json.dumps(
            {"names": {f"user{i}": h() for i in range(20)}, "relays": {h(): ["wss://r.example"]}}
        ),
        "profile.md": f"Follow me: {k.npub}\n\nnostr:{new_key().npub}\n\nMy hex pubkey: `{k.pubhex}`\n",
        "contacts.json": json.dumps(
            event(k.pubhex, "", [["p", h(), "wss://r", "bob"] for _ in range(100)], kind=3)
        ),
        "zap.json": json.dumps({"payment_hash": h(), "preimage": h(), "bolt11": "lnbc1" + "q" * 200}),
        "blossom.txt": "".join(f"https://blossom.example.com/{h()}.png\n" for _ in range(10)),
        "tx.txt": f"txid: {h()}\nblockhash: {h()}\nmerkle root: {h()}\n",
        "placeholders.env": "NOSTR_NSEC=nsec1...\nNOSTR_SK=<your hex private key>\nBUNKER=bunker://<pubkey>?relay=wss://r&secret=<secret>\nNWC=nostr+walletconnect://<pubkey>?relay=wss://r&secret=<secret>\n",
        "sri.html": f'<script src="x.js" integrity="sha384-{base64.b64encode(os.urandom(48)).decode()}"></script>\n',
        "test_hashes.py": f'assert sha256(b"x").hexdigest() == "{h()}"\nEXPECTED_ID = "{h()}"\nPUBKEY = "{k.pubhex}"\n',
        "jwt.txt": "Authorization: Bearer "
        + ".".join(
            base64.urlsafe_b64encode(json.dumps({"sub": h(), "iat": 1}).encode()).decode().rstrip("=")
            for _ in range(3)
        )
        + "\n",
        "notebook.ipynb": json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "source": [f"event_id = '{h()}'\n"],
                        "outputs": [{"data": {"image/png": base64.b64encode(os.urandom(3000)).decode()}}],
                    }
                ]
            }
        ),
    }


def leak_files(k: list[TestKey], other: TestKey) -> dict[str, tuple[str, list[str]]]:
    """file -> (text, npubs that must be found)."""
    return {
        ".env": (
            f"RELAY_URL=wss://relay.example.com\nNOSTR_PRIVATE_KEY={k[0].hex}\nNOSTR_PUBKEY={k[0].pubhex}\n",
            [k[0].npub],
        ),
        "bash_history": (
            f"ls\nnak event --sec {k[1].nsec} -c 'hello' wss://relay.damus.io\ngit status\n",
            [k[1].npub],
        ),
        "ci.log": (
            f"2024-05-01T10:00:00Z Run ./bot\n2024-05-01T10:00:01Z DEBUG loaded keys: sk={k[2].hex} pk={k[2].pubhex}\n",
            [k[2].npub],
        ),
        "k8s-secret.yaml": (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: nostr-bot\ndata:\n  NOSTR_SECRET_KEY: {base64.b64encode(k[3].hex.encode()).decode()}\n",
            [k[3].npub],
        ),
        "chat-export.txt": (
            f"[10:01] alice: here's my key for the bot {k[4].nsec.upper()} lol\n[10:02] bob: NO\n",
            [k[4].npub],
        ),
        "agent.log": (
            json.dumps(
                {"level": "info", "msg": "signing", "ctx": {"privateKey": k[5].hex, "relay": "wss://r"}}
            )
            + "\n",
            [k[5].npub],
        ),
        "events-leak.jsonl": (
            event(k[6].pubhex, f"oops {k[6].hex}") + "\n" + event(other.pubhex, "hi") + "\n",
            [k[6].npub],
        ),
        "wallet.txt": (
            f"nostr+walletconnect://{other.pubhex}?relay=wss%3A%2F%2Frelay.getalby.com%2Fv1&secret={k[7].hex}&lud16=me@getalby.com\n",
            [k[7].npub],
        ),
        "config.toml": (f'[bot]\nname = "zapbot"\nnsec = "{k[8].nsec}"\n', [k[8].npub]),
        "README.md": (f"## Setup\n\n```\nexport NOSTR_SK={k[9].hex}\n```\n", [k[9].npub]),
    }


@pytest.fixture(scope="module")
def keyset() -> tuple[list[TestKey], TestKey]:
    return [new_key() for _ in range(10)], new_key()


def test_lookalike_files_give_no_findings(keyset: tuple[list[TestKey], TestKey]) -> None:
    keys, _ = keyset
    for name, text in lookalike_files(keys[0]).items():
        found = scan_text(text, path=name)
        assert found == [], (name, [(f.line, f.kind, f.reason) for f in found])


def test_every_leak_is_found_with_its_npub(keyset: tuple[list[TestKey], TestKey]) -> None:
    keys, other = keyset
    for name, (text, npubs) in leak_files(keys, other).items():
        found = scan_text(text, path=name)
        assert sorted({f.npub or "" for f in found}) == sorted(npubs), (
            name,
            [(f.kind, f.reason) for f in found],
        )
