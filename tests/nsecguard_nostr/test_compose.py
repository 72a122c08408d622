"""The compose-time guard: drafts, profiles and login fields, with keys generated at test time."""

from __future__ import annotations

import json
import secrets

import pytest
from nostr_helpers import assert_no_key, new_key, rand_hex

from nsecguard.model import Kind
from nsecguard_nostr.compose import check_draft, check_login_field, parse_pubkey

from vectors import NIP49_NCRYPTSEC


def _everything(check: object) -> str:
    return repr(check)


def test_clean_draft_is_unchanged() -> None:
    tags = [["t", "nostr"], ["e", rand_hex()], ["p", rand_hex()]]
    check = check_draft("gm, a note about npubs and nsec1 prefixes", tags, 1)
    assert check.clean and check.warning is None
    assert check.content == "gm, a note about npubs and nsec1 prefixes"
    assert check.tags == tags and check.p_tags == [] and check.safe_tags == tags


def test_own_nsec_is_swapped_for_own_mention_with_stern_warning() -> None:
    me = new_key()
    check = check_draft(f"backup: nostr:{me.nsec} ok", [], 1, me.npub)
    assert check.content == f"backup: nostr:{me.npub} ok"  # one `nostr:`, not two
    assert check.own_key
    [found] = check.findings
    assert found.own and found.where == "content" and found.field is None
    assert found.finding.kind is Kind.NSEC and found.finding.npub == me.npub
    assert check.warning is not None
    assert "YOUR OWN PRIVATE KEY" in check.warning
    assert "cannot be changed or revoked" in check.warning  # why it is permanent
    assert "create a new key" in check.warning  # what to do
    assert check.p_tags == [["p", me.pubhex]]
    assert_no_key(_everything(check), me)


def test_someone_elses_key_is_told_apart_from_the_users_own() -> None:
    me, other = new_key(), new_key()
    check = check_draft(f"found this {other.nsec.upper()}", [], 1, me.pubhex)
    assert not check.own_key
    assert check.content == f"found this nostr:{other.npub}"
    assert check.warning is not None
    assert f"another account ({other.npub})" in check.warning
    assert "YOUR OWN" not in check.warning
    assert check.p_tags == [["p", other.pubhex]]
    assert_no_key(_everything(check), me, other)


def test_unknown_user_gets_a_warning_that_covers_both_cases() -> None:
    k = new_key()
    check = check_draft(f"@{k.nsec}", [], 1)
    assert check.content == f"nostr:{k.npub}"
    assert check.warning is not None and "If it is yours" in check.warning


def test_own_hex_key_is_found_because_it_derives_to_the_user() -> None:
    me = new_key()
    assert check_draft(f"look {me.hex}", [], 1).clean  # a bare hex with no context: nothing proves it
    check = check_draft(f"look {me.hex}", [], 1, me.npub)
    assert check.own_key and check.findings[0].finding.kind is Kind.HEX
    assert check.content == f"look nostr:{me.npub}"


def test_hex_key_of_a_tagged_account_is_proven_by_the_tag() -> None:
    other = new_key()
    check = check_draft(f"cc {other.hex}", [["p", other.pubhex]], 1)
    assert [f.finding.kind for f in check.findings] == [Kind.HEX]
    assert check.p_tags == []  # already tagged


def test_keys_in_tags_are_swapped_and_a_pubkey_tag_gets_the_hex_pubkey() -> None:
    me, other = new_key(), new_key()
    tags = [["t", f"x{other.nsec}"], ["p", me.nsec], ["subject", f"my key {me.nsec}"]]
    check = check_draft("hello", tags, 1, me.npub)
    assert check.content == "hello"
    assert check.tags == [
        ["t", f"xnostr:{other.npub}"],
        ["p", me.pubhex],
        ["subject", f"my key nostr:{me.npub}"],
    ]
    assert {f.where for f in check.findings} == {"tag t", "tag p", "tag subject"}
    assert check.findings[0].own  # own key first
    assert_no_key(_everything(check), me, other)


def test_profile_fields_are_checked_field_by_field() -> None:
    me, other = new_key(), new_key()
    profile = {
        "name": me.nsec,
        "display_name": "Bob",
        "about": f"backup {other.nsec}",
        "nip05": "bob@example.com",
        "lud16": "bob@wallet.example",
        "website": f"https://example.com/?k={me.nsec}",
        "picture": "https://example.com/p.png",
        "banner": "https://example.com/b.png",
        "pronouns": f"{me.nsec}",
        "links": ["https://a.example", f"nostr:{other.nsec}"],
        "bot": False,
    }
    check = check_draft(json.dumps(profile), [], 0, me.npub)
    fields = sorted(f.field or "" for f in check.findings)
    assert fields == ["about", "links[1]", "name", "pronouns", "website"]
    assert all(f.where == f"profile field {f.field}" for f in check.findings)
    safe = json.loads(check.content)
    assert safe["name"] == f"nostr:{me.npub}"
    assert safe["about"] == f"backup nostr:{other.npub}"
    assert safe["links"] == ["https://a.example", f"nostr:{other.npub}"]
    assert safe["bot"] is False and safe["nip05"] == "bob@example.com"
    assert check.p_tags == []  # a profile does not tag people
    assert check.warning is not None and 'profile field "' in check.warning
    assert_no_key(_everything(check), me, other)


