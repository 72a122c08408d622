"""Every rule's own samples, checked (as gitleaks checks each rule's `tps`/`fps`): a true sample
is found at its confidence or above, and `sanitize` leaves nothing of it; a false one is not
reported at the default confidence. Keys are generated here, never committed."""

from __future__ import annotations

import os

import pytest

from nsecguard import bech32, rules, sanitize, scan_text
from nsecguard.engine import Options
from nsecguard.model import Confidence
from nsecguard.rules.base import Rule, Sample
from tests.keygen import TestKey, assert_no_key, new_key


def _typo(nsec: str) -> str:
    """One character in the middle changed to another bech32 character (repairable)."""
    i = 30
    other = next(c for c in bech32.CHARSET if c != nsec[i])
    return nsec[:i] + other + nsec[i + 1 :]


def _broken(nsec: str) -> str:
    """Two characters changed: beyond what one-slip repair may claim."""
    for i in (20, 40):
        other = next(c for c in reversed(bech32.CHARSET) if c != nsec[i])
        nsec = nsec[:i] + other + nsec[i + 1 :]
    return nsec


def _phrase(words: int) -> str:
    """A BIP-39 phrase of random entropy (valid checksum), made with the `mnemonic` package."""
    from mnemonic import Mnemonic

    return str(Mnemonic("english").to_mnemonic(os.urandom(words * 4 // 3)))


def _bad_phrase() -> str:
    """12 list words whose checksum is wrong (the last word changed until it fails)."""
    from mnemonic import Mnemonic

    m = Mnemonic("english")
    words = _phrase(12).split()
    for last in m.wordlist:
        if not m.check(" ".join([*words[:11], last])):
            return " ".join([*words[:11], last])
    raise AssertionError("unreachable")


def fields(key: TestKey) -> dict[str, str]:
    """What a sample template may name (see nsecguard.rules.base)."""
    ncryptsec = bech32.encode("ncryptsec", b"\x02" + os.urandom(90))
    return {
        "nsec": key.nsec,
        "NSEC": key.nsec.upper(),
        "hex": key.hex,
        "HEX": key.hex.upper(),
        "npub": key.npub,
        "pubhex": key.pubhex,
        "nsec_typo": _typo(key.nsec),
        "nsec_wrapped": key.nsec[:32] + "\n" + key.nsec[32:],
        "nsec_bad": _broken(key.nsec),
        "ncryptsec": ncryptsec,
        "NCRYPTSEC": ncryptsec.upper(),
        "token": os.urandom(16).hex(),
        "bytes": ", ".join(str(b) for b in key.secret),
        **_mnemonic_fields(),
    }


def _mnemonic_fields() -> dict[str, str]:
    words = _phrase(12)
    return {
        "mnemonic": words,
        "MNEMONIC": words.upper(),
        "mnemonic24": _phrase(24),
        "mnemonic_numbered": " ".join(f"{i}. {w}" for i, w in enumerate(words.split(), 1)),
        "mnemonic_json": "[" + ", ".join(f'"{w}"' for w in words.split()) + "]",
        "mnemonic_lines": "\n".join(words.split()),
        "mnemonic_bad": _bad_phrase(),
    }


def _cases() -> list[tuple[Rule, Sample]]:
    return [(r, s) for r in rules.all_rules() for s in r.samples]


def _id(case: tuple[Rule, Sample]) -> str:
    rule, sample = case
    return f"{rule.kind}-{'tp' if sample.found else 'fp'}-{sample.note or sample.text[:24]}"


def test_every_rule_has_true_and_false_samples() -> None:
    for rule in rules.all_rules():
        assert any(s.found for s in rule.samples), f"{rule.kind} has no true-positive sample"
        assert any(not s.found for s in rule.samples), f"{rule.kind} has no false-positive sample"


@pytest.mark.parametrize("case", _cases(), ids=[_id(c) for c in _cases()])
def test_sample(case: tuple[Rule, Sample]) -> None:
    rule, sample = case
    key = new_key()
    text = sample.text.format(**fields(key))
    found = [
        f for f in scan_text(text, options=Options(min_confidence=Confidence.LOW)) if f.kind == rule.kind
    ]
    if not sample.found:
        assert not [f for f in found if f.confidence >= Confidence.MEDIUM], f"reported: {found}"
        return
    assert found, "not found"
    assert max(f.confidence for f in found) >= sample.confidence, [str(f.confidence) for f in found]
    for f in found:
        assert f.message.startswith(rule.title)
        assert f.severity == rule.severity
    safe = sanitize(text, options=Options(min_confidence=Confidence.LOW))
    assert not [f for f in scan_text(safe) if f.kind == rule.kind], "sanitize left it"
    assert_no_key(safe, key)
