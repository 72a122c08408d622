"""The texts name the kind of secret and what to do; a bunker secret is no private key."""

from __future__ import annotations

from nsecguard.chat import texts
from nsecguard.model import Kind


def who() -> texts.Mentions:
    return texts.Mentions(("Alice (alice)", "<b>Alice</b>"), [("npub1x", ("nostr:npub1x", "<a>npub1x</a>"))])


def test_kinds_are_named_for_what_they_are() -> None:
    assert texts.what_leaked([Kind.BUNKER]) == "a remote-signer secret (bunker://)"
    assert "private key" not in texts.removal_reason([Kind.NWC])
    assert "private key" in texts.removal_reason([Kind.NSEC])
    assert " and " in texts.what_leaked([Kind.NSEC, Kind.BUNKER])


def test_advice_fits_the_secret() -> None:
    assert "compromised for good" in texts.advice_for([Kind.NSEC])
    assert "signer" in texts.advice_for([Kind.BUNKER]) and "new key" not in texts.advice_for([Kind.BUNKER])
    assert "wallet" in texts.advice_for([Kind.NWC])


def test_the_warning_says_what_happened() -> None:
    text, rich = texts.warning([Kind.NSEC], room="#r{0}", removed=False, direct=False, who=who(), advice=None)
    assert "could not remove" in text and "#r{0}" in text and "nostr:npub1x" in text
    assert "<a>npub1x</a>" in rich
    text, _ = texts.warning([Kind.NSEC], room="r", removed=True, direct=True, who=who(), advice="custom")
    assert text.startswith("You sent me") and text.endswith("custom")


def test_the_safe_copy_quotes_and_names_the_owner() -> None:
    text, rich = texts.safe_copy([Kind.HEX], edit=True, safe_text="a\nb", safe_html="a<br>b", who=who())
    assert "an edit holding" in text and "> a\n> b" in text and "nostr:npub1x" in text
    assert "<blockquote>a<br>b</blockquote>" in rich and "<b>Alice</b>" in rich
