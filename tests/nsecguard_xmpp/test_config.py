"""The XMPP bot's config: every error names the key and never shows the password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nsecguard.errors import FatalError

pytest.importorskip("slixmpp")

from nsecguard_xmpp.config import load, parse


def base(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    (tmp_path / "pw").write_text("s3cret-pass\n")
    return {"jid": "guard@example.org", "password_file": "pw", "state_dir": "state", **extra}


def test_a_minimal_config(tmp_path: Path) -> None:
    cfg = parse(base(tmp_path, rooms=["nostr@conference.example.org"]), base=tmp_path)
    assert cfg.password == "s3cret-pass" and cfg.state_dir == tmp_path / "state"
    assert cfg.rooms == ("nostr@conference.example.org",) and cfg.tls == "starttls"
    assert "s3cret" not in repr(cfg)


def test_the_password_from_the_environment(tmp_path: Path) -> None:
    data = {"jid": "guard@example.org", "password_env": "PW", "state_dir": str(tmp_path)}
    assert parse(data, env={"PW": "from-env"}).password == "from-env"
    with pytest.raises(FatalError, match="`password_env` names PW, which is not set"):
        parse(data, env={})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"jid": "no-at-sign"}, "`jid` must be a bare JID"),
        ({"rooms": ["#matrix:room"]}, "`rooms` must be a list of room JIDs"),
        ({"tls": "none"}, '`tls` = "none" is only for a server on this machine'),
        ({"tls": "maybe"}, "`tls` must be one of"),
        ({"host": "127.0.0.1"}, "`host` and `port` go together"),
        ({"port": 99999, "host": "x"}, "`port` must be a port number"),
        ({"min_confidence": "huge"}, "min_confidence"),
        ({"history": -1}, "`history` must be"),
        ({"passwrd": "x"}, "`passwrd` is not a known key"),
        ({"password_env": "X"}, "exactly one of them"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(FatalError, match=message.replace("(", r"\(")) as err:
        parse(base(tmp_path, **extra), base=tmp_path, env={"X": "s3cret-pass"})
    assert "s3cret" not in str(err.value)


def test_a_config_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text("jid = [unclosed")
    with pytest.raises(FatalError, match="is not valid TOML"):
        load(path)


def test_the_command_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "bot.toml"
    path.write_text('jid = "guard@example.org"\n')
    cp = subprocess.run(
        [sys.executable, "-m", "nsecguard", "xmpp-bot", "--config", str(path)], capture_output=True, text=True
    )
    assert cp.returncode == 2, cp.stderr
    assert "xmpp-bot config: `password_file` or `password_env` is required" in cp.stderr
    assert "Traceback" not in cp.stderr


def test_attachments_come_only_from_the_bots_domain_or_listed_hosts() -> None:
    from nsecguard_xmpp.attachments import allowed

    none: frozenset[str] = frozenset()
    assert allowed("https://upload.example.org/a/notes.txt", "example.org", none)
    assert allowed("https://example.org/notes.txt", "example.org", none)
    assert not allowed("https://evil.example.com/notes.txt", "example.org", none)
    assert not allowed("https://notexample.org/notes.txt", "example.org", none)
    assert not allowed("http://upload.example.org/notes.txt", "example.org", none)  # not in the clear
    assert not allowed("file:///etc/passwd", "example.org", none)
    assert allowed("https://files.other.net/x.txt", "example.org", frozenset({"files.other.net"}))
    assert allowed("http://127.0.0.1:8080/x.txt", "localhost", frozenset({"127.0.0.1"}))
