"""`scan_text(known_pubkeys=...)` takes public keys as bytes, hex or npub, and nothing else
(an event's author is a hex string: silently ignoring it would miss the proof)."""

from __future__ import annotations

import pytest

from nsecguard.engine import scan_text
from nsecguard.model import Confidence

from keygen import new_key


@pytest.mark.parametrize("spelling", ["bytes", "hex", "HEX", "npub"])
def test_a_known_public_key_proves_a_bare_hex_key(spelling: str) -> None:
    k = new_key()
    known = {"bytes": k.pubkey, "hex": k.pubhex, "HEX": k.pubhex.upper(), "npub": k.npub}[spelling]
    assert scan_text(f"value {k.hex}") == []  # alone: no proof
    found = scan_text(f"value {k.hex}", known_pubkeys=[known])
    assert [f.confidence for f in found] == [Confidence.CERTAIN] and found[0].npub == k.npub


@pytest.mark.parametrize("bad", [[5], ["npub1notakey"], ["ab" * 10], [b"short"], "a" * 64, b"x" * 32])
def test_anything_else_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        scan_text("text", known_pubkeys=bad)  # type: ignore[arg-type]
