"""The bot's TOML config: loaded once, validated at start, every error names the key.

    homeserver = "https://matrix.example.org"
    user_id = "@nsecguard:example.org"
    password = "..."                 # or access_token = "..."
    store_path = "/var/lib/nsecguard-matrix"

See docs/matrix.md for every key. Secrets in the config (password, token) never appear in
an error message.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsecguard.chat.settings import Reader
from nsecguard.errors import FatalError
from nsecguard.model import Confidence

DEFAULT_DEVICE_NAME = "nsecguard"
_USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
_ROOM = re.compile(r"^[!#][^:\s]+:[^\s]+$")


@dataclass(frozen=True)
class Config:
    homeserver: str
    user_id: str
    store_path: Path
    password: str | None = None
    access_token: str | None = None
    device_name: str = DEFAULT_DEVICE_NAME
    rooms: tuple[str, ...] = ()  # allowlist of room ids or aliases; empty: every joined room
    auto_join: bool = True
    direct_messages: bool = True
    warning_text: str | None = None  # replaces the default advice in the warning DM
    min_confidence: Confidence = Confidence.MEDIUM
    encryption: bool = True

    def __repr__(self) -> str:  # never show the password or token
        return f"Config(homeserver={self.homeserver!r}, user_id={self.user_id!r}, store={self.store_path!r})"


_KEYS = {
    "homeserver",
    "user_id",
    "password",
    "access_token",
    "store_path",
    "device_name",
    "rooms",
    "auto_join",
    "direct_messages",
    "warning_text",
    "min_confidence",
    "encryption",
}


_READER = Reader("matrix-bot")
_err, _string, _bool = _READER.err, _READER.string, _READER.boolean


def parse(data: dict[str, Any], *, base: Path | None = None) -> Config:
    """A validated Config from the TOML table (`base`: where relative paths start)."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _err(unknown[0], f"is not a known key (known: {', '.join(sorted(_KEYS))})")
    homeserver = _string(data, "homeserver", required=True)
    assert homeserver is not None
    if not homeserver.startswith(("http://", "https://")):
        raise _err("homeserver", "must be a URL starting with https:// (or http:// for a local server)")
    user_id = _string(data, "user_id", required=True)
    assert user_id is not None
    if not _USER_ID.match(user_id):
        raise _err("user_id", "must be a full Matrix ID such as @nsecguard:example.org")
    password = _string(data, "password")
    access_token = _string(data, "access_token")
    if password is None and access_token is None:
        raise _err("password", "or `access_token` is required")
    store_path = _READER.directory(data, "store_path", base)
    rooms = data.get("rooms", [])
    if not isinstance(rooms, list) or not all(isinstance(r, str) and _ROOM.match(r) for r in rooms):
        raise _err("rooms", "must be a list of room ids (!id:server) or aliases (#name:server)")
    warning_text = _string(data, "warning_text")
    min_confidence = _READER.confidence(data)
    device_name = _string(data, "device_name") or DEFAULT_DEVICE_NAME
    return Config(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        store_path=store_path,
        password=password,
        access_token=access_token,
        device_name=device_name,
        rooms=tuple(rooms),
        auto_join=_bool(data, "auto_join", True),
        direct_messages=_bool(data, "direct_messages", True),
        warning_text=warning_text,
        min_confidence=min_confidence,
        encryption=_bool(data, "encryption", True),
    )


def load(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FatalError(f"matrix-bot config: cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # the TOML error names a line and column, never the value
        raise FatalError(f"matrix-bot config: {path} is not valid TOML: {exc}") from None
    return parse(data, base=path.parent)
