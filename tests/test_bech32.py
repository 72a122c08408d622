from __future__ import annotations

import random

import pytest

from nsecguard import bech32

from vectors import D1_NSEC, NIP06_NSEC, NIP06_SK_HEX, NIP19_NPUB, NIP19_NSEC, NIP19_PUB_HEX, NIP19_SK_HEX


@pytest.mark.parametrize(
    ("text", "hrp", "hex_payload"),
    [
        (NIP19_NSEC, "nsec", NIP19_SK_HEX),
        (NIP19_NPUB, "npub", NIP19_PUB_HEX),
        (NIP06_NSEC, "nsec", NIP06_SK_HEX),
        (D1_NSEC, "nsec", "00" * 31 + "01"),
    ],
)
def test_nip19_vectors_round_trip(text: str, hrp: str, hex_payload: str) -> None:
    decoded = bech32.decode(text)
    assert decoded is not None
    assert (decoded.hrp, decoded.data.hex(), decoded.repaired_at) == (hrp, hex_payload, -1)
    assert bech32.encode(hrp, bytes.fromhex(hex_payload)) == text


def test_uppercase_and_mixed_case_decode() -> None:
    assert bech32.decode(NIP19_NSEC.upper()) is not None
    mixed = NIP19_NSEC[:30].upper() + NIP19_NSEC[30:]
    decoded = bech32.decode(mixed)
    assert decoded is not None and decoded.data.hex() == NIP19_SK_HEX


def test_wrong_checksum_is_rejected_without_repair() -> None:
    broken = NIP19_NSEC[:-1] + ("q" if NIP19_NSEC[-1] != "q" else "p")
    assert bech32.decode(broken) is None


@pytest.mark.parametrize("position", range(5, 63))
def test_every_single_substitution_is_repaired(position: int) -> None:
    rng = random.Random(position)
    original = NIP19_NSEC
    for wrong in rng.sample([c for c in bech32.CHARSET + "bio1" if c != original[position]], 6):
        typo = original[:position] + wrong + original[position + 1 :]
        assert bech32.decode(typo, hrp="nsec") is None
        repaired = bech32.decode(typo, repair=True, hrp="nsec")
        assert repaired is not None
        assert repaired.data.hex() == NIP19_SK_HEX
        assert repaired.repaired_at == position


def test_two_substitutions_are_not_repaired() -> None:
    typo = NIP19_NSEC[:10] + "q" + NIP19_NSEC[11:40] + "p" + NIP19_NSEC[41:]
    assert typo != NIP19_NSEC
    decoded = bech32.decode(typo, repair=True, hrp="nsec")
    assert decoded is None or decoded.data.hex() != NIP19_SK_HEX


def test_random_strings_almost_never_repair() -> None:
    rng = random.Random(7)
    repaired = 0
    for _ in range(3000):
        body = "".join(rng.choice(bech32.CHARSET) for _ in range(58))
        if bech32.decode("nsec1" + body, repair=True, hrp="nsec") is not None:
            repaired += 1
    assert repaired <= 1  # expected ~0.005 (58*31/2^30 per string)


def test_bech32m_checksum_is_recognised() -> None:
    payload = bytes(range(32))
    values = list(bech32.convertbits(payload, 8, 5, True) or b"")
    chk = bech32.polymod_residue("nsec", values + [0] * 6) ^ bech32.BECH32M_CONST
    text = (
        "nsec1"
        + "".join(bech32.CHARSET[v] for v in values)
        + "".join(bech32.CHARSET[(chk >> 5 * (5 - i)) & 31] for i in range(6))
    )
    decoded = bech32.decode(text)
    assert decoded is not None and decoded.bech32m and decoded.data == payload
