from __future__ import annotations

from nsecguard import sanitize, sanitize_report, scan_text

from keygen import TestKey, assert_no_key
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
