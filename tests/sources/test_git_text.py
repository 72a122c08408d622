"""The git source on text git calls binary (UTF-16, UTF-32) and on commit and tag messages
(issue 14), with real repositories and generated keys."""

from __future__ import annotations

import pytest

from nsecguard.engine import Options
from nsecguard.sources import git
from nsecguard.textio import sniff
from tests.conftest import Repo, new_key

OPTIONS = Options()


def _history(repo: Repo, *revs: str) -> git.ScanResult:
    return git.scan_history(git.open_repo(str(repo.path)), OPTIONS, revs or ("--all",))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-16"])
def test_history_decodes_utf16_and_utf32(repo: Repo, encoding: str) -> None:
    key, later = new_key(), new_key()
    text = f"# 設定ファイル\r\nname = bot\r\nNOSTR_SECRET_KEY={key.hex}\r\n"
    repo.commit_file("settings.ini", text.encode(encoding), "add settings")  # type: ignore[arg-type]
    repo.commit_file("settings.ini", (text + "relay = wss://r.example\r\n").encode(encoding), "relay")  # type: ignore[arg-type]
    repo.commit_file("settings.ini", (text + f"BACKUP_NSEC={later.nsec}\r\n").encode(encoding), "more")  # type: ignore[arg-type]
    result = _history(repo)
    found = sorted((f.npub, f.line) for f in result.findings)
    assert found == sorted([(key.npub, 3), (later.npub, 4)])
    assert any("decoded from" in note for note in result.notes)
    first = next(f for f in result.findings if f.npub == key.npub)
    assert dict(first.extra)["commits"] == "1"  # kept in later commits, added once


def test_staged_decodes_utf16(repo: Repo) -> None:
    key = new_key()
    repo.write("win.txt", f"sk: {key.nsec}\r\n".encode("utf-16-le"))
    repo.add("win.txt")
    result = git.scan_staged(git.open_repo(str(repo.path)), OPTIONS)
    assert [f.npub for f in result.findings] == [key.npub]


def test_real_binaries_stay_skipped(repo: Repo) -> None:
    key = new_key()
    blob = b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 8 + key.nsec.encode()
    repo.commit_file("logo.png", blob, "logo")  # type: ignore[arg-type]
    result = _history(repo)
    assert result.findings == []
    assert any("logo.png" in n and "binary, skipped" in n for n in result.notes)


def test_keys_in_commit_messages_are_found_once(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("a.txt", "one\n", f"deploy with {key.nsec}")
    repo.commit_file("a.txt", "two\n", f"revert: deploy with {key.nsec}")
    repo.commit_file("a.txt", "three\n", "clean commit")
    result = _history(repo)
    (f,) = result.findings
    assert (f.path, f.npub) == (git.COMMIT_MESSAGE, key.npub)
    extra = dict(f.extra)
    assert extra["commits"] == "2" and extra["commit"] == repo.git("rev-list", "--max-parents=0", "HEAD")


def test_keys_in_annotated_tag_messages(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("a.txt", "one\n", "first")
    repo.git("tag", "-a", "v1", "-m", f"release v1\n\ndeploy with NOSTR_SK={key.hex}")
    result = _history(repo)
    (f,) = result.findings
    assert (f.path, f.npub, dict(f.extra)["tag"]) == (git.TAG_MESSAGE, key.npub, "v1")
    assert _history(repo, "HEAD").findings == []  # a range scans its commits, not the tags


def test_messages_split_across_read_blocks(monkeypatch: pytest.MonkeyPatch, repo: Repo) -> None:
    monkeypatch.setattr(git, "READ_BLOCK", 7)
    keys = [new_key() for _ in range(3)]
    for i, k in enumerate(keys):
        repo.commit_file(f"f{i}.txt", f"{i}\n", f"note {i}: {k.nsec}")
    assert sorted(f.npub for f in _history(repo).findings) == sorted(k.npub for k in keys)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_sniff_knows_bomless_cjk_text(encoding: str) -> None:
    text = ("人工智能是计算机科学的分支，它企图了解智能的实质。2024 年 12 月\n") * 20 + "私钥: nsec1\n"
    assert sniff(text.encode(encoding)) == encoding


def test_sniff_still_knows_binaries() -> None:
    import gzip
    import os

    assert sniff(os.urandom(4096)) is None
    assert sniff(gzip.compress(os.urandom(4000))) is None
    assert sniff(bytes(4096)) is None
    assert sniff(b"\x7fELF\x02\x01\x01" + bytes(9) + bytes(range(256)) * 8) is None
