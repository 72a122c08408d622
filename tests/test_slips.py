"""nsec keys bent by one slip (issue 14): dropped, extra, swapped or foreign characters, keys
wrapped across lines or split by invisible characters. Found at their own confidence, and
`sanitize` removes each whole. Keys are generated at test time."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from nsecguard import Confidence, Kind, sanitize, scan_text, slips

from keygen import TestKey, assert_no_key, new_key

Bend = Callable[[str, int], str]

# each bends the key at character `i` of its 58 (0 <= i < 57)
BENDS: dict[str, tuple[Bend, Confidence]] = {
    "dropped": (lambda n, i: n[: 5 + i] + n[6 + i :], Confidence.MEDIUM),
    "extra": (lambda n, i: n[: 5 + i] + "x" + n[5 + i :], Confidence.MEDIUM),
    "swapped": (lambda n, i: n[: 5 + i] + n[6 + i] + n[5 + i] + n[7 + i :], Confidence.MEDIUM),
    "space": (lambda n, i: n[: 5 + i] + " " + n[6 + i :], Confidence.MEDIUM),
    "dash": (lambda n, i: n[: 5 + i] + "-" + n[6 + i :], Confidence.MEDIUM),
    "dot": (lambda n, i: n[: 5 + i] + "." + n[6 + i :], Confidence.MEDIUM),
    "newline": (lambda n, i: n[: 5 + i] + "\n" + n[6 + i :], Confidence.MEDIUM),
    "no-break space": (lambda n, i: n[: 5 + i] + "\u00a0" + n[6 + i :], Confidence.MEDIUM),
    "cyrillic letter": (lambda n, i: n[: 5 + i] + "\u043e" + n[6 + i :], Confidence.MEDIUM),
    "wrapped by a mail client": (lambda n, i: n[: 5 + i] + "\n> " + n[5 + i :], Confidence.CERTAIN),
    "wrapped with indentation": (lambda n, i: n[: 5 + i] + "\r\n    " + n[5 + i :], Confidence.CERTAIN),
    "left-to-right marks": (lambda n, i: n[: 5 + i] + "\u200e" * 7 + n[5 + i :], Confidence.CERTAIN),
    "variation selectors": (lambda n, i: n[: 5 + i] + "\ufe0f\ufe0e" + n[5 + i :], Confidence.CERTAIN),
    "bidi overrides": (lambda n, i: n[: 5 + i] + "\u202e\u202c" + n[5 + i :], Confidence.CERTAIN),
    "word joiners in a long run": (
        lambda n, i: n[: 5 + i] + "\u2060" * 50 + n[5 + i : 62] + "\u034f" + n[62:],
        Confidence.CERTAIN,
    ),
}


def _unique_bend(key: TestKey, bend: Bend, i: int) -> str:
    return bend(key.nsec, i)


@pytest.mark.parametrize("name", sorted(BENDS))
@pytest.mark.parametrize("i", [0, 1, 17, 30, 50, 56])
def test_a_bent_key_is_found_and_removed_whole(name: str, i: int) -> None:
    bend, confidence = BENDS[name]
    for _ in range(3):  # a slip next to an equal character is still one key
        key = new_key()
        bent = _unique_bend(key, bend, i)
        text = f"here it is: {bent} (do not share)\n"
        found = scan_text(text)
        if name == "swapped" and key.nsec[5 + i] == key.nsec[6 + i]:
            continue  # swapping equal characters changes nothing
        assert [(f.kind, f.npub) for f in found] == [(Kind.NSEC, key.npub)], (name, i)
        assert found[0].confidence is confidence
        assert found[0].repaired is (confidence is not Confidence.CERTAIN)
        safe = sanitize(text)
        assert safe == f"here it is: nostr:{key.npub} (do not share)\n", (name, i)
        assert_no_key(safe, key)


def test_repairs_are_checked_in_one_pass() -> None:
    key = new_key()
    body = key.nsec[5:].encode()
    assert slips.repair_dropped(body[:10] + body[11:]) == body
    assert slips.repair_inserted(body[:10] + b"q" + body[10:]) == body
    assert slips.repair_swapped(body[:10] + body[11:12] + body[10:11] + body[12:]) in (body, None)
    assert slips.repair_dropped(body) is None  # wrong length
    assert slips.repair_inserted(b"b" * 59) is None  # outside the charset


def test_random_nsec_shaped_strings_are_almost_never_repaired() -> None:
    """The checksum is 30 bits; a repair tries at most 59 x 32 candidates: random strings repair
    by chance with probability ~2e-6. 3,000 random tries of each length find none."""
    from nsecguard.bech32 import CHARSET

    rng = os.urandom
    for length in (57, 58, 59):
        repaired = 0
        for _ in range(1000):
            body = "".join(CHARSET[b % 32] for b in rng(length))
            repaired += bool(scan_text(f"nsec1{body}"))
        assert repaired == 0, length


def test_two_slips_are_not_guessed() -> None:
    key = new_key()
    n = key.nsec
    assert scan_text(n[:20] + n[21:40] + n[41:]) == []  # two characters dropped
    assert scan_text(n[:20] + " " + n[21:40] + " " + n[41:]) == []


def test_many_nsec_prefixes_cost_bounded_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """`nsec1` repeated a hundred thousand times: each is looked at once, at most MAX_SLIPS are
    tried in full. Counted, not timed."""
    from nsecguard.rules import nsec  # the nsec rule holds the bound

    calls = [0]
    real = slips.find

    def counting(data: bytes, start: int) -> slips.Slip | None:
        calls[0] += 1
        return real(data, start)

    monkeypatch.setattr(slips, "find", counting)
    assert scan_text("nsec1" * 100_000) == []
    assert calls[0] <= nsec.MAX_SLIPS
    key = new_key()
    text = ("nsec1 " * 50_000) + key.nsec[:30] + " " + key.nsec[31:]
    calls[0] = 0
    scan_text(text)
    assert calls[0] <= nsec.MAX_SLIPS
