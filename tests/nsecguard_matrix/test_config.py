from __future__ import annotations

from pathlib import Path

import pytest

from nsecguard.errors import FatalError
from nsecguard.model import Confidence
from nsecguard_matrix import config

BASE = {
    "homeserver": "https://matrix.example.org",
    "user_id": "@guard:example.org",
    "password": "hunter2-secret",
    "store_path": "/var/lib/guard",
}


def test_minimal_config_and_defaults() -> None:
    cfg = config.parse(dict(BASE))
    assert cfg.auto_join and cfg.direct_messages and cfg.encryption
    assert cfg.rooms == () and cfg.min_confidence is Confidence.MEDIUM
    assert "hunter2" not in repr(cfg)


def test_load_from_toml_with_relative_store(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(
        'homeserver = "http://127.0.0.1:8008/"\nuser_id = "@g:localhost"\naccess_token = "tok"\n'
        'store_path = "state"\nrooms = ["!abc:localhost", "#nostr:localhost"]\nauto_join = false\n'
        'direct_messages = false\nwarning_text = "rotate!"\nmin_confidence = "high"\n'
    )
    cfg = config.load(path)
    assert cfg.homeserver == "http://127.0.0.1:8008"
    assert cfg.store_path == tmp_path / "state"
    assert cfg.rooms == ("!abc:localhost", "#nostr:localhost")
    assert not cfg.auto_join and not cfg.direct_messages
    assert cfg.warning_text == "rotate!" and cfg.min_confidence is Confidence.HIGH


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"homeserver": None}, "homeserver"),
        ({"homeserver": "matrix.example.org"}, "homeserver"),
        ({"user_id": "guard"}, "user_id"),
        ({"user_id": 5}, "user_id"),
        ({"password": None}, "password"),
        ({"store_path": None}, "store_path"),
        ({"rooms": "!abc:x"}, "rooms"),
        ({"rooms": ["general"]}, "rooms"),
        ({"auto_join": "yes"}, "auto_join"),
        ({"direct_messages": 1}, "direct_messages"),
        ({"min_confidence": "sure"}, "min_confidence"),
        ({"warning_text": ""}, "warning_text"),
        ({"homesrever": "typo"}, "homesrever"),
    ],
)
def test_errors_name_the_key(change: dict[str, object], key: str) -> None:
    data = dict(BASE)
    for k, v in change.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    with pytest.raises(FatalError) as err:
        config.parse(data)
    assert f"`{key}`" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="cannot read"):
        config.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('password = "hunter2-secret\n')
    with pytest.raises(FatalError, match="not valid TOML") as err:
        config.load(bad)
    assert "hunter2" not in str(err.value)


def test_store_path_must_be_a_directory(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(FatalError, match="`store_path`"):
        config.parse(dict(BASE, store_path=str(file)))
