"""False positives removed (issue 14): well-known scalars, proof by value rather than by place,
and one placeholder rule for connection secrets. Keys are generated at test time."""

from __future__ import annotations

import json

import pytest

from nsecguard import Confidence, Kind, Options, scan_text
from nsecguard.engine import placeholder_reason
from nsecguard.keys import CURVE_ORDER, well_known

from keygen import TestKey, from_secret, new_key

LOW = Options(min_confidence=Confidence.LOW)


def _hex(d: int) -> str:
    return d.to_bytes(32, "big").hex()


def test_tiny_scalar_proven_by_its_public_key_is_well_known_not_certain() -> None:
    """A NIP-44 vector: `nonce: 00..01` beside the public key of 1 (the generator) was reported
    "certain"; it is no one's secret."""
    one = from_secret((1).to_bytes(32, "big"))
    text = json.dumps({"sec2": _hex(1), "pub2": one.pubhex, "nonce": _hex(1)})
    assert scan_text(text) == []
    found = scan_text(text, options=LOW)
    assert found and all(f.confidence is Confidence.LOW and "well-known" in f.reason for f in found)


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (_hex(2), "the scalar 2"),
        (_hex(CURVE_ORDER - 8), "the curve order minus 8"),
        ("39" * 32, "the byte 0x39 repeated"),
        (bytes(range(1, 33)).hex(), "consecutive bytes"),
    ],
)
def test_well_known_scalars_named_as_keys_are_low(value: str, what: str) -> None:
    assert well_known(bytes.fromhex(value)) == what
    assert scan_text(f"NOSTR_SECRET_KEY={value}\n") == []
    (f,) = scan_text(f"NOSTR_SECRET_KEY={value}\n", options=LOW)
    assert f.confidence is Confidence.LOW and what in f.reason


def test_a_random_key_is_not_well_known(key: TestKey) -> None:
    assert well_known(key.secret) is None


def test_proof_goes_by_value_not_by_place(key: TestKey, key2: TestKey) -> None:
    """The same value as an event's id and, later, given to `nak key public` (whose output, its
    public key, follows): a key there, and not at the id."""
    event = json.dumps({"id": key.hex, "pubkey": key2.pubhex, "kind": 1, "content": "hi"})
    text = f"{event}\n$ nak key public {key.hex}\n{key.pubhex}\n"
    found = scan_text(text)
    assert [(f.line, f.confidence) for f in found] == [(2, Confidence.CERTAIN)]


def test_proof_still_wins_where_every_place_names_it_otherwise(key: TestKey) -> None:
    text = json.dumps({"conversation_key": key.hex, "tags": [["p", key.pubhex]]})
    assert [f.npub for f in scan_text(text)] == [key.npub]


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("abcd", "too short to be a token"),
        ("abc123", "too short to be a token"),
        ("{secret}", "template characters"),
        ("aaaaaaaaaaaa", "one or two characters repeated"),
        ("your-secret-here", "a placeholder word"),
        ("password123", "a dummy value"),
        ("abcdefgh", "a keyboard or alphabet run"),
        ("abcd1234", "a keyboard or alphabet run"),
        ("qwertyuiop", "a keyboard or alphabet run"),
    ],
)
def test_one_placeholder_rule(secret: str, why: str) -> None:
    assert placeholder_reason(secret.encode()) == why
    uri = f"bunker://{new_key().pubhex}?relay=wss://r.example&secret={secret}"
    (f,) = scan_text(uri, options=LOW)
    assert f.kind is Kind.BUNKER and f.confidence is Confidence.LOW and why in f.reason


@pytest.mark.parametrize(
    "secret", ["0b2a5d9e77", "q7x1zf2k9m3w", "k2m9x7q1w4z8", "Zx8Qp2Lm"]
)  # nsecguard: allow
def test_real_looking_tokens_are_reported(secret: str) -> None:
    assert placeholder_reason(secret.encode()) is None
    uri = f"nostrconnect://{new_key().pubhex}?relay=wss://r.example&secret={secret}"
    (f,) = scan_text(uri)
    assert f.kind is Kind.NOSTRCONNECT and f.confidence is Confidence.HIGH
