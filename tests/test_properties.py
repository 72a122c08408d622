"""Property tests: any key in any surrounding text is found, and sanitize leaves none."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsecguard import keys, sanitize, scan_text

from keygen import from_secret

secrets = st.binary(min_size=32, max_size=32).filter(keys.is_valid_secret)
surrounding = st.text(max_size=200)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(secrets, surrounding, surrounding, st.booleans())
def test_nsec_in_any_text_is_found_with_its_npub(secret: bytes, before: str, after: str, upper: bool) -> None:
    k = from_secret(secret)
    nsec = k.nsec.upper() if upper else k.nsec
    found = scan_text(before + nsec + after)
    assert k.npub in {f.npub for f in found}


@SETTINGS
@given(secrets, surrounding, surrounding)
def test_named_hex_key_in_any_text_is_found(secret: bytes, before: str, after: str) -> None:
    k = from_secret(secret)
    found = scan_text(f"{before}\nNOSTR_SECRET_KEY={k.hex}\n{after}")
    assert k.npub in {f.npub for f in found}


@SETTINGS
@given(st.lists(secrets, min_size=1, max_size=3), st.lists(surrounding, min_size=4, max_size=4), st.data())
def test_sanitize_leaves_no_detectable_key(
    secret_list: list[bytes], texts: list[str], data: st.DataObject
) -> None:
    ks = [from_secret(s) for s in secret_list]
    pieces = [texts[0]]
    for i, k in enumerate(ks):
        form = data.draw(st.sampled_from([k.nsec, k.nsec.upper(), f"nostr:{k.nsec}", f" sk={k.hex}\n"]))
        pieces += [form, texts[(i + 1) % 4]]
    text = "".join(pieces)
    out = sanitize(text)
    assert scan_text(out) == []
    for k in ks:
        assert k.nsec not in out.lower() and k.hex not in out.lower()
        assert f"nostr:{k.npub}" in out


@SETTINGS
@given(secrets, surrounding, surrounding, st.sampled_from(["npub", "hex"]))
def test_hex_key_is_proven_by_its_public_key_anywhere(
    secret: bytes, before: str, after: str, form: str
) -> None:
    k = from_secret(secret)
    pub = k.npub if form == "npub" else k.pubhex
    found = scan_text(f"{before}\n{k.hex}\n{after}\nowner: {pub}\n")
    assert [f.npub for f in found if f.npub == k.npub and f.confidence.name == "CERTAIN"] == [k.npub]


@SETTINGS
@given(st.text(alphabet="qpzry9x8gf2tvdw0s3jn54khce6mua7l", min_size=58, max_size=58), st.booleans())
def test_random_nsec_shaped_strings_are_not_keys(body: str, upper: bool) -> None:
    text = "nsec1" + body
    assert scan_text(text.upper() if upper else text) == []


@SETTINGS
@given(st.text(max_size=500))
def test_sanitize_is_the_identity_on_text_without_keys(text: str) -> None:
    if not scan_text(text):
        assert sanitize(text) == text
