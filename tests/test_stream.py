from __future__ import annotations

import random

import pytest

from nsecguard.engine import scan_bytes
from nsecguard.stream import scan_chunks

from keygen import new_key


def _split(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    out.append(data[pos:])
    return out


@pytest.mark.parametrize("seed", range(12))
def test_chunked_scan_equals_whole_scan(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import nsecguard.stream as stream

    monkeypatch.setattr(stream, "OVERLAP", 2048)
    monkeypatch.setattr(stream, "GUARD", 512)
    rng = random.Random(seed)
    keys = [new_key() for _ in range(6)]
    parts = []
    for k in keys:
        parts.append(b"x" * rng.randint(0, 3000) + b"\n" * rng.randint(0, 3))
        parts.append(rng.choice([k.nsec.encode(), b"NOSTR_SK=" + k.hex.encode() + b"\n"]))
    data = b"".join(parts) + b"tail"
    sizes = [rng.randint(1, 4000) for _ in range(len(data) // 1000)]
    whole = [(f.npub, f.line, f.column) for f in scan_bytes(data)]
    chunked = [(f.npub, f.line, f.column) for f in scan_chunks(_split(data, sizes), path="-")]
    assert chunked == whole
    assert {npub for npub, _, _ in whole} == {k.npub for k in keys}


def test_a_key_split_exactly_at_a_chunk_border_is_found_once() -> None:
    k = new_key()
    data = b"a" * 100 + k.nsec.encode() + b"\n"
    for cut in range(90, 170):
        found = list(scan_chunks([data[:cut], data[cut:]], path="-"))
        assert [f.npub for f in found] == [k.npub], cut
