"""Matrix events become the core's Messages: every part a reader sees (formerly
test_guard.py's `inspect` tests, now over `to_message` + the core's `inspect`)."""

from __future__ import annotations

from typing import Any

from nsecguard import Options
from nsecguard.chat.guard import inspect
from nsecguard_matrix.messages import MAX_TEXT_ATTACHMENT, text_attachment, to_message
from tests.nsecguard_matrix.conftest import Planted

OPTIONS = Options()
ROOM = "!room:localhost"


def event(
    content: dict[str, Any], *, type: str = "m.room.message", sender: str = "@alice:localhost", **extra: Any
) -> dict[str, Any]:
    return {
        "type": type,
        "event_id": "$ev",
        "sender": sender,
        "origin_server_ts": 1,
        "content": content,
        **extra,
    }


def leak_of(ev: Any, **kw: Any) -> Any:
    msg = to_message(ROOM, ev, **kw)
    return None if msg is None else inspect(msg, OPTIONS)


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
        event({"question": {"body": "which?"}, "answers": [{"body": key.nsec}]}, type="org.example.poll"),
    ]
    for ev in cases:
        leak = leak_of(ev)
        assert leak is not None, ev["content"]
        assert leak.npubs == [key.npub]
        assert not planted.found_in(leak.safe_text)
        assert not planted.found_in(repr(leak)) and not planted.found_in(leak.describe())
    assert to_message(ROOM, cases[1]).from_bot  # type: ignore[union-attr]


def test_state_events_topic_name_display_name_and_custom_state(planted: Planted) -> None:
    key = planted.new()
    cases = [
        event({"topic": f"our keys: {key.nsec}"}, type="m.room.topic", state_key=""),
        event({"name": key.nsec}, type="m.room.name", state_key=""),
        event(
            {"membership": "join", "displayname": key.nsec},
            type="m.room.member",
            state_key="@alice:localhost",
        ),
        event({"anything": {"deep": [key.nsec]}}, type="org.example.state", state_key="x"),
        event({"ok": 1}, type="org.example.state", state_key=key.nsec),
    ]
    for ev in cases:
        leak = leak_of(ev)
        assert leak is not None and leak.npubs == [key.npub], ev
        assert not planted.found_in(leak.safe_text)
    member = to_message(ROOM, cases[2])
    assert member is not None and member.text.startswith("display name: ")


def test_edit_that_adds_a_key_and_a_key_only_in_the_formatted_body(planted: Planted) -> None:
    key = planted.new()
    edit = {
        "msgtype": "m.text",
        "body": "* fixed",
        "m.new_content": {"msgtype": "m.text", "body": f"k {key.nsec}"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"},
    }
    msg = to_message(ROOM, event(edit))
    assert msg is not None and msg.edit_of == "$orig"
    leak = inspect(msg, OPTIONS)
    assert leak is not None and leak.safe_text == f"k nostr:{key.npub}"
    only_html = event({"msgtype": "m.text", "body": "look", "formatted_body": f"<code>{key.nsec}</code>"})
    leak = leak_of(only_html)
    assert leak is not None and leak.npubs == [key.npub] and leak.safe_text == "look"


def test_text_attachments_are_downloaded_when_small(planted: Planted) -> None:
    key = planted.new()
    txt = {
        "msgtype": "m.file",
        "body": "notes.txt",
        "url": "mxc://hs/abc",
        "info": {"mimetype": "text/plain", "size": 90},
    }
    assert text_attachment(txt) == ("notes.txt", "text/plain", 90, "mxc://hs/abc")
    assert (
        text_attachment({**txt, "info": {"mimetype": "text/plain", "size": MAX_TEXT_ATTACHMENT + 1}}) is None
    )
    assert text_attachment({**txt, "body": "cat.png", "info": {"mimetype": "image/png"}}) is None
    encrypted = {"msgtype": "m.file", "body": "a.md", "file": {"url": "mxc://hs/e", "key": {}}}
    assert text_attachment(encrypted) is not None
    assert leak_of(event(txt)) is None
    leak = leak_of(event(txt), attachment_text=f"backup\nnsec: {key.nsec}\n")
    assert leak is not None and leak.npubs == [key.npub]


def test_clean_malformed_and_skipped_events_give_none() -> None:
    assert leak_of(event({"msgtype": "m.text", "body": "hello"})) is None
    for bad in [
        {},
        {"type": "m.room.message"},
        {"type": "m.room.message", "content": []},
        event({"ciphertext": "x"}, type="m.room.encrypted"),
        event({}, type="m.room.redaction"),
        "junk",
        None,
    ]:
        assert to_message(ROOM, bad) is None  # type: ignore[arg-type]
    assert leak_of(event({"body": 5})) is None
