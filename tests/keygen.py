"""Test keys, generated at test time (never committed)."""

from __future__ import annotations

import os
from typing import NamedTuple

from nsecguard import bech32, keys


class TestKey(NamedTuple):
    __test__ = False  # not a pytest test class
    secret: bytes
    hex: str
    nsec: str
    pubkey: bytes
    pubhex: str
    npub: str

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint_pubkey(self.pubkey)

    @property
    def forms(self) -> list[str]:
        """Every spelling of the private key that must never appear in output."""
        return [self.hex, self.hex.upper(), self.nsec, self.nsec.upper()]


def new_key() -> TestKey:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            break
    return from_secret(secret)


def from_secret(secret: bytes) -> TestKey:
    pub = keys.xonly_pubkey(secret)
    return TestKey(secret, secret.hex(), bech32.encode("nsec", secret), pub, pub.hex(), keys.npub(pub))


def assert_no_key(text: str | bytes, *test_keys: TestKey) -> None:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    low = data.lower()
    for k in test_keys:
        for form in k.forms:
            assert form.lower() not in low, "a private key leaked into output"
        # no fragment either: any 20-char window of the key
        for i in range(0, 44, 11):
            assert k.hex[i : i + 20] not in low, "part of a private key leaked into output"
            assert k.nsec[5 + i : 5 + i + 20] not in low, "part of a private key leaked into output"
