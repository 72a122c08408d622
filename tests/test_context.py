from __future__ import annotations

import pytest

from nsecguard.context import Verdict, judge_phrase, words_of


@pytest.mark.parametrize(
    ("before", "verdict"),
    [
        ("NOSTR_SECRET_KEY=", Verdict.STRONG),
        ('export NOSTR_SK="', Verdict.STRONG),
        ('{"pubkey": "x", "sk": "', Verdict.STRONG),
        ("nak event --sec ", Verdict.STRONG),
        ('SecretKey::from_hex("', Verdict.STRONG),
        ('PrivateKey(bytes.fromhex("', Verdict.STRONG),
        ("RELAY_PRIVATE_KEY=", Verdict.STRONG),
        ("NostrSecretKey: ", Verdict.STRONG),
        ("BOT_NSEC=", Verdict.STRONG),
        ("my private key is ", Verdict.STRONG),
        ('pub const SECRET_KEY: &str = "', Verdict.STRONG),
        ('let keys = Keys::parse("', Verdict.WEAK),
        ("const pk = getPublicKey(hexToBytes('", Verdict.STRONG),
        ("nip19.nsecEncode('", Verdict.STRONG),
        ("schnorr.getPublicKey('", Verdict.STRONG),
        ("raw_secret = ", Verdict.WEAK),
        ('{"pubkey": "', Verdict.NEGATIVE),
        ("secret_key_hash = ", Verdict.NEGATIVE),
        ("--hash=sha256:", Verdict.NEGATIVE),
        ("image@sha256:", Verdict.NEGATIVE),
        ('checksum = "', Verdict.NEGATIVE),
        ('"id": "', Verdict.NEGATIVE),
        ("JWT_SECRET=", Verdict.NEGATIVE),
        ("API_KEY=", Verdict.NEGATIVE),
        ("commit ", Verdict.NEGATIVE),
        ('key = "', Verdict.NONE),
        ("tree ", Verdict.NEGATIVE),
        ("", Verdict.NONE),
    ],
)
def test_judge_phrase(before: str, verdict: Verdict) -> None:
    assert judge_phrase(before.encode()) is verdict


def test_argument_of_a_call_that_takes_a_key() -> None:
    from nsecguard.context import judge

    hexkey = b"ab" * 32
    line = b"const event = finalizeEvent(template, hexToBytes('" + hexkey + b"'))\n"
    start = line.index(hexkey)
    confidence, _ = judge(line, start, start + 64, nostr_file=True)
    assert confidence is not None and confidence.name == "HIGH"
    line = b"assertEqual(result, '" + hexkey + b"')\n"
    start = line.index(hexkey)
    assert judge(line, start, start + 64, nostr_file=True)[0] is None


def test_words_of_splits_case_and_separators() -> None:
    assert words_of("NostrSecretKey") == ["nostr", "secret", "key", "nostrsecretkey"]
    assert words_of("NOSTR_SK_HEX") == ["nostr", "sk", "hex"]
    assert words_of("privKey") == ["priv", "key", "privkey"]
