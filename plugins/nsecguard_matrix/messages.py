"""Matrix events as the chat core's `Message`s: every part a reader can see.

Room messages (body, formatted body, captions, file names, edits, poll answers, reactions),
state events (topic, name, display names in `m.room.member`, custom state) and custom event
types: everything with text in it. Small text attachments are downloaded by the bot and
passed in as `Attachment.text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nsecguard.chat.message import Attachment, Message
from nsecguard_matrix.guard import displayed_text, strings_of

SKIPPED_TYPES = frozenset({"m.room.encrypted", "m.room.redaction"})
MAX_TEXT_ATTACHMENT = 1024 * 1024  # bytes: text files up to this size are downloaded and scanned
TEXT_SUFFIXES = (".txt", ".md", ".json", ".env", ".csv", ".log", ".conf", ".toml", ".yaml", ".yml", ".ini")
STATE_LABELS = {
    "m.room.topic": "room topic",
    "m.room.name": "room name",
    "m.room.member": "display name",
    "m.room.canonical_alias": "room alias",
}


def text_attachment(content: Mapping[str, Any]) -> tuple[str, str | None, int | None, Any] | None:
    """(name, mimetype, size, source) of a file worth downloading: text, at most 1 MiB. The
    source is the `url` (mxc) or, in an encrypted room, the `file` object."""
    if content.get("msgtype") not in ("m.file", "m.text", "m.notice", None):
        return None
    source = content.get("url") if isinstance(content.get("url"), str) else content.get("file")
    if source is None or (isinstance(source, Mapping) and not isinstance(source.get("url"), str)):
        return None
    raw_info = content.get("info")
    info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
    mimetype = info.get("mimetype") if isinstance(info.get("mimetype"), str) else None
    size = info.get("size") if isinstance(info.get("size"), int) else None
    name = content.get("filename") if isinstance(content.get("filename"), str) else content.get("body")
    name = name if isinstance(name, str) else ""
    is_text = (mimetype or "").startswith("text/") or mimetype == "application/json"
    if not is_text and not name.lower().endswith(TEXT_SUFFIXES):
        return None
    if size is not None and size > MAX_TEXT_ATTACHMENT:
        return None
    return name, mimetype, size, source


def to_message(
    room_id: str,
    event: Mapping[str, Any],
    *,
    direct: bool = False,
    attachment_text: str | None = None,
) -> Message | None:
    """The `Message` of one event's JSON, or None (malformed, ciphertext, a redaction)."""
    if not isinstance(event, Mapping):
        return None
    event_type, content = event.get("type"), event.get("content")
    event_id, sender = event.get("event_id"), event.get("sender")
    if not isinstance(event_type, str) or event_type in SKIPPED_TYPES:
        return None
    if not isinstance(content, Mapping) or not isinstance(event_id, str) or not isinstance(sender, str):
        return None
    ts = event.get("origin_server_ts")
    ts_ms = ts if isinstance(ts, int) else 0
    if "state_key" in event:
        label = STATE_LABELS.get(event_type, f"state {event_type}")
        values = list(dict.fromkeys(s for s in strings_of(content) if s))
        state_key = event.get("state_key")
        if isinstance(state_key, str) and state_key and event_type != "m.room.member":
            values.append(state_key)
        shown = content.get("displayname") if event_type == "m.room.member" else None
        text = f"{label}: {shown if isinstance(shown, str) else ' / '.join(values[:3])}"
        return Message(
            platform="matrix",
            room=room_id,
            sender=sender,
            id=event_id,
            ts_ms=ts_ms,
            text=text,
            other_texts=tuple(values),
            direct=direct,
        )
    new = content.get("m.new_content")
    shown_content = new if isinstance(new, Mapping) else content
    formatted = shown_content.get("formatted_body")
    relates = content.get("m.relates_to")
    relates = relates if isinstance(relates, Mapping) else {}
    rel_type, target = relates.get("rel_type"), relates.get("event_id")
    reply = relates.get("m.in_reply_to")
    reply_to = reply.get("event_id") if isinstance(reply, Mapping) else None
    msgtype = shown_content.get("msgtype")
    text = displayed_text(content)
    others = tuple(s for s in dict.fromkeys(strings_of(content)) if s not in (text, formatted))
    attachments: tuple[Attachment, ...] = ()
    found = text_attachment(content)
    if found is not None:
        name, mimetype, size, _source = found
        attachments = (Attachment(name=name, mimetype=mimetype, size=size, text=attachment_text),)
    return Message(
        platform="matrix",
        room=room_id,
        sender=sender,
        id=event_id,
        ts_ms=ts_ms,
        text=text,
        formatted=formatted if isinstance(formatted, str) else None,
        reply_to=reply_to if isinstance(reply_to, str) else None,
        edit_of=target if rel_type == "m.replace" and isinstance(target, str) else None,
        thread=target if rel_type == "m.thread" and isinstance(target, str) else None,
        attachments=attachments,
        other_texts=others,
        direct=direct,
        from_bot=msgtype == "m.notice",
    )
