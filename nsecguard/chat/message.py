"""What the guard reads: one chat message, in a form every platform can fill in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message. `text`: the downloaded content of a small text file,
    filled in by the adapter (None when not downloaded)."""

    name: str
    mimetype: str | None = None
    size: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class Message:
    """One message (or state change) on a chat platform.

    `other_texts`: captions, poll answers, file names, and for state-like events the topic,
    name or display name. `direct`: a 1:1 chat with the bot. `from_bot`: another bot's notice
    (remove it, but start no conversation)."""

    platform: str
    room: str
    sender: str
    id: str
    text: str
    formatted: str | None = None
    reply_to: str | None = None
    edit_of: str | None = None
    thread: str | None = None
    attachments: tuple[Attachment, ...] = ()
    other_texts: tuple[str, ...] = ()
    direct: bool = False
    from_bot: bool = False
    ts_ms: int = 0
