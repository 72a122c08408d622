"""Public keys written in a text: what a hex value's derived public key is looked for in."""

from __future__ import annotations

import re

HEX_RUN = re.compile(rb"[0-9a-fA-F]{64,}")
_PUBKEY_BECH32 = re.compile(rb"(?i)n(?:pub|profile)1[02-9ac-hj-np-z]{58,}")


def written_in(data: bytes) -> frozenset[bytes]:
    """Every public key in `data`: 64 hex, compressed (02/03 + 64 hex), npub, nprofile."""
    found: set[bytes] = set()
    for m in HEX_RUN.finditer(data):
        run = m.group()
        if len(run) == 64:
            found.add(bytes.fromhex(run.decode()))
        elif len(run) == 66 and run[:2] in (b"02", b"03"):
            found.add(bytes.fromhex(run[2:].decode()))
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
