"""The public keys written in a text, and the hex runs they are read from."""

from __future__ import annotations

import os
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from nsecguard import bech32
from nsecguard.rules.pubkeys import hex_runs, written_in

_REGEX = re.compile(rb"[0-9a-fA-F]{64,}")  # what hex_runs must agree with

pieces = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"0x", b" ", b"\n", b"g", b"\xff", b"\x00", b'"']),
    st.integers(min_value=60, max_value=70).map(lambda n: os.urandom(n).hex()[:n].encode()),
    st.integers(min_value=60, max_value=70).map(lambda n: os.urandom(n).hex()[:n].upper().encode()),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=12))
def test_hex_runs_agree_with_the_regex(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert list(hex_runs(data)) == [(m.start(), m.end()) for m in _REGEX.finditer(data)]


def test_written_in_reads_hex_compressed_and_bech32_public_keys() -> None:
    a, b, c, d = (os.urandom(32) for _ in range(4))
    text = (
        f"pubkey={a.hex()}\ncompressed 03{b.hex()}\n{bech32.encode('npub', c)}\ntoo long {d.hex()}00\n"
    ).encode()
    assert written_in(text) == {a, b, c}
    assert written_in(b"") == frozenset()
