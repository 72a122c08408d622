from __future__ import annotations

import coincurve
import pytest

from nsecguard import keys

from keygen import TestKey
from vectors import D1_NPUB, NIP19_NPUB, NIP19_SK_HEX


def test_derivation_matches_nip19_vector() -> None:
    assert keys.npub(keys.xonly_pubkey(bytes.fromhex(NIP19_SK_HEX))) == NIP19_NPUB


def test_derivation_matches_coincurve(key: TestKey) -> None:
    assert keys.xonly_pubkey(key.secret) == coincurve.PrivateKey(key.secret).public_key_xonly.format()


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (0, False),
        (1, True),
        (keys.CURVE_ORDER - 1, True),
        (keys.CURVE_ORDER, False),
        (2**256 - 1, False),
    ],
)
def test_scalar_range(value: int, valid: bool) -> None:
    assert keys.is_valid_secret(value.to_bytes(32, "big")) is valid


def test_d_equals_one() -> None:
    assert keys.npub(keys.xonly_pubkey((1).to_bytes(32, "big"))) == D1_NPUB


def test_invalid_scalar_raises_without_echoing_it() -> None:
    with pytest.raises(ValueError) as err:
        keys.xonly_pubkey(b"\xff" * 32)
    assert "ff" not in str(err.value)


def test_fingerprint_is_stable_and_not_the_key(key: TestKey, key2: TestKey) -> None:
    fp = keys.fingerprint_pubkey(key.pubkey)
    assert fp == keys.fingerprint_pubkey(key.pubkey)
    assert fp != keys.fingerprint_pubkey(key2.pubkey)
    assert fp not in key.hex and len(fp) == 24


def test_npub_round_trip(key: TestKey) -> None:
    assert keys.npub_to_pubkey(key.npub) == key.pubkey
    assert keys.npub_to_pubkey("npub1notvalid") is None


def test_derivation_is_thread_safe() -> None:
    """libsecp256k1 calls release the GIL: threads deriving at once must not share buffers
    (a Dask `threads` scheduler once attributed one key's leak to another key's npub)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    secrets = [os.urandom(32) for _ in range(4000)]
    secrets = [s for s in secrets if keys.is_valid_secret(s)]
    expected = [coincurve.PrivateKey(s).public_key_xonly.format() for s in secrets]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(keys.xonly_pubkey, secrets, chunksize=16)) == expected
