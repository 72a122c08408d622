"""The mnemonic rule: BIP-39 phrases found in every layout, the NIP-06 key derived, sanitized whole.
Phrases are made at test time from random entropy; only the public NIP-06 vectors are written here
(allowlisted by npub in pyproject.toml)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from nsecguard import keys, sanitize, scan_text
from nsecguard.engine import Options
from nsecguard.model import Confidence, Finding, Kind
from nsecguard.rules import bip32, mnemonic

M = Mnemonic("english")
KIND = Kind("mnemonic")
LOW = Options(min_confidence=Confidence.LOW)

# NIP-06's own vectors (public): phrase -> x-only public key (hex) and npub
VECTORS = [
    (
        "leader monkey parrot ring guide accident before fence cannon height naive bean",
        "17162c921dc4d2518f9a101db33695df1afb56ab82f5ff3e5da6eec3ca5cd917",
        "npub1zutzeysacnf9rru6zqwmxd54mud0k44tst6l70ja5mhv8jjumytsd2x7nu",
    ),
    (
        "what bleak badge arrange retreat wolf trade produce cricket blur garlic valid proud rude "
        "strong choose busy staff weather area salt hollow arm fade",
        "d41b22899549e1f3d335a31002cfd382174006e166d3e658e3a5eecdb6463573",
        "npub16sdj9zv4f8sl85e45vgq9n7nsgt5qphpvmf7vk8r5hhvmdjxx4es8rq74h",
    ),
]


def _found(text: str, options: Options = LOW) -> list[Finding]:
    return [f for f in scan_text(text, options=options) if f.kind == KIND]


def _npub(phrase: str) -> str:
    return keys.npub(keys.xonly_pubkey(bip32.nip06_key(phrase)))


@pytest.mark.parametrize(("phrase", "pubhex", "npub"), VECTORS)
def test_the_nip06_vectors_derive_their_keys(phrase: str, pubhex: str, npub: str) -> None:
    assert keys.xonly_pubkey(bip32.nip06_key(phrase)).hex() == pubhex
    found = _found(f"NIP-06 test mnemonic: {phrase}", Options(min_confidence=Confidence.LOW))
    assert [(f.npub, f.confidence) for f in found] == [(npub, Confidence.CERTAIN)]
    assert found[0].pubkey == pubhex


def test_bip32_matches_the_bip32_spec_vector_1() -> None:
    """BIP-32 test vector 1 (seed 000102...0f): m/0'/1/2'/2/1000000000's public key."""
    from coincurve import PrivateKey

    seed = bytes(range(16))
    path = (0 | bip32.HARDENED, 1, 2 | bip32.HARDENED, 2, 1000000000)
    pub = PrivateKey(bip32.derive(seed, path)).public_key.format(compressed=True).hex()
    assert pub == "022a471424da5e657499d1ff51cb43c47481a03b1e77f951fe64cec9f5a48f7011"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([12, 15, 18, 21, 24]).flatmap(
        lambda n: st.binary(min_size=n * 4 // 3, max_size=n * 4 // 3)
    )
)
def test_the_checksum_agrees_with_the_mnemonic_package(entropy: bytes) -> None:
    words = M.to_mnemonic(entropy).split()
    index = mnemonic.wordlist()
    assert mnemonic.entropy_of([index[w.encode()] for w in words]) == entropy
    wrong = [*words[:-1], next(w for w in M.wordlist if not M.check(" ".join([*words[:-1], w])))]
    assert mnemonic.entropy_of([index[w.encode()] for w in wrong]) is None


