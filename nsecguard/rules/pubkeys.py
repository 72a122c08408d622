"""Public keys written in a text: what a hex value's derived public key is looked for in."""

from __future__ import annotations

import re
from collections.abc import Iterator

_PUBKEY_BECH32 = re.compile(rb"(?i)n(?:pub|profile)1[02-9ac-hj-np-z]{58,}")
_HEX_MAP = bytes(1 if chr(i) in "0123456789abcdefABCDEF" else 0 for i in range(256))
_HEX_64 = b"\x01" * 64


def hex_runs(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of every run of 64 or more hex digits, as `[0-9a-fA-F]{64,}` finds them, by
    one translate and `bytes.find` (20x faster than the regex: a hash test file of 47 KB takes
    0.04 ms against 0.9, and a text with 64-hex values is searched up to three times)."""
    mapped = data.translate(_HEX_MAP)
    pos = mapped.find(_HEX_64)
    while pos >= 0:
        end = mapped.find(b"\0", pos + 64)
        end = len(data) if end < 0 else end
        yield pos, end
        pos = mapped.find(_HEX_64, end)


def written_in(data: bytes) -> frozenset[bytes]:
    """Every public key in `data`: 64 hex, compressed (02/03 + 64 hex), npub, nprofile."""
    found: set[bytes] = set()
    for start, end in hex_runs(data):
        if end - start == 64:
            found.add(bytes.fromhex(data[start:end].decode()))
        elif end - start == 66 and data[start : start + 2] in (b"02", b"03"):
            found.add(bytes.fromhex(data[start + 2 : end].decode()))
    for m in _PUBKEY_BECH32.finditer(data):
        pub = bech32_pubkey(m.group())
        if pub is not None:
            found.add(pub)
    return frozenset(found)


def bech32_pubkey(token: bytes) -> bytes | None:
    """The public key an `npub1...` or `nprofile1...` token holds, if it is one."""
    from nsecguard import bech32

    text = token.decode("ascii").lower()
    if text.startswith("npub1"):
        decoded = bech32.decode(text[:63], hrp="npub")
        return decoded.data if decoded and len(decoded.data) == 32 else None
    decoded = bech32.decode(text, hrp="nprofile")  # TLV: type 0 holds the pubkey
    if decoded is None:
        return None
    tlv = decoded.data
    i = 0
    while i + 2 <= len(tlv):
        kind, length = tlv[i], tlv[i + 1]
        if kind == 0 and length == 32:
            return tlv[i + 2 : i + 34]
        i += 2 + length
    return None
