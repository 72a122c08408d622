from __future__ import annotations

import itertools
import sys
from typing import Any

import pytest

# `nsecguard.sanitizer` first through the package (the function; the module's name is the same)
from nsecguard import Confidence, Options, sanitize, sanitize_report, scan_text
from nsecguard.model import Finding
from nsecguard.sanitizer import decode_stream, sanitize_stream

from keygen import TestKey, assert_no_key, new_key
from vectors import NIP49_NCRYPTSEC


def test_nsec_becomes_npub_mention_and_the_rest_is_identical(key: TestKey) -> None:
    text = f"héllo 👋 {key.nsec}, bye\r\n"
    assert sanitize(text) == f"héllo 👋 nostr:{key.npub}, bye\r\n"


def test_prefixes_are_absorbed(key: TestKey, key2: TestKey) -> None:
    text = f"a nostr:{key.nsec} b @{key2.nsec.upper()}"
    assert sanitize(text) == f"a nostr:{key.npub} b nostr:{key2.npub}"


def test_hex_keys_are_swapped_too(key: TestKey) -> None:
    assert sanitize(f"NOSTR_SK={key.hex}\n") == f"NOSTR_SK=nostr:{key.npub}\n"


def test_secrets_without_pubkey_become_placeholders(key: TestKey) -> None:
    text = f"x {NIP49_NCRYPTSEC} y bunker://{key.pubhex}?secret=k2m9x7q1w4z8&relay=wss://r.example"  # nsecguard: allow
    out = sanitize(text)
    assert NIP49_NCRYPTSEC not in out and "secret=k2m9x7q1w4z8" not in out
    assert out.startswith("x [encrypted key removed] y bunker://")


def test_clean_text_is_untouched(key: TestKey) -> None:
    text = f"follow {key.npub}! pubkey={key.pubhex}\n"
    safe, findings = sanitize_report(text)
    assert safe == text and findings == []


def test_output_has_no_key_left(key: TestKey, key2: TestKey) -> None:
    text = f"{key.nsec}{key2.nsec} and sk: {key.hex}"
    out = sanitize(text)
    assert scan_text(out) == []
    assert_no_key(out, key, key2)


def test_inline_allow_does_not_protect_a_chat_message(key: TestKey) -> None:
    assert key.nsec not in sanitize(f"{key.nsec} nsecguard: allow")


def test_an_nsec_broken_by_invisible_characters_goes_whole(key: TestKey) -> None:
    """Nothing of the key is left, not even the part after the zero-width space."""
    text = f"here: {key.nsec[:25]}\u200b{key.nsec[25:50]}\u00ad{key.nsec[50:]} thanks"
    assert sanitize(text) == f"here: nostr:{key.npub} thanks"


# the five spellings of one key: the first of a pair stands where it is found (an nsec, or hex
# named as a key), the second bare, where on its own it has no context to be found by
FORMS = {
    "nsec": lambda k: k.nsec,
    "NSEC": lambda k: k.nsec.upper(),
    "hex": lambda k: k.hex,
    "HEX": lambda k: k.hex.upper(),
    "0x-hex": lambda k: "0x" + k.hex,
}


def _found(form: str, value: str) -> str:
    return value if form in ("nsec", "NSEC") else f"NOSTR_SECRET_KEY={value}"


@pytest.mark.parametrize("second", list(FORMS))
@pytest.mark.parametrize("first", list(FORMS))
def test_every_form_of_a_found_key_goes(first: str, second: str) -> None:
    """Once a key is found, its bare spelling elsewhere goes too: the npub left for the first
    would otherwise prove the second (a rescan would find a certain key)."""
    k = new_key()
    text = f"{_found(first, FORMS[first](k))}\n\n{FORMS[second](k)} bye"
    out = sanitize(text)
    assert_no_key(out, k)
    assert scan_text(out) == []
    assert scan_text(out, options=Options(min_confidence=Confidence.LOW)) == []
    assert out.endswith(f"nostr:{k.npub} bye")