LAYOUTS = {
    "prose": lambda w: "my nostr seed phrase is " + " ".join(w) + " (thx)",
    "numbered": lambda w: "\n".join(f"{i}. {x}" for i, x in enumerate(w, 1)),
    "numbered )": lambda w: " ".join(f"{i}) {x}" for i, x in enumerate(w, 1)),
    "one a line": lambda w: "Recovery words:\n" + "\n".join(w) + "\n",
    "JSON array": lambda w: '{"mnemonic": [' + ", ".join(f'"{x}"' for x in w) + "]}",
    "bare JSON array": lambda w: "const WORDS = [" + ", ".join(f"'{x}'" for x in w) + "];",
    "env value": lambda w: 'MNEMONIC="' + " ".join(w) + '"\n',
    "comma-separated": lambda w: "seed words: " + ",".join(w),
    "a pretty-printed JSON array": lambda w: (
        '{\n  "words": [\n' + ",\n".join(f'    "{x}"' for x in w) + "\n  ]\n}"
    ),
    "a seed assigned": lambda w: "let seed = '" + " ".join(w) + "';",
    "mixed case": lambda w: (
        "Mnemonic: " + " ".join(x.capitalize() if i % 2 else x.upper() for i, x in enumerate(w))
    ),
}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([12, 15, 18, 21, 24]).flatmap(
        lambda n: st.binary(min_size=n * 4 // 3, max_size=n * 4 // 3)
    ),
    st.sampled_from(sorted(LAYOUTS)),
)
def test_a_phrase_is_found_in_every_layout_and_sanitized_whole(entropy: bytes, layout: str) -> None:
    phrase = M.to_mnemonic(entropy)
    assume(len(set(phrase.split())) > mnemonic.WELL_KNOWN_DISTINCT)  # a spec test phrase is low
    text = LAYOUTS[layout](phrase.split())
    found = _found(text, Options())
    assert len(found) == 1, layout
    assert found[0].npub == _npub(phrase)
    assert found[0].message.startswith("BIP-39 seed phrase")
    safe = sanitize(text, options=LOW)
    assert not _found(safe)
    assert _npub(phrase) in safe
    # the span is the phrase, all of it (numbering inside too), and sanitize swapped exactly it
    start, end = found[0].start, found[0].end
    assert re.findall(r"[a-z]+", text[start:end].lower()) == phrase.split(), layout
    assert safe.startswith(text[:start]) and safe.endswith(text[end:]) and text[start:end] not in safe
    words = phrase.split()
    assert not any(
        f"{i}." in safe or f"{i})" in safe for i in range(2, len(words) + 1) if layout.startswith("num")
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(M.wordlist), min_size=12, max_size=12))
def test_list_words_without_a_valid_checksum_are_not_found(words: list[str]) -> None:
    if M.check(" ".join(words)):
        words = [*words[:-1], next(w for w in M.wordlist if not M.check(" ".join([*words[:-1], w])))]
    assert not _found("my mnemonic: " + " ".join(words))


def test_a_phrase_with_no_name_is_a_wallet_seed_at_medium() -> None:
    phrase = M.to_mnemonic(os.urandom(16))
    found = _found("\n".join(f"{i}) {w}" for i, w in enumerate(phrase.split(), 1)))
    assert [(f.confidence, f.reason) for f in found] == [(Confidence.MEDIUM, mnemonic.WALLET_REASON)]
    assert "Bitcoin wallet" in found[0].reason


def test_a_phrase_whose_npub_is_in_the_text_is_certain() -> None:
    phrase = M.to_mnemonic(os.urandom(32))
    text = f"seed words: {phrase}\nnpub: {_npub(phrase)}\n"
    assert [f.confidence for f in _found(text)] == [Confidence.CERTAIN]


def test_the_word_list_itself_is_not_a_phrase() -> None:
    text = "BIP-39 mnemonic word list:\n" + "\n".join(M.wordlist) + "\n"
    assert not _found(text, Options())
    assert not _found("BIP-39 mnemonic words: " + " ".join(M.wordlist), Options())


def test_lines_of_phrases_are_each_found() -> None:
    """One name at the top: each phrase found carries the reach on (20 lines, past REACH)."""
    phrases = [M.to_mnemonic(os.urandom(16)) for _ in range(20)]
    assert len("\n".join(phrases)) > 2 * mnemonic.REACH
    text = "# mnemonic fixtures\n" + "\n".join(phrases) + "\n"
    found = _found(text)
    assert [f.npub for f in found] == [_npub(p) for p in phrases]


def test_a_longer_phrase_wins_over_the_shorter_ones_inside_it() -> None:
    phrase = M.to_mnemonic(os.urandom(32))
    found = _found(f"mnemonic: {phrase}")
    assert len(found) == 1 and found[0].npub == _npub(phrase)
    assert found[0].end - found[0].start == len(phrase)


