"""`scan_event`: what is scanned, and the cheap gate never hides what the precise scan finds."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic
from nostr_helpers import TestKey, event, new_key, rand_hex

from nsecguard_nostr import event as event_mod
from nsecguard_nostr.event import EventFilter, parse_kinds, scan_event

KEY = new_key()
AUTHOR = new_key()


def _precise(ev: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, bool, str]]:
    """scan_event with the gate forced open: the reference the gate must agree with."""
    with monkeypatch.context() as m:
        m.setattr(event_mod, "_gate", lambda e, f, out, d: out.append("nsec1"))
        m.setattr(event_mod, "holds_base64_text", lambda data: True)
        return _summary(scan_event(ev))


def _summary(leaks: list[event_mod.Leak]) -> list[tuple[str, str | None, bool, str]]:
    return sorted((str(x.finding.kind), x.finding.npub, x.own, x.where) for x in leaks)


def _secret_forms(k: TestKey) -> list[str]:
    return [
        k.nsec,
        k.nsec.upper(),
        k.hex,
        f"sk={k.hex}",
        f"nostr+walletconnect://{rand_hex()}?relay=wss://r.example&secret={k.hex}",
        f"bunker://{rand_hex()}?secret=9q2w7e4r1t6y",
        "nothing here",
        rand_hex(),
        f"gm nostr:{k.npub}",
        base64.b64encode(f"my nostr key is {k.nsec}".encode()).decode(),
        base64.b64encode(f"NOSTR_PRIVATE_KEY={k.hex}".encode()).decode(),
        "lnbc210n1" + base64.b32encode(os.urandom(200)).decode().lower().rstrip("="),  # an invoice
        k.hex[:63],
        k.hex + "a",
        k.hex.upper(),
        f"30023:{k.nsec}x:post",  # an `a` tag's pubkey slot holding 64 characters: not a pubkey
        f"x {k.nsec}.",  # an `imeta` field whose 64 characters are no sha256
        f"30023:{k.hex}:post",
    ]


PHRASE = Mnemonic("english").to_mnemonic(os.urandom(16))  # a bare seed phrase: read whole


values = st.sampled_from(
    _secret_forms(KEY) + _secret_forms(AUTHOR) + ["wss://relay.example.com", "reply", "", PHRASE]
)
tag_names = st.sampled_from(["e", "p", "a", "q", "t", "client", "imeta", "description", "x", "d", "privkey"])
tags = st.lists(st.builds(lambda n, vs: [n, *vs], tag_names, st.lists(values, max_size=3)), max_size=5)


# tag lists made only of [name, value] pairs (a contact list), now and then one that is not
pair_names = st.sampled_from(["p", "e", "q", "P", "x", "preimage", "t"])
pair_lists = st.lists(
    st.one_of(
        st.builds(lambda n: [n, rand_hex()], pair_names),
        st.builds(lambda n, v: [n, v], pair_names, values),
        st.builds(lambda v: ["p", rand_hex(), v], values),
    ),
    min_size=1,
    max_size=3,
).map(lambda tags: tags * event_mod._MANY_TAGS)  # long enough to be asked whether it is all ID pairs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tags=pair_lists, kind=st.sampled_from([3, 7, 10002]))
def test_the_id_pair_shortcut_agrees_with_the_precise_scan(
    monkeypatch: pytest.MonkeyPatch, tags: list[list[str]], kind: int
) -> None:
    ev = event("", tags, kind=kind)
    assert _summary(scan_event(ev)) == _precise(ev, monkeypatch)


def test_a_contact_list_is_skipped_whole_and_a_key_among_its_tags_is_found() -> None:
    contacts = [["p", rand_hex()] for _ in range(300)]
    assert event_mod._only_id_pairs(contacts)
    assert scan_event(event("", contacts, kind=3)) == []
    for odd in (
        ["p", KEY.nsec],  # not 64 characters
        ["p", KEY.hex, f"wss://relay.example.com/?{KEY.nsec}"],  # a third value
        ["t", KEY.hex],  # not an ID tag
        ["p", "g" * 64],  # not hex
        ["p", "é" * 64],  # not ASCII
    ):
        tags = [*contacts, odd]
        assert not event_mod._only_id_pairs(tags)
    found = scan_event(event("", [*contacts, ["p", KEY.nsec]], kind=3))
    assert [leak.finding.npub for leak in found] == [KEY.npub]
    hidden = {0: "p", 1: KEY.hex}  # not JSON, but a caller may build it: looked at, not skipped
    for malformed in (
        [*contacts, {"p": 1}],
        [*contacts, ["p", 7]],
        [*contacts, "pq"],
        [[]],
        [*contacts, hidden],
    ):
        assert not event_mod._only_id_pairs(malformed)
    assert not event_mod._only_id_pairs([["p", rand_hex(31) + "a" * 2], ["p", rand_hex(32) + "a" * 2]])


def test_a_zap_invoice_costs_no_engine_run_and_base64_text_still_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice = "lnbc210n1" + base64.b32encode(os.urandom(200)).decode().lower().rstrip("=")
    request = event("", [["p", rand_hex()], ["amount", "21000"]], kind=9734)
    zap = event(
        "", [["bolt11", invoice], ["description", json.dumps(request)], ["preimage", rand_hex()]], kind=9735
    )
    ran: list[bytes] = []
    real = event_mod.scan_bytes
    monkeypatch.setattr(event_mod, "scan_bytes", lambda data, **kw: ran.append(data) or real(data, **kw))
    assert scan_event(zap) == [] and ran == []  # the invoice is base64-shaped, and decodes to no text
    hidden = base64.b64encode(f"my nostr key is {KEY.nsec}".encode()).decode()
    leaky = event("", [["bolt11", invoice], ["memo", hidden]], kind=9735)
    assert [leak.finding.npub for leak in scan_event(leaky)] == [KEY.npub] and ran


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=values,
    tags=tags,
    kind=st.sampled_from([0, 1, 3, 6, 7, 9735]),
    own=st.booleans(),
    embed=st.booleans(),
)
def test_gate_agrees_with_the_precise_scan(
    monkeypatch: pytest.MonkeyPatch, content: str, tags: list[list[str]], kind: int, own: bool, embed: bool
) -> None:
    pubkey = AUTHOR.pubhex if own else rand_hex()
    ev = event(content, tags, kind=kind, pubkey=pubkey)
    if embed:  # a repost or zap request holding the event
        ev = event(json.dumps(ev), [["description", json.dumps(ev)]], kind=kind)
    assert _summary(scan_event(ev)) == _precise(ev, monkeypatch)


any_text = st.text(st.characters(blacklist_categories=()), max_size=40)  # lone surrogates too
any_value = st.one_of(any_text, st.integers(), st.integers(min_value=2**64, max_value=2**70))


@settings(max_examples=300, deadline=None)
@given(content=any_text, tags=st.lists(st.lists(any_value, max_size=3), max_size=3), kind=any_value)
def test_the_fast_id_check_agrees_with_the_canonical_hash(
    content: str, tags: list[list[Any]], kind: Any
) -> None:
    ev = {"pubkey": rand_hex(), "created_at": 1_700_000_000, "kind": kind, "tags": tags, "content": content}
    right = event_mod.event_hash(ev)
    if right is None:
        assert not event_mod.has_its_own_id(ev, rand_hex())
        return
    assert event_mod.has_its_own_id(ev, right)
    assert not event_mod.has_its_own_id(ev, rand_hex())


def test_an_npub_mention_alone_is_no_leak_and_a_seed_phrase_is() -> None:
    assert scan_event(event(f"thanks nostr:{KEY.npub} and nostr:{AUTHOR.npub}")) == []
    assert [str(x.finding.kind) for x in scan_event(event(PHRASE))] == ["mnemonic"]
    assert [x.finding.npub for x in scan_event(event(f"{KEY.hex} is the key of nostr:{KEY.npub}"))] == [
        KEY.npub
    ]


def test_reference_tags_are_not_derived_but_still_scanned() -> None:
    k = new_key()
    # a private key where a pubkey belongs is not found as hex (by design: cost), but an nsec is
    assert scan_event(event("hi", [["p", k.hex]])) == []
    assert [x.finding.npub for x in scan_event(event("hi", [["p", k.nsec]]))] == [k.npub]
    assert [x.finding.npub for x in scan_event(event("hi", [["e", rand_hex(), k.nsec]]))] == [k.npub]


def test_a_reference_part_of_64_characters_that_is_no_hex_is_still_scanned() -> None:
    k = new_key()
    for name, value in (("a", f"30023:{k.nsec}x:post"), ("q", f"1:{k.nsec}-:x"), ("imeta", f"x {k.nsec}.")):
        assert [x.finding.npub for x in scan_event(event("hi", [[name, value]]))] == [k.npub], name


def test_hex_proven_by_p_tag_and_author() -> None:
    k = new_key()
    (leak,) = scan_event(event(f"gm {k.hex}", [["p", k.pubhex]]))
    assert leak.finding.npub == k.npub and not leak.own and str(leak.finding.confidence) == "certain"
    (leak,) = scan_event(event(k.hex, pubkey=k.pubhex))
    assert leak.own and leak.where == "content"
    assert scan_event(event(k.hex)) == []  # a bare hex value with nothing to prove it


def test_wallet_pubkey_in_uri_is_not_reported_as_a_key() -> None:
    wallet, secret = new_key(), new_key()
    leaks = scan_event(
        event(f"nostr+walletconnect://{wallet.pubhex}?relay=wss://r.example&secret={secret.hex}")
    )
    assert [(str(x.finding.kind), x.finding.npub) for x in leaks] == [("nwc-secret", secret.npub)]


def test_embedded_events_and_where() -> None:
    k = new_key()
    inner = event("", [["t", k.nsec]], pubkey=k.pubhex)
    (leak,) = scan_event(event(json.dumps(inner), [["e", inner["id"]]], kind=6))
    assert leak.where == "embedded event tag t"
    assert not leak.own  # the reposter is not the key's owner


def test_filters() -> None:
    k = new_key()
    ev = event(k.nsec, [["t", k.nsec]], kind=4)
    assert scan_event(ev, filt=EventFilter(skip_kinds=frozenset({4}))) == []
    assert scan_event(ev, filt=EventFilter(kinds=frozenset({1}))) == []
    assert [x.where for x in scan_event(ev, filt=EventFilter(content=False))] == ["tag t"]
    assert [x.where for x in scan_event(ev, filt=EventFilter(tags=frozenset()))] == ["content"]
    assert parse_kinds("1, 3,30000-30002") == {1, 3, 30000, 30001, 30002}
    with pytest.raises(ValueError, match="not a kind"):
        parse_kinds("x")


def test_malformed_events_do_not_raise() -> None:
    k = new_key()
    weird: list[dict[str, Any]] = [
        {"id": "x", "tags": "no", "content": 5},
        {"id": "x", "tags": [[], [1, 2], "t", [None, k.nsec], ["t", 7, k.nsec]], "content": None},
        {"id": "x", "kind": 6, "content": "{not json", "tags": [["description", "{]"]]},
    ]
    found = [scan_event(ev) for ev in weird]
    assert found[0] == [] and {x.finding.npub for x in found[1]} == {k.npub}  # [None, nsec] too