@pytest.mark.parametrize("scheme", ["bunker", "nostrconnect"])
def test_a_key_inside_a_connection_secret_takes_the_whole_secret(key: TestKey, scheme: str) -> None:
    """`secret=<token><nsec>`: the token goes with the key, as one replaced span."""
    text = f"{scheme}://{key.pubhex}?relay=wss://r.example&secret=k2m9x7q1w4z8{key.nsec}&x=1"
    safe, findings = sanitize_report(text)
    assert "k2m9x7q1w4z8" not in safe
    assert_no_key(safe, key)
    assert safe == f"{scheme}://{key.pubhex}?relay=wss://r.example&secret=nostr:{key.npub}&x=1"
    assert [f.npub for f in findings] == [key.npub]
    assert scan_text(safe) == []


def test_a_secret_found_once_goes_wherever_it_stands(key: TestKey) -> None:
    token = "k2m9x7q1w4z8v3n6"
    text = f"bunker://{key.pubhex}?relay=wss://r.example&secret={token}\nand again: {token}\n"
    assert token not in sanitize(text)


def test_the_output_is_rescanned_until_clean(monkeypatch: pytest.MonkeyPatch, key: TestKey) -> None:
    """What the replacement leaves is scanned again."""
    calls: list[str] = []
    sanitize_module = sys.modules["nsecguard.sanitizer"]
    real = sanitize_module.scan_text

    def scan(text: str, **kwargs: Any) -> list[Finding]:
        calls.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(sanitize_module, "scan_text", scan)
    out = sanitize(f"sk: {key.hex}")
    assert scan_text(out) == [] and len(calls) >= 2  # the output was scanned again


def _stream(text: str, size: int, overlap: int) -> tuple[str, list[Finding]]:
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    out: list[str] = []
    found: list[Finding] = []
    for safe, findings in sanitize_stream(pieces, overlap=overlap):
        out.append(safe)
        found.extend(findings)
    return "".join(out), found


@pytest.mark.parametrize("size", [7, 50, 333, 4096])
def test_a_stream_is_sanitized_as_a_whole_text_is(key: TestKey, key2: TestKey, size: int) -> None:
    filler = "héllo wörld, nothing here\n" * 40
    text = f"{filler}{key.nsec}{filler}sk: {key2.hex}\n{filler}{key.hex} again\n{filler}"
    out, found = _stream(text, size, overlap=300)
    assert out == sanitize(text)
    assert_no_key(out, key, key2)
    assert sorted((f.line, f.npub) for f in found) == [(41, key.npub), (81, key2.npub), (122, key.npub)]


def test_a_stream_keeps_nothing_but_its_overlap(key: TestKey) -> None:
    """Bounded memory: no chunk yielded grows with the stream's length."""
    piece = "x" * 100 + "\n"
    chunks = itertools.chain(itertools.repeat(piece, 5000), [key.nsec])
    sizes = [len(s.text) for s in sanitize_stream(chunks, overlap=1000)]
    assert max(sizes) <= 2 * 1000 + 2 * len(piece)
    assert sum(sizes) > 5000 * len(piece) - 1


def test_a_secret_longer_than_the_overlap_is_dropped_whole(key: TestKey) -> None:
    token = "k2m9x7q1w4z8" * 2000
    text = f"see bunker://{key.pubhex}?secret={token} end\n"
    out, found = _stream(text, 500, overlap=200)
    assert "k2m9x7q1w4z8" not in out and out.endswith(" end\n") and found


def test_decode_stream_keeps_split_characters_and_invalid_bytes() -> None:
    data = "aé👋b".encode() + b"\xff\xfe z"
    pieces = [data[i : i + 1] for i in range(len(data))]
    text = "".join(decode_stream(pieces))
    assert text.encode("utf-8", "surrogateescape") == data and "👋" in text
