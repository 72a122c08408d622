"""The plugin classes in-process: the context-lines path detect-secrets uses for diffs,
`scan --string` and rewritten (YAML) lines, where the whole file cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import new_key
from detect_secrets.util.code_snippet import get_code_snippet

from nsecguard_detect_secrets import NostrHexKeyDetector, NostrNsecDetector
from nsecguard_detect_secrets.detectors import portable_path, secrets_on_line


def _analyze(plugin: object, lines: list[str], number: int) -> set[str]:
    snippet = get_code_snippet(lines=[line + "\n" for line in lines], line_number=number)
    found = plugin.analyze_line(  # type: ignore[attr-defined]
        filename="no/such/file.txt", line=lines[number - 1], line_number=number, context=snippet
    )
    return {s.secret_value for s in found}


def test_hex_key_named_on_the_line_before_within_the_context() -> None:
    key = new_key()
    lines = ["intro", "nostr private key:", key.hex, "end"]
    assert _analyze(NostrHexKeyDetector(), lines, 3) == {key.hex}
    assert _analyze(NostrHexKeyDetector(), lines, 2) == set()  # only the target line reports
    assert _analyze(NostrNsecDetector(), lines, 3) == set()  # one kind per plugin


def test_hex_key_proven_by_its_pubkey_in_the_context() -> None:
    key = new_key()
    lines = [f"author {key.npub}", "", key.hex]
    assert _analyze(NostrHexKeyDetector(), lines, 3) == {key.hex}
    far = [f"author {key.npub}"] + ["x"] * 8 + [key.hex]  # beyond the five context lines
    assert _analyze(NostrHexKeyDetector(), far, 10) == set()


def test_bare_hex_and_string_scan() -> None:
    key = new_key()
    assert _analyze(NostrHexKeyDetector(), [key.hex], 1) == set()  # a hash, as far as anyone knows
    assert list(NostrNsecDetector().analyze_string(f"x {key.nsec} y")) == [key.nsec]


def test_whole_file_is_used_when_it_matches(tmp_path: Path) -> None:
    key = new_key()
    path = tmp_path / "f.txt"
    path.write_text(f"owner {key.npub}\n" + "filler\n" * 20 + f"{key.hex}\n")
    found = secrets_on_line(str(path), key.hex, 22)
    assert [(s.finding.kind.value, s.raw == key.hex) for s in found] == [("hex-key", True)]
    assert secrets_on_line(str(path), "something else", 22) == []  # line differs: context only


def test_portable_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert portable_path(f"file://{tmp_path}/tools/p.py") == "file://tools/p.py"
    assert portable_path("file:///elsewhere/p.py") is None  # outside the repository: left absolute
    assert portable_path("file://tools/p.py") is None  # already relative: left as it is
    assert portable_path(None) is None
