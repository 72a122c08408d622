"""The sentinel's decisions, without a relay: profile fields, the own-key recovery for a
deletion, NIP-19 references, the store, at most one warning per key and recipient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nostr_helpers import event

from nsecguard_nostr.watch import scan
from nsecguard_nostr.watch.sentinel import Sentinel, nevent, note
from nsecguard_nostr.watch.store import Sighting, Store

from keygen import assert_no_key, new_key


def test_profile_fields_are_scanned_one_by_one() -> None:
    k = new_key()
    # JSON escaping hides the key from a raw scan of the content: each field is decoded first
    escaped = json.dumps({"name": "x", "about": k.nsec}).replace("nsec1", "\\u006esec1")
    leaks = scan.leaks_in(event(escaped, kind=0, pubkey=k.pubhex))
    assert [(leak.finding.npub, leak.own, leak.where) for leak in leaks] == [
        (k.npub, True, "profile field about")
    ]
    nested = json.dumps({"name": "x", "extra": {"backup": k.nsec, "list": ["a"]}})
    leaks = scan.leaks_in(event(nested, kind=0))
    assert [leak.where for leak in leaks] == ["profile field extra.backup"]


def test_a_profile_that_is_not_json_is_scanned_as_text() -> None:
    k = new_key()
    leaks = scan.leaks_in(event(f"not json {k.nsec}", kind=0))
    assert [leak.where for leak in leaks] == ["content"]


@pytest.mark.parametrize("form", ["nsec", "upper", "hex", "invisible", "tag", "profile"])
def test_own_secret_is_taken_back_from_the_event_text(form: str) -> None:
    k = new_key()
    content, tags, kind = "see ", [], 1
    if form == "nsec":
        content += k.nsec
    elif form == "upper":
        content += k.nsec.upper()
    elif form == "hex":
        content += k.hex
    elif form == "invisible":
        content += k.nsec[:20] + "\u200b" + k.nsec[20:]
    elif form == "tag":
        tags = [["t", k.nsec]]
    else:
        kind, content = 0, json.dumps({"about": k.nsec}).replace("nsec1", "\\u006esec1")
    ev = event(content, tags, pubkey=k.pubhex, kind=kind)
    assert scan.own_secret(ev) == k.secret


def test_own_secret_is_none_for_someone_elses_key() -> None:
    k, author = new_key(), new_key()
    assert scan.own_secret(event(f"{k.nsec} {k.hex}", pubkey=author.pubhex)) is None
    assert scan.own_secret(event("nothing")) is None
    assert scan.own_secret({"pubkey": "zz", "content": k.nsec}) is None


def test_nevent_and_note_decode_with_nostr_sdk() -> None:
    nostr_sdk = pytest.importorskip("nostr_sdk")
    ev_id, author = new_key().pubhex, new_key().pubhex
    ref = nevent(ev_id, "ws://127.0.0.1:7777", author, 30023)
    decoded = nostr_sdk.Nip19Event.from_bech32(ref)
    assert decoded.event_id().to_hex() == ev_id
    assert decoded.author().to_hex() == author
    assert decoded.kind().as_u16() == 30023
    assert [str(r) for r in decoded.relays()] == ["ws://127.0.0.1:7777"]
    assert nostr_sdk.EventId.parse(note(ev_id)).to_hex() == ev_id


def test_store_round_trip_and_cursor_only_moves_forward(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    s = Sighting("npub1x", "fp", "nsec", "ab" * 32, 1, "npub1y", True, "content", "ws://r", 10, 20)
    assert store.add_sighting(s) and not store.add_sighting(s)
    assert store.sightings("npub1x") == [s]
    store.set_cursor("ws://r", 100)
    store.set_cursor("ws://r", 50)
    assert store.cursor("ws://r") == 100 and store.cursor("ws://other") is None
    store.close()
    assert Store(tmp_path / "s.db", create=False).sightings("npub1x") == [s]


def test_sentinel_plans_one_warning_per_key_and_recipient(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    sentinel = Sentinel(store, request_deletion=True)
    owner, author = new_key(), new_key()
    first = event(f"{owner.nsec}", pubkey=author.pubhex)
    plan = sentinel.process(first, "ws://r")
    assert plan is not None and not plan.delete
    assert [(f.npub, role) for f, role in plan.warnings] == [(owner.npub, "owner"), (owner.npub, "author")]
    msgs = plan.messages(deleted=False)
    assert [m.recipient for m in msgs] == [owner.npub, author.npub]
    for m in msgs:
        assert_no_key(m.text, owner, author)
        assert "nostr:nevent1" in m.text
    assert sentinel.process(first, "ws://other") is None  # the same event from another relay
    assert sentinel.duplicates == 1
    for m in msgs:
        store.add_warning(m.about, m.recipient, first["id"], "00" * 32)
    again = event(f"again {owner.nsec}", pubkey=owner.pubhex)
    plan = sentinel.process(again, "ws://r")
    assert plan is not None and plan.delete and plan.warnings == []  # warned already; own: delete
    assert "was published" not in "".join(m.text for m in plan.messages(deleted=True))
    assert len(store.sightings(owner.npub)) == 2


def test_sentinel_ignores_clean_and_malformed_events(tmp_path: Path) -> None:
    sentinel = Sentinel(Store(tmp_path / "s.db"))
    assert sentinel.process(event("hello"), "ws://r") is None
    assert sentinel.process({"content": "no id"}, "ws://r") is None
    k = new_key()
    assert sentinel.process(event(k.nsec, pubkey="not hex"), "ws://r") is None
    assert sentinel.events == 2
