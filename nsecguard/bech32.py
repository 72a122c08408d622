"""Bech32 (BIP-173) and bech32m (BIP-350) over any length, with single-error repair.

The checksum is a BCH code over GF(32). Its polymod is affine in the data, so the effect of
changing one character depends only on the change and on how far the character stands from the
end of the string. A table of those effects, built once, turns "which single substitution makes
this checksum valid?" into one dictionary lookup (NIP-19 keys are 63 characters; the code
corrects one substitution in strings up to 1023 characters).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_MAX_REPAIR_DISTANCE = 200  # characters from the end; covers ncryptsec (162)

# value of each ASCII byte in the charset (lowercase and uppercase), or -1
_VALUE = [-1] * 256
for _i, _c in enumerate(CHARSET):
    _VALUE[ord(_c)] = _i
    _VALUE[ord(_c.upper())] = _i


def _generator_for(top: int) -> int:
    out = 0
    for i in range(5):
        if (top >> i) & 1:
            out ^= _GEN[i]
    return out


# the generator's contribution for each value of the 5 bits shifted out: one lookup a step
_GEN_TABLE = tuple(_generator_for(top) for top in range(32))


def _step(chk: int, value: int) -> int:
    return ((chk & 0x1FFFFFF) << 5) ^ value ^ _GEN_TABLE[chk >> 25]


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def polymod_residue(hrp: str, data: list[int]) -> int:
    table = _GEN_TABLE
    chk = 1
    for v in _hrp_expand(hrp):  # `_step`, inlined: this is the hot loop
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ table[chk >> 25]
    for v in data:
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ table[chk >> 25]
    return chk


@lru_cache(maxsize=1)
def _syndromes() -> tuple[dict[int, tuple[int, int]], list[list[int]]]:
    """syndrome -> (distance from end, error value); and effect[distance][error]."""
    effect: list[list[int]] = []
    table: dict[int, tuple[int, int]] = {}
    row = list(range(32))  # effect of error e at distance 0 is e itself
    for distance in range(_MAX_REPAIR_DISTANCE):
        effect.append(row)
        for err in range(1, 32):
            table.setdefault(row[err], (distance, err))
        row = [_step(x, 0) for x in row]
    return table, effect


class Decoded(NamedTuple):
    hrp: str
    data: bytes  # 8-bit payload
    repaired_at: int  # index in the string of a repaired character, or -1
    bech32m: bool


def convertbits(data: list[int] | bytes, frombits: int, tobits: int, pad: bool) -> bytes | None:
    acc = 0
    bits = 0
    out = bytearray()
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return bytes(out)


def decode(s: str | bytes, *, repair: bool = False, hrp: str | None = None) -> Decoded | None:
    """Decode a bech32 or bech32m string, case-insensitively (mixed case is accepted: a leaked
    key is a leaked key). With ``repair``, one substituted character (including one outside the
    charset, even a "1") is corrected by the checksum; give the expected ``hrp`` then, so the
    separator is known. Returns None when the string is not valid."""
    text = s.decode("latin-1") if isinstance(s, bytes) else s
    text = text.lower()
    if hrp is None:
        sep = text.rfind("1")
        hrp = text[:sep]
    else:
        sep = len(hrp)
        if not text.startswith(hrp + "1"):
            return None
    if sep < 1 or len(text) - sep - 1 < 7:
        return None
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        return None
    values: list[int] = []
    bad = -1
    for i, c in enumerate(text[sep + 1 :]):
        v = _VALUE[ord(c)] if ord(c) < 256 else -1
        if v < 0:
            if bad >= 0 or not repair:
                return None
            bad = i
            v = 0
        values.append(v)
    residue = polymod_residue(hrp, values)
    repaired_at = -1
    is_m = False
    if bad < 0 and residue == BECH32_CONST:
        pass
    elif bad < 0 and residue == BECH32M_CONST:
        is_m = True
    elif not repair:
        return None
    else:
        fixed = _repair(values, residue ^ BECH32_CONST, bad)
        if fixed is None:
            return None
        index, value = fixed
        values[index] = value
        repaired_at = sep + 1 + index
    payload = convertbits(values[:-6], 5, 8, False)
    if payload is None:
        return None
    return Decoded(hrp, payload, repaired_at, is_m)


def _repair(values: list[int], syndrome: int, bad: int) -> tuple[int, int] | None:
    n = len(values)
    syndromes, effect = _syndromes()
    if bad >= 0:  # position known (a character outside the charset): find the value
        distance = n - 1 - bad
        if distance >= _MAX_REPAIR_DISTANCE:
            return None
        row = effect[distance]
        for err in range(32):
            if row[err] == syndrome:
                return bad, err  # the placeholder there was 0
        return None
    hit = syndromes.get(syndrome)
    if hit is None or hit[0] >= n:
        return None
    distance, err = hit
    index = n - 1 - distance
    return index, values[index] ^ err


def encode(hrp: str, payload: bytes) -> str:
    values = list(convertbits(payload, 8, 5, True) or b"")
    chk = polymod_residue(hrp, values + [0] * 6) ^ BECH32_CONST
    checksum = [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[v] for v in values + checksum)