def test_profile_with_json_escaped_key_is_caught() -> None:
    k = new_key()
    escaped = "".join(f"\\u{ord(c):04x}" for c in k.nsec)
    check = check_draft('{"about":"' + escaped + '"}', [], 0)
    assert [f.field for f in check.findings] == ["about"]
    assert json.loads(check.content)["about"] == f"nostr:{k.npub}"


def test_clean_profile_keeps_its_exact_text_and_bad_json_is_scanned_as_text() -> None:
    text = '{ "name" : "bob" }'
    assert check_draft(text, [], 0).content == text
    k = new_key()
    broken = check_draft('{"name": "' + k.nsec, [], 0)
    assert broken.content == '{"name": "nostr:' + k.npub
    assert broken.findings[0].where == "content"


@pytest.mark.parametrize(
    ("uri", "kind", "advice"),
    [
        ("nostr+walletconnect://{pub}?relay=wss%3A%2F%2Fr.example&secret={hex}", Kind.NWC, "revoke"),
        ("bunker://{pub}?relay=wss://r.example&secret={token}", Kind.BUNKER, "Revoke"),
    ],
)
def test_wallet_and_bunker_secrets_are_removed(uri: str, kind: Kind, advice: str) -> None:
    k = new_key()
    text = "connect: " + uri.format(pub=rand_hex(), hex=k.hex, token=secrets.token_urlsafe(12))
    check = check_draft(text, [], 1)
    assert [f.finding.kind for f in check.findings] == [kind]
    assert check.content.startswith("connect: ") and "secret=" in check.content
    assert check.content != text
    assert check.warning is not None and advice in check.warning
    assert_no_key(_everything(check), k)


def test_several_secrets_are_counted_in_the_warning() -> None:
    a, b, c = new_key(), new_key(), new_key()
    check = check_draft(f"{a.nsec} {b.nsec} {c.nsec} {a.nsec}", [], 1)
    assert check.warning is not None and "2 more secrets" in check.warning


def test_bad_user_pubkey_is_a_clear_error_without_the_value() -> None:
    k = new_key()
    with pytest.raises(ValueError) as exc:
        check_draft("hi", [], 1, k.nsec)
    assert_no_key(str(exc.value), k)
    assert parse_pubkey(k.npub) == k.pubkey == parse_pubkey(k.pubhex.upper())


def test_login_field_nsec_says_what_to_type_instead() -> None:
    me = new_key()
    check = check_login_field(f"  {me.nsec}\n", expects="npub", user_pubkey=me.npub)
    assert check.leak and not check.ok and check.kind == "nsec"
    assert check.suggestion == me.npub
    assert check.message is not None and "YOUR OWN PRIVATE KEY" in check.message and me.npub in check.message
    other = check_login_field(new_key().nsec, expects="npub")
    assert other.leak and other.message is not None and "a private key" in other.message
    assert_no_key(repr(check), me)


def test_login_field_hex() -> None:
    me = new_key()
    own = check_login_field(me.hex, user_pubkey=me.pubhex)
    assert own.leak and own.kind == "hex-key" and own.suggestion == me.npub
    pub = check_login_field(me.pubhex, user_pubkey=me.pubhex)
    assert not pub.leak and pub.ok and pub.kind == "hex-pubkey" and pub.suggestion == me.npub
    # the x coordinate of no curve point cannot be a public key: it can only be a private key
    not_a_point = next(h for h in (rand_hex() for _ in range(200)) if check_login_field(h).kind == "hex-key")
    assert check_login_field(not_a_point).leak
    ambiguous = check_login_field(new_key().pubhex)
    assert ambiguous.kind == "hex-ambiguous" and not ambiguous.ok and ambiguous.message is not None


def test_login_field_accepts_what_belongs() -> None:
    k = new_key()
    assert check_login_field(k.npub) == (False, True, "npub", None, None)
    assert check_login_field("bob@example.com", expects="nip05").ok
    assert not check_login_field("bob@example.com", expects="npub").ok
    assert not check_login_field(k.npub, expects="nip05").ok
    assert check_login_field("Bob the builder", expects="any").ok
    assert not check_login_field("Bob the builder").ok
    assert check_login_field(k.nsec, expects="any").leak
    ncrypt = check_login_field(NIP49_NCRYPTSEC)
    assert ncrypt.leak and ncrypt.kind == "ncryptsec" and ncrypt.message is not None
    with pytest.raises(ValueError):
        check_login_field("x", expects="password")  # type: ignore[arg-type]


def test_non_ascii_text_around_a_key_is_kept_exactly() -> None:
    k = new_key()
    check = check_draft(f"🔑 ünïcode {k.nsec} 🎉 end", [["subject", f"日本 {k.nsec}"]], 1)
    assert check.content == f"🔑 ünïcode nostr:{k.npub} 🎉 end"
    assert check.tags == [["subject", f"日本 nostr:{k.npub}"]]


def test_a_key_as_a_profile_field_name_or_a_lone_tag_is_caught() -> None:
    k = new_key()
    check = check_draft(json.dumps({k.nsec: "x", "name": "bob"}), [["t"], [k.nsec]], 0)
    assert [f.where for f in check.findings].count("profile field name") == 1
    assert json.loads(check.content) == {f"nostr:{k.npub}": "x", "name": "bob"}
    assert check.tags == [["t"], [f"nostr:{k.npub}"]]
    assert_no_key(repr(check), k)