def test_beyond_the_derivation_budget_phrases_are_still_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnemonic, "MAX_DERIVATIONS", 2)
    phrases = [M.to_mnemonic(os.urandom(16)) for _ in range(4)]
    found = _found("mnemonic list\n" + "\n".join(phrases) + "\n")
    assert len(found) == 4
    assert [f.npub is None for f in found] == [False, False, True, True]
    assert all(f.fingerprint for f in found)


def test_the_phrase_never_reaches_a_finding() -> None:
    phrase = M.to_mnemonic(os.urandom(16))
    (f,) = _found(f"mnemonic: {phrase}")
    text = repr(f) + repr(f.to_dict())
    words = phrase.split()
    # no three words of it in a row (one word alone may be any word: `high`, `kind`...)
    assert not [i for i in range(len(words) - 2) if " ".join(words[i : i + 3]) in text]
    assert phrase not in text


def test_a_bare_phrase_in_a_message_is_found_and_in_a_long_file_is_not_looked_for() -> None:
    """A short text (a chat message, a note: up to WHOLE_TEXT bytes) is read whole, so a bare
    phrase pasted into it is found, as a wallet seed; in a longer text, the documented limit of
    the first pass: no name before it, no numbered list, not looked for."""
    phrase = M.to_mnemonic(os.urandom(16))
    message = f"hi {phrase} ok"
    (found,) = scan_text(message)
    assert found.kind == "mnemonic" and str(found.confidence) == "medium"
    assert "wallet" in found.reason and found.npub
    assert phrase.split()[3] not in sanitize(message)
    long_text = "x = 1\n" * (mnemonic.WHOLE_TEXT // 6 + 1) + message
    assert not _found(long_text)
    assert _found("seed phrase: " + phrase + "\n" + "x = 1\n" * 400)


def test_the_word_list_is_the_mnemonic_packages() -> None:
    assert [w.decode() for w in mnemonic.wordlist()] == M.wordlist


def test_importing_nsecguard_does_not_import_mnemonic() -> None:
    code = "import sys, nsecguard, nsecguard.engine, nsecguard.rules; nsecguard.rules.all_rules(); print('mnemonic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_spec_test_phrases_of_repeated_words_are_well_known() -> None:
    """`abandon` x11 + `about` (BIP-39's first test vector) stands in every wallet's tests: no
    one's secret, reported low like the scalar 1 (a phrase from random entropy never repeats so)."""
    phrase = " ".join(["abandon"] * 11 + ["about"])
    (f,) = _found(f"mnemonic: {phrase}")
    assert str(f.confidence) == "low" and "well-known" in f.reason
    assert not [x for x in scan_text(f"mnemonic: {phrase}") if x.kind == KIND]


_ANCHOR_PIECES = st.sampled_from(
    [
        b"mnemonic",
        b"seed phrase",
        b"seed_words",
        b"recovery-seed",
        b"backup phrase",
        b"secret words",
        b"bip39",
        b"nip-06 ",
        b'seed = "',
        b"words: [",
        b"phrase='",
        b"1. abandon ",
        b"2) zoo ",
        b"x1.",
        b"seedseed",
        b" ",
        b"\n",
        b"lorem ipsum ",
        b"1.5 ",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_ANCHOR_PIECES, min_size=1, max_size=60), st.integers(min_value=1, max_value=400))
def test_one_pass_anchors_are_the_anchors_of_a_search_per_literal(
    monkeypatch: pytest.MonkeyPatch, pieces: list[bytes], repeat: int
) -> None:
    low = (b"".join(pieces) * repeat)[: mnemonic._ONE_PASS_FROM * 3]
    assume(len(low) > mnemonic._ONE_PASS_FROM)
    assert mnemonic._lead_finder() is not None  # the wheel is a test dependency
    one_pass = mnemonic.anchors(low)
    with monkeypatch.context() as m:
        m.setattr(mnemonic, "_lead_finder", lambda: None)
        assert mnemonic.anchors(low) == one_pass
