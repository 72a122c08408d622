"""nsec keys that one slip has bent out of shape, found by their checksum.

`bech32.decode(..., repair=True)` corrects one substituted character. People slip in other ways
too, and each slip hid 57 of the 58 key characters from a scanner that only looks for
`nsec1` + 58 characters:

- one character dropped (57 left), or one inserted (59), or two neighbours swapped;
- one character replaced by something outside the charset that also ends the token: a space,
  `-`, `.`, a newline, a no-break space, a non-ASCII letter (`ö`, a Cyrillic `о`);
- the key wrapped across two lines by a mail client or a PDF (a line break, with the next line's
  indentation or `> ` quote marks), or split by invisible characters in runs of any length.

The bech32 checksum is affine in the data, so the effect of each character at each distance
from the end is a table lookup (`bech32._syndromes`); with prefix and suffix sums of those
effects, every insertion point, every deletion and every swap is checked in one pass over the
58 characters, not by re-hashing 1,856 candidate strings. A repair is accepted only when exactly
one candidate key results.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from nsecguard import bech32

HRP = "nsec"
BODY = 58  # data and checksum characters after `nsec1`
MAX_SPAN = 64 << 10  # bytes a key split by invisible characters or a line break may cover

_VALUE = [-1] * 256
for _i, _c in enumerate(bech32.CHARSET):
    _VALUE[ord(_c)] = _i
    _VALUE[ord(_c.upper())] = _i

# invisible and format characters (UTF-8), in any number between two key characters
_INVISIBLE = (
    "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff",  # zero-width, soft hyphen, BOM
    "\u200e", "\u200f", "\u180e", "\u2061", "\u2062", "\u2063", "\u2064", "\u034f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    *(chr(c) for c in range(0xFE00, 0xFE10)),  # variation selectors
)  # fmt: skip
INVISIBLE = tuple(c.encode("utf-8") for c in _INVISIBLE)
_INVISIBLE_RE = rb"(?:" + b"|".join(re.escape(c) for c in INVISIBLE) + rb")"
# a line break inside a wrapped key: CR/LF, then the next line's indentation or quote marks
_WRAP_RE = rb"(?:\r?\n[ \t>]*)"
_GAP = re.compile(rb"(?:" + _INVISIBLE_RE + rb"|" + _WRAP_RE + rb")+")
_KEY_CHAR = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_FOREIGN_ASCII = frozenset(b" -._\t\n\r,:;'\"")
_NBSP = "\u00a0".encode()


class Slip(NamedTuple):
    end: int  # where the bent key ends in the buffer (it starts at the `nsec1`)
    body: bytes  # the 58 repaired characters after `nsec1`, lowercase
    how: str  # what the slip was, in a few words


@lru_cache(maxsize=1)
def _tables() -> tuple[list[list[int]], list[dict[int, int]], list[int]]:
    """effect[d][v]: what value v at distance d from the end adds to the checksum; inverse[d]:
    the value for an effect; base[n]: the checksum of the hrp followed by n zeros."""
    _, effect = bech32._syndromes()
    inverse = [{row[v]: v for v in range(32)} for row in effect[: BODY + 2]]
    base = [bech32.polymod_residue(HRP, [0] * n) for n in range(BODY + 2)]
    return effect, inverse, base


def _values(chars: bytes) -> list[int] | None:
    out = [_VALUE[c] for c in chars]
    return None if min(out, default=0) < 0 else out


def _valid(values: list[int]) -> bool:
    effect, _, base = _tables()
    n = len(values)
    chk = base[n]
    for j, v in enumerate(values):
        chk ^= effect[n - 1 - j][v]
    return chk == bech32.BECH32_CONST


def _text(values: list[int]) -> bytes:
    return bytes(ord(bech32.CHARSET[v]) for v in values)


def repair_dropped(chars: bytes) -> bytes | None:
    """57 characters: the one insertion that makes the checksum valid, if exactly one does."""
    values = _values(chars)
    if values is None or len(values) != BODY - 1:
        return None
    effect, inverse, base = _tables()
    n = BODY
    # contribution of the characters before position i (distances as in the 58-long string),
    # and of those from i on (each one place further right)
    prefix = [0] * (len(values) + 1)
    for j, v in enumerate(values):
        prefix[j + 1] = prefix[j] ^ effect[n - 1 - j][v]
    suffix = [0] * (len(values) + 1)
    for j in range(len(values) - 1, -1, -1):
        suffix[j] = suffix[j + 1] ^ effect[n - 2 - j][values[j]]
    found: set[bytes] = set()
    for i in range(len(values) + 1):
        need = bech32.BECH32_CONST ^ base[n] ^ prefix[i] ^ suffix[i]
        missing = inverse[n - 1 - i].get(need)
        if missing is not None:
            found.add(_text([*values[:i], missing, *values[i:]]))
    return found.pop() if len(found) == 1 else None


def repair_inserted(chars: bytes) -> bytes | None:
    """59 characters: the one deletion that makes the checksum valid, if exactly one does."""
    values = _values(chars)
    if values is None or len(values) != BODY + 1:
        return None
    effect, _, base = _tables()
    n = BODY
    prefix = [0] * (len(values) + 1)  # characters before i, at their places in the 58-long string
    for j, v in enumerate(values[:-1]):
        prefix[j + 1] = prefix[j] ^ effect[n - 1 - j][v]
    suffix = [0] * (len(values) + 1)  # characters after i, each one place further left
    for j in range(len(values) - 1, 0, -1):
        suffix[j] = suffix[j + 1] ^ effect[n - j][values[j]]
    found: set[bytes] = set()
    for i in range(len(values)):
        if base[n] ^ prefix[i] ^ suffix[i + 1] == bech32.BECH32_CONST:
            found.add(_text(values[:i] + values[i + 1 :]))
    return found.pop() if len(found) == 1 else None


def repair_swapped(chars: bytes) -> bytes | None:
    """58 characters with two neighbours swapped: the one swap that makes the checksum valid."""
    values = _values(chars)
    if values is None or len(values) != BODY:
        return None
    effect, _, base = _tables()
    n = BODY
    chk = base[n]
    for j, v in enumerate(values):
        chk ^= effect[n - 1 - j][v]
    found: set[bytes] = set()
    for i in range(n - 1):
        a, b = values[i], values[i + 1]
        if a == b:
            continue
        d = n - 1 - i
        change = effect[d][a] ^ effect[d][b] ^ effect[d - 1][b] ^ effect[d - 1][a]
        if chk ^ change == bech32.BECH32_CONST:
            fixed = list(values)
            fixed[i], fixed[i + 1] = b, a
            found.add(_text(fixed))
    return found.pop() if len(found) == 1 else None


_KEY_RUN = re.compile(rb"[0-9A-Za-z]*")


def _run(data: bytes, pos: int, limit: int) -> int:
    """End of the run of key characters from `pos` (at most `limit` of them)."""
    m = _KEY_RUN.match(data, pos, min(len(data), pos + limit))
    return m.end() if m is not None else pos


def _foreign(data: bytes, pos: int) -> int:
    """Length of one character outside the charset at `pos` that may stand for a mistyped key
    character (ASCII punctuation or space, a no-break space, one non-ASCII letter), or 0."""
    if pos >= len(data):
        return 0
    c = data[pos]
    if c in _FOREIGN_ASCII:
        return 1
    if data.startswith(_NBSP, pos):
        return 2
    if c >= 0xC2:  # a UTF-8 lead byte: one non-ASCII character
        size = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        tail = data[pos + 1 : pos + size]
        if len(tail) == size - 1 and all(0x80 <= t < 0xC0 for t in tail):
            return size
    return 0


def find(data: bytes, start: int) -> Slip | None:
    """The key bent by one slip that starts with the `nsec1` at `start`, if its checksum says
    so. Tried only where the plain 58 characters did not decode."""
    pos = start + 5
    run_end = _run(data, pos, BODY + 2)
    run = data[pos:run_end].lower()
    gap = _GAP.match(data, run_end) if len(run) < BODY else None
    if gap is not None and gap.end() - start <= MAX_SPAN:
        joined = _joined(data, pos)
        if joined is not None:
            return joined
    ended = run_end >= len(data) or data[run_end] not in _KEY_CHAR
    fixes = {BODY - 1: repair_dropped, BODY + 1: repair_inserted, BODY: repair_swapped}
    what = {BODY - 1: "a dropped character", BODY + 1: "an extra character", BODY: "two characters swapped"}
    fix = fixes.get(len(run))
    if fix is not None and ended and (fixed := fix(run)) is not None:
        return Slip(run_end, fixed, f"nsec with {what[len(run)]}, repaired by its checksum")
    if len(run) < BODY:
        return _substituted(data, pos, run)
    return None


def _joined(data: bytes, pos: int) -> Slip | None:
    """58 key characters with invisible characters or line breaks between them."""
    chars = bytearray()
    at = pos
    wrapped = False
    while len(chars) < BODY and at - pos <= MAX_SPAN:
        end = _run(data, at, BODY - len(chars))
        chars += data[at:end]
        if len(chars) == BODY:
            at = end
            break
        gap = _GAP.match(data, end)
        if gap is None:
            return None
        wrapped = wrapped or b"\n" in gap.group()
        at = gap.end()
    if len(chars) != BODY or (at < len(data) and data[at] in _KEY_CHAR):
        return None
    body = bytes(chars).lower()
    if bech32.decode(b"nsec1" + body, hrp=HRP) is None:
        return None
    how = "nsec wrapped across lines" if wrapped else "nsec with invisible characters inside"
    return Slip(at, body, how + ", valid checksum")


def _substituted(data: bytes, pos: int, run: bytes) -> Slip | None:
    """One key character replaced by a space, `-`, `.`, a line break, a no-break space or a
    non-ASCII letter: the rest of the key follows it; the checksum finds the character."""
    at = pos + len(run)
    size = _foreign(data, at)
    if size == 0:
        return None
    rest_end = _run(data, at + size, BODY - len(run) - 1 + 1)
    rest = data[at + size : rest_end].lower()
    if len(run) + 1 + len(rest) != BODY or (rest_end < len(data) and data[rest_end] in _KEY_CHAR):
        return None
    candidate = _known_position(run, rest)
    if candidate is None:
        return None
    return Slip(rest_end, candidate, "nsec with one character mistyped, repaired by its checksum")


def _known_position(run: bytes, rest: bytes) -> bytes | None:
    values = _values(run + b"q" + rest)
    if values is None:
        return None
    effect, inverse, base = _tables()
    n = BODY
    chk = base[n]
    for j, v in enumerate(values):
        chk ^= effect[n - 1 - j][v]
    i = len(run)
    right = inverse[n - 1 - i].get(chk ^ bech32.BECH32_CONST)  # the placeholder there was 0 ("q")
    if right is None:
        return None
    values[i] = right
    return _text(values)


def starts(data: bytes) -> Iterator[int]:
    """Every `nsec1` in any case."""
    low = data.lower() if not data.islower() else data
    at = low.find(b"nsec1")
    while at >= 0:
        yield at
        at = low.find(b"nsec1", at + 1)
