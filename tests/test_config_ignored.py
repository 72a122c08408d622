"""Configuration keys added for ignore files: `scan-ignored` and `fail-on-ignored`."""

from __future__ import annotations

import pytest

from nsecguard.config import Config, parse
from nsecguard.errors import FatalError


def test_defaults_scan_the_default_names_and_fail_on_them() -> None:
    cfg = Config()
    assert cfg.scan_ignored is None and cfg.fail_on_ignored is True


def test_scan_ignored_and_fail_on_ignored_are_read() -> None:
    cfg = parse({"scan-ignored": [".env", "*.key"], "fail_on_ignored": False}, "x.toml")
    assert cfg.scan_ignored == (".env", "*.key") and cfg.fail_on_ignored is False
    assert parse({"scan-ignored": []}, "x.toml").scan_ignored == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"scan-ignored": 3}, "`scan-ignored` must be a list of strings"),
        ({"fail-on-ignored": "no"}, "`fail-on-ignored` must be true or false"),
        ({"scan-ignore": []}, "did you mean `scan-ignored`?"),
    ],
)
def test_bad_values_are_clear_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(FatalError, match=message.replace("?", r"\?")):
        parse(table, "x.toml")
