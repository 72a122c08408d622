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
        ("NostrConnectMethod::GetPublicKey, ", Verdict.NEGATIVE),
        ("nostr_public_key = ", Verdict.NEGATIVE),
        ("event_secret_key=", Verdict.STRONG),
        ('"shared_secret": "', Verdict.NEGATIVE),
        ('"conversation_key": "', Verdict.NEGATIVE),
        ("entropy: ", Verdict.NEGATIVE),
        ('private val testGroupKey = hex("', Verdict.NONE),
        ('private val internalKey = "', Verdict.NONE),
        ('private static final String PRIVATE_KEY = "', Verdict.STRONG),
        ('private val privKey = "', Verdict.STRONG),
        ("my private key: ", Verdict.STRONG),
        ("NostrSecretKey: ", Verdict.STRONG),
        ("BOT_NSEC=", Verdict.STRONG),
        ("my private key is ", Verdict.STRONG),
        ('pub const SECRET_KEY: &str = "', Verdict.STRONG),
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


@pytest.mark.parametrize(
    "before",
    [
        b"const pk = getPublicKey(hexToBytes('",
        b"nip19.nsecEncode('",
        b"schnorr.getPublicKey('",
        b"const event = finalizeEvent(template, hexToBytes('",
        b'let keys = Keys::parse("',
        b"final keys = Keys('",  # Dart
        b"var keychain = Keychain('",  # Dart nostr
        b'let keypair = Keypair(hex: "',  # Swift nostr-sdk-ios
        b"const kp = NostrKeyPairs(private: '",  # Dart dart_nostr
        b'val kp = KeyPair(privKey = "',  # Kotlin
    ],
)
def test_key_taking_calls(before: bytes) -> None:
    from nsecguard.context import judge

    line = before + b"ab" * 32 + b"')\n"
    confidence, _ = judge(line, len(before), len(before) + 64, nostr_file=True)
    assert confidence is not None and confidence.name == "HIGH"


@pytest.mark.parametrize(
    "before",
    [
        b'val kp = KeyPair(pubKey = "',  # a key pair constructor given the public half
        b'Object.keys("',  # not a constructor
        b'let pk = PublicKey(hex: "',
        b'keys = self.keys("',
    ],
)
def test_calls_that_do_not_take_a_private_key(before: bytes) -> None:
    """Below the default confidence: not reported."""
    from nsecguard.context import judge
    from nsecguard.model import Confidence

    line = before + b"ab" * 32 + b'")\n'
    confidence = judge(line, len(before), len(before) + 64, nostr_file=False)[0]
    assert confidence is None or confidence < Confidence.MEDIUM


def test_labels_do_not_reach_past_other_content_or_enum_names() -> None:
    """Real false positives seen in the NIPs and rust-nostr: a `p` tag under a variable named
    `private_items`, and a response under an enum variant `GetPublicKey,`."""
    from nsecguard.context import judge

    for text in (
        b'val private_items = [\n  ["p", "' + b"cd" * 32 + b'"],\n',
        b'ResponseResult::parse(\n    NostrConnectMethod::GetPublicKey,\n    "' + b"cd" * 32 + b'",\n',
    ):
        start = text.index(b"cd" * 32)
        assert judge(text, start, start + 64, nostr_file=True)[0] is None


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


def test_veto_reasons_tell_public_keys_from_hashes() -> None:
    from nsecguard.context import NAMED_PUBLIC, VETOED, judge

    hexkey = b"ab" * 32
    for before, reason in (
        (b"pubkey relay event  # sha256 ", VETOED),
        (b'"pubkey": "', NAMED_PUBLIC),
        (b"checksum = ", VETOED),
    ):
        line = before + hexkey + b"\n"
        assert judge(line, len(before), len(before) + 64, nostr_file=False) == (None, reason)
