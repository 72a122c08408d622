from __future__ import annotations

import json
from typing import Any

from immutabledict import immutabledict

from nsecguard import Options
from nsecguard_matrix import guard
from tests.nsecguard_matrix.conftest import Planted

OPTIONS = Options()
ROOM = "!room:localhost"


def event(
    content: dict[str, Any], *, type: str = "m.room.message", sender: str = "@alice:localhost"
) -> dict[str, Any]:
    return {"type": type, "event_id": "$ev", "sender": sender, "origin_server_ts": 1, "content": content}


def test_text_notice_emote_formatted_caption_reaction(planted: Planted) -> None:
    key = planted.new()
    cases = [
        event({"msgtype": "m.text", "body": f"hi {key.nsec}"}),
        event({"msgtype": "m.notice", "body": f"bot says {key.nsec}"}),
        event({"msgtype": "m.emote", "body": f"shares {key.nsec}"}),
        event(
            {
                "msgtype": "m.text",
                "body": "see html",
                "format": "org.matrix.custom.html",
                "formatted_body": f"<p>{key.nsec[:30]}<b></b>{key.nsec[30:]}</p>",
            }
        ),
        event(
            {"msgtype": "m.image", "body": f"my key {key.nsec}", "filename": "cat.png", "url": "mxc://x/y"}
        ),
        event(
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x", "key": key.nsec}},
            type="m.reaction",
        ),
        event({"msgtype": "m.text", "body": f"nostr private key: {key.hex}"}),
    ]
    for ev in cases:
        leak = guard.inspect(ROOM, ev, OPTIONS)
        assert leak is not None, ev["content"]
        assert leak.npubs == [key.npub]
        assert not planted.found_in(leak.safe_text)
        assert not planted.found_in(repr(leak)) and not planted.found_in(leak.describe())
    assert guard.inspect(ROOM, cases[1], OPTIONS).is_notice  # type: ignore[union-attr]


def test_edit_that_adds_a_key(planted: Planted) -> None:
    key = planted.new()
    leak = guard.inspect(
        ROOM,
        event(
            {
                "msgtype": "m.text",
                "body": "* fixed",
                "m.new_content": {"msgtype": "m.text", "body": f"k {key.nsec}"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"},
            }
        ),
        OPTIONS,
    )
    assert leak is not None and leak.is_edit
    assert leak.safe_text == f"k nostr:{key.npub}"


def test_clean_and_malformed_events_give_none() -> None:
    assert guard.inspect(ROOM, event({"msgtype": "m.text", "body": "hello"}), OPTIONS) is None
    for bad in [
        {},
        {"type": "m.room.message"},
        event({"body": 5}),
        {"type": "m.room.message", "content": []},
        event({"msgtype": "m.text", "body": "x"}, type="m.room.member"),
        "junk",
        None,
    ]:
        assert guard.inspect(ROOM, bad, OPTIONS) is None  # type: ignore[arg-type]


def test_immutable_mappings_are_walked(planted: Planted) -> None:
    key = planted.new()
    content = immutabledict({"body": "x", "extra": immutabledict({"list": (key.nsec,)})})
    findings, secrets = guard.scan_content(content, OPTIONS)
    assert [f.npub for f in findings] == [key.npub]
    assert (key.nsec, f"nostr:{key.npub}") in secrets


def test_safe_copy_names_sender_and_npub_never_the_key(planted: Planted) -> None:
    key, other = planted.new(), planted.new()
    leak = guard.inspect(
        ROOM, event({"msgtype": "m.text", "body": f"a {key.nsec} b {other.nsec.upper()}"}), OPTIONS
    )
    assert leak is not None
    content = guard.safe_copy_content([leak], {"@alice:localhost": "Alice"})
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {"user_ids": ["@alice:localhost"]}
    assert "https://matrix.to/#/@alice:localhost" in content["formatted_body"]
    assert f"nostr:{key.npub}" in content["body"] and f"nostr:{other.npub}" in content["body"]
    assert not planted.found_in(json.dumps(content))


def test_warning_dm_says_compromised_rotate_and_npub(planted: Planted) -> None:
    key = planted.new()
    leak = guard.inspect(ROOM, event({"msgtype": "m.text", "body": key.nsec}), OPTIONS)
    assert leak is not None
    body = guard.warning_content([leak], redacted=True)["body"]
    assert "compromised" in body and "new key" in body and "Never paste" in body and key.npub in body
    custom = guard.warning_content([leak], redacted=False, advice="Ask #help.")["body"]
    assert "could not remove" in custom and "Ask #help." in custom
    no_power = guard.no_power_content(leak, needed=50, have=0)
    assert "50" in no_power["body"] and key.npub in no_power["body"]
    for content in (guard.warning_content([leak], redacted=True), no_power):
        assert not planted.found_in(json.dumps(content))


def test_scrub_is_case_insensitive(planted: Planted) -> None:
    key = planted.new()
    text = f"x {key.nsec.upper()} y"
    assert guard.scrub(text, {(key.nsec, "NPUB")}) == "x NPUB y"


def test_admin_notice_mentions_admins() -> None:
    content = guard.admin_content("@bot:hs", ["@admin:hs"], needed=50, have=0)
    assert content["m.mentions"] == {"user_ids": ["@admin:hs"]}
    assert "power level 50" in content["body"]
