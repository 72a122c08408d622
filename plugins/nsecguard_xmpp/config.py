"""The XMPP bot's TOML config: loaded once, validated at start, every error names the key.

    jid = "nsecguard@example.org"
    password_file = "/etc/nsecguard/xmpp-password"   # or password_env = "NSECGUARD_XMPP_PASSWORD"
    rooms = ["nostr@conference.example.org"]
    state_dir = "/var/lib/nsecguard-xmpp"

The password is read from a file or an environment variable, never from the command line or
the config itself, and never appears in an error message. See docs/xmpp.md for every key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from nsecguard.chat.settings import Reader
from nsecguard.errors import FatalError
from nsecguard.model import Confidence

TlsMode = Literal["starttls", "direct", "none"]
_JID = re.compile(r"^[^@/\s]+@[^@/\s]+$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class Config:
    jid: str
    password: str = field(repr=False)
    state_dir: Path
    rooms: tuple[str, ...] = ()
    nick: str = "nsecguard"
    host: str | None = None
    port: int | None = None
    tls: TlsMode = "starttls"
    auto_join: bool = True
    direct_messages: bool = True
    warning_text: str | None = None
    min_confidence: Confidence = Confidence.MEDIUM
    follow_up_delay: float = 0.0
    history: int = 20  # messages of room history checked on join (leaks sent while away)
    bots: frozenset[str] = frozenset()  # other bots' JIDs or nicks: removed, no conversation
    attachments: bool = True  # download small text attachments from allowed hosts
    attachment_hosts: frozenset[str] = frozenset()  # besides the bot's domain and its subdomains


_KEYS = {
    "jid",
    "password_file",
    "password_env",
    "state_dir",
    "rooms",
    "nick",
    "host",
    "port",
    "tls",
    "auto_join",
    "direct_messages",
    "warning_text",
    "min_confidence",
    "follow_up_delay",
    "history",
    "bots",
    "attachments",
    "attachment_hosts",
}


_READER = Reader("xmpp-bot")
_err, _string, _bool = _READER.err, _READER.string, _READER.boolean


def _password(data: dict[str, Any], base: Path | None, env: dict[str, str]) -> str:
    file, var = _string(data, "password_file"), _string(data, "password_env")
    if (file is None) == (var is None):
        raise _err("password_file", "or `password_env` is required (exactly one of them)")
    if var is not None:
        value = env.get(var, "")
        if not value.strip():
            raise _err("password_env", f"names {var}, which is not set")
        return value.strip()
    assert file is not None
    path = Path(file).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise _err("password_file", f"cannot be read ({path})") from None
    if not value:
        raise _err("password_file", f"is empty ({path})")
    return value


def parse(data: dict[str, Any], *, base: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """A validated Config from the TOML table (`base`: where relative paths start)."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _err(unknown[0], f"is not a known key (known: {', '.join(sorted(_KEYS))})")
    jid = _string(data, "jid", required=True)
    assert jid is not None
    if not _JID.match(jid):
        raise _err("jid", "must be a bare JID such as nsecguard@example.org")
    password = _password(data, base, dict(os.environ) if env is None else env)
    state_dir = _READER.directory(data, "state_dir", base)
    rooms = data.get("rooms", [])
    if not isinstance(rooms, list) or not all(isinstance(r, str) and _JID.match(r) for r in rooms):
        raise _err("rooms", "must be a list of room JIDs (room@conference.example.org)")
    host = _string(data, "host")
    port = data.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise _err("port", "must be a port number")
    if (host is None) != (port is None):
        raise _err("host", "and `port` go together")
    tls = data.get("tls", "starttls")
    if tls not in ("starttls", "direct", "none"):
        raise _err("tls", "must be one of starttls, direct, none")
    if tls == "none" and host not in _LOOPBACK:
        raise _err("tls", '= "none" is only for a server on this machine (host = "127.0.0.1")')
    min_confidence = _READER.confidence(data)
    delay = data.get("follow_up_delay", 0.0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 60:
        raise _err("follow_up_delay", "must be a number of seconds from 0 to 60")
    history = data.get("history", 20)
    if not isinstance(history, int) or isinstance(history, bool) or not 0 <= history <= 1000:
        raise _err("history", "must be a number of messages from 0 to 1000")
    bots = data.get("bots", [])
    if not isinstance(bots, list) or not all(isinstance(b, str) and b.strip() for b in bots):
        raise _err("bots", "must be a list of JIDs or nicks")
    hosts = data.get("attachment_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise _err("attachment_hosts", "must be a list of host names")
    return Config(
        jid=jid,
        password=password,
        state_dir=state_dir,
        rooms=tuple(rooms),
        nick=_string(data, "nick") or "nsecguard",
        host=host,
        port=port,
        tls=cast(TlsMode, tls),
        auto_join=_bool(data, "auto_join", True),
        direct_messages=_bool(data, "direct_messages", True),
        warning_text=_string(data, "warning_text"),
        min_confidence=min_confidence,
        follow_up_delay=float(delay),
        history=history,
        bots=frozenset(b.strip() for b in bots),
        attachments=_bool(data, "attachments", True),
        attachment_hosts=frozenset(h.strip().lower() for h in hosts),
    )


def load(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FatalError(f"xmpp-bot config: cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FatalError(f"xmpp-bot config: {path} is not valid TOML: {exc}") from None
    return parse(data, base=path.parent)
