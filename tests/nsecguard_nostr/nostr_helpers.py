"""Keys and events generated at test time (never committed), and the no-leak assertion."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from keygen import TestKey, assert_no_key, new_key

__all__ = ["TestKey", "assert_no_key", "event", "new_key", "rand_hex", "request"]


def rand_hex(n: int = 32) -> str:
    return os.urandom(n).hex()


def event(
    content: str = "",
    tags: list[list[str]] | None = None,
    *,
    pubkey: str | None = None,
    kind: int = 1,
    created_at: int = 1_700_000_000,
    event_id: str | None = None,
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "id": "",
        "pubkey": pubkey or rand_hex(),
        "created_at": created_at,
        "kind": kind,
        "tags": tags or [],
        "content": content,
        "sig": rand_hex(64),
    }
    ev["id"] = event_id or nip01_id(ev)  # what the event's hash is: a relay checks it
    return ev


def nip01_id(ev: dict[str, Any]) -> str:
    body = [0, ev["pubkey"], ev["created_at"], ev["kind"], ev["tags"], ev["content"]]
    return hashlib.sha256(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def request(ev: dict[str, Any]) -> str:
    """A write-policy request line, as strfry writes it."""
    body = {"type": "new", "event": ev, "receivedAt": 1_700_000_001, "sourceType": "IP4"}
    body["sourceInfo"] = "192.0.2.7"
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
