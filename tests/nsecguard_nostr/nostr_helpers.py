"""Keys and events generated at test time (never committed), and the no-leak assertion."""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from nsecguard import bech32, keys


class TestKey(NamedTuple):
    __test__ = False  # not a pytest test class

    secret: bytes
    hex: str
    nsec: str
    pubhex: str
    npub: str

    @property
    def forms(self) -> list[str]:
        """Every spelling of the private key that must never appear in output."""
        return [self.hex, self.nsec]


def new_key() -> TestKey:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            break
    pub = keys.xonly_pubkey(secret)
    return TestKey(secret, secret.hex(), bech32.encode("nsec", secret), pub.hex(), keys.npub(pub))


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
    return {
        "id": event_id or rand_hex(),
        "pubkey": pubkey or rand_hex(),
        "created_at": created_at,
        "kind": kind,
        "tags": tags or [],
        "content": content,
        "sig": rand_hex(64),
    }


def request(ev: dict[str, Any]) -> str:
    """A write-policy request line, as strfry writes it."""
    body = {"type": "new", "event": ev, "receivedAt": 1_700_000_001, "sourceType": "IP4"}
    body["sourceInfo"] = "192.0.2.7"
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def assert_no_key(text: str | bytes, *test_keys: TestKey) -> None:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    low = data.lower()
    for k in test_keys:
        for form in k.forms:
            assert form.lower() not in low, "a private key leaked into output"
        for i in range(0, 44, 11):  # nor any 20-character piece of one
            assert k.hex[i : i + 20] not in low, "part of a private key leaked into output"
            assert k.nsec[5 + i : 5 + i + 20] not in low, "part of a private key leaked into output"
