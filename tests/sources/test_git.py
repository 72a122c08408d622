"""The git source, on real repositories: staged changes and history as added-line units."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from nsecguard.engine import Options
from nsecguard.errors import FatalError
from nsecguard.model import Confidence, Kind
from nsecguard.sources import git
from tests.conftest import Repo, assert_no_secret, new_key

OPTIONS = Options()


def staged(repo: Repo, **kwargs: object) -> git.ScanResult:
    return git.scan_staged(git.open_repo(str(repo.path)), OPTIONS, **kwargs)  # type: ignore[arg-type]


def history(repo: Repo | Path, revs: tuple[str, ...] = ("--all",)) -> git.ScanResult:
    path = repo.path if isinstance(repo, Repo) else repo
    return git.scan_history(git.open_repo(str(path)), OPTIONS, revs)


# -- parsing -----------------------------------------------------------------------------------


def test_unquote_handles_c_escapes_and_octal_bytes() -> None:
    assert git._unquote(b'"a\\tb\\"c\\\\d"') == b'a\tb"c\\d'
    assert git._unquote(b'"\\303\\251t\\303\\251"') == "été".encode()
    assert git._unquote(b"plain") == b"plain"


def test_records_cut_at_every_boundary_whatever_the_block_size() -> None:
    stream = (
        b"\x01sha1\x00A\x00a@x\x002024-01-01T00:00:00+00:00\n\n"
        b"diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n"
        b"@@ -1 +1,2 @@\n-x\n+y\n+diff --git not a header\n"
        b"\x01sha2\x00B\x00b@x\x002024-01-02T00:00:00+00:00\n\n"
        b"diff --git a/g b/g\nnew file mode 100644\n--- /dev/null\n+++ b/g\n@@ -0,0 +1 @@\n+z"
    )
    expected = list(git.records(io.BytesIO(stream), block=1 << 20))
    assert [r[:7] for r in expected] == [b"\x01sha1\x00A", b"diff --", b"\x01sha2\x00B", b"diff --"]
    for block in (1, 2, 3, 7, 16, 64):
        assert list(git.records(io.BytesIO(stream), block=block)) == expected


def test_added_lines_of_plain_and_combined_hunks() -> None:
    plain = git.parse_file(
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -2,0 +3,2 @@\n+one\n+two\n@@ -9 +10 @@\n-old\n+new\n"
    )
    assert git.added_lines(plain) == ([3, 4, 10], [b"one", b"two", b"new"])
    merge = git.parse_file(
        b"diff --cc f\nindex a,b..c\n--- a/f\n+++ b/f\n"
        b"@@@ -2,1 -2,1 +2,2 @@@\n- BB\n -B\n++RESOLVED\n +fromB\n"
    )
    assert git.added_lines(merge) == ([2], [b"RESOLVED"])  # `+fromB` is in a parent already


def test_paths_with_spaces_quotes_and_renames() -> None:
    spaced = git.parse_file(
        b"diff --git a/a b.txt b/a b.txt\n--- a/a b.txt\t\n+++ b/a b.txt\t\n@@ -0,0 +1 @@\n+x\n"
    )
    assert spaced.path == "a b.txt"
    quoted = git.parse_file(
        b'diff --git "a/t\\tb" "b/t\\tb"\n--- "a/t\\tb"\n+++ "b/t\\tb"\n@@ -0,0 +1 @@\n+x\n'
    )
    assert quoted.path == "t\tb"
    binary = git.parse_file(
        b"diff --git a/img.png b/img.png\nindex 0000..1111 100644\n"
        b"Binary files a/img.png and b/img.png differ\n"
    )
    assert binary.binary and binary.path == "img.png" and binary.hunks_at == -1


# -- staged ------------------------------------------------------------------------------------


def test_staged_reports_only_added_lines(repo: Repo) -> None:
    old, new = new_key(), new_key()
    repo.commit_file("config.py", f"OLD = '{old.nsec}'\n", "known key")
    repo.write("config.py", f"OLD = '{old.nsec}'\nNEW = '{new.nsec}'\nx = 1\n")
    repo.add("config.py")
    result = staged(repo)
    assert [(f.path, f.line, f.npub) for f in result.findings] == [("config.py", 2, new.npub)]


def test_staged_index_not_work_tree(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("a.txt", "hello\n")
    repo.write("a.txt", f"hello\n{key.nsec}\n")  # in the work tree only, never staged
    assert staged(repo).findings == []
    repo.add("a.txt")
    repo.write("a.txt", "hello\n")  # staged, then removed from the work tree: still in the index
    assert [f.npub for f in staged(repo).findings] == [key.npub]


def test_staged_hex_key_is_proven_by_its_pubkey_elsewhere_in_the_file(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("fixture.json", f'{{\n  "pubkey": "{key.pubkey.hex()}",\n  "note": "x"\n}}\n')
    repo.write(
        "fixture.json",
        f'{{\n  "pubkey": "{key.pubkey.hex()}",\n  "note": "x",\n  "blob": "{key.hex}"\n}}\n',
    )
    repo.add("fixture.json")
    findings = staged(repo).findings
    assert [(f.kind, f.confidence, f.line) for f in findings] == [(Kind.HEX, Confidence.CERTAIN, 4)]


def test_staged_in_an_empty_repository(repo: Repo) -> None:
    key = new_key()
    assert staged(repo).findings == []
    repo.write("k.env", f"NOSTR_NSEC={key.nsec}\n")
    repo.add("k.env")
    assert [f.line for f in staged(repo).findings] == [1]


def test_staged_rename_is_not_a_new_leak_but_an_edit_is(repo: Repo) -> None:
    key, other = new_key(), new_key()
    repo.commit_file("old.txt", f"line\n{key.nsec}\n" + "filler\n" * 20)
    repo.git("mv", "old.txt", "new.txt")
    assert staged(repo).findings == []
    repo.write("new.txt", f"line\n{key.nsec}\n" + "filler\n" * 20 + f"{other.nsec}\n")
    repo.add("new.txt")
    assert [(f.path, f.npub) for f in staged(repo).findings] == [("new.txt", other.npub)]


def test_staged_non_utf8_path(repo: Repo) -> None:
    key = new_key()
    repo.write(b"caf\xe9.txt", f"{key.nsec}\n")
    repo.add(b"caf\xe9.txt")
    [finding] = staged(repo).findings
    assert finding.path == "caf\\xe9.txt"


def test_staged_binary_and_submodule_are_skipped_and_said(repo: Repo) -> None:
    key = new_key()
    repo.write("blob.bin", b"\x00\x01" + key.nsec.encode() + b"\x00")
    repo.add("blob.bin")
    sha = "1" * 40  # a gitlink needs no object
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},vendor/sub")
    result = staged(repo)
    assert result.findings == []
    assert any("blob.bin: binary, skipped" in n for n in result.notes)
    assert any("vendor/sub: submodule, skipped" in n for n in result.notes)


def test_staged_limited_to_paths_and_whole_file_when_nothing_staged(repo: Repo) -> None:
    a, b = new_key(), new_key()
    repo.commit_file("committed.txt", f"{a.nsec}\n")
    repo.write("staged.txt", f"{b.nsec}\n")
    repo.add("staged.txt")
    assert staged(repo, paths=["committed.txt"]).findings == []
    both = staged(repo, paths=["committed.txt", "staged.txt"], whole_if_unstaged=True)
    assert sorted(f.npub or "" for f in both.findings) == sorted([a.npub, b.npub])


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="not a git repository"):
        git.open_repo(str(tmp_path))


# -- history -----------------------------------------------------------------------------------


def test_history_reports_a_deleted_key_once_at_the_commit_that_introduced_it(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("README", "hello\n", "start", date="2024-01-01T00:00:00Z")
    first = repo.commit_file("bot.py", f"NSEC = '{key.nsec}'\n", "add bot", date="2024-01-02T00:00:00Z")
    repo.commit_file("bot.py", "NSEC = os.environ['NSEC']\n", "remove key", date="2024-01-03T00:00:00Z")
    repo.commit_file("bot.py", f"NSEC = '{key.nsec}'  # again\n", "oops", date="2024-01-04T00:00:00Z")
    result = history(repo)
    [finding] = result.findings
    extra = dict(finding.extra)
    assert extra["commit"] == first and extra["commits"] == "2"
    assert extra["author"] == "Test Author" and extra["date"].startswith("2024-01-02")
    assert (finding.path, finding.line, finding.npub) == ("bot.py", 1, key.npub)
    assert result.commits == 4
    assert_no_secret(repr(result), key)


def test_history_same_key_at_two_paths_is_two_findings(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("a.txt", f"{key.nsec}\n")
    repo.commit_file("b.txt", f"{key.nsec}\n")
    assert sorted(f.path for f in history(repo).findings) == ["a.txt", "b.txt"]


def test_history_of_an_empty_repository(repo: Repo) -> None:
    result = history(repo)
    assert result.findings == [] and result.commits == 0
    assert any("empty repository" in n for n in result.notes)


def test_history_range(repo: Repo) -> None:
    old, new = new_key(), new_key()
    base = repo.commit_file("a.txt", f"{old.nsec}\n")
    repo.commit_file("b.txt", f"{new.nsec}\n")
    assert [f.npub for f in history(repo, (f"{base}..HEAD",)).findings] == [new.npub]
    with pytest.raises(FatalError, match="starts with '-'"):
        git.history_revs("--output=/tmp/x")


def test_history_merges_branch_keys_at_the_branch_commit_and_evil_merges_at_the_merge(repo: Repo) -> None:
    branch_key, merge_key = new_key(), new_key()
    repo.commit_file("f.txt", "a\nb\nc\n", date="2024-01-01T00:00:00Z")
    repo.git("checkout", "-q", "-b", "feature")
    on_branch = repo.commit_file("f.txt", f"a\n{branch_key.nsec}\nc\n", date="2024-01-02T00:00:00Z")
    repo.git("checkout", "-q", "main")
    repo.commit_file("g.txt", "other\n", date="2024-01-03T00:00:00Z")
    repo.git("merge", "-q", "--no-commit", "--no-ff", "feature")
    repo.write("f.txt", f"a\n{branch_key.nsec}\nc\nevil {merge_key.nsec}\n")
    repo.add("f.txt")
    merge = repo.commit("merge", date="2024-01-04T00:00:00Z")
    found = {f.npub: dict(f.extra) for f in history(repo).findings}
    assert found[branch_key.npub]["commit"] == on_branch and found[branch_key.npub]["commits"] == "1"
    assert found[merge_key.npub]["commit"] == merge


def test_history_of_a_shallow_clone(repo: Repo, tmp_path: Path) -> None:
    early, late = new_key(), new_key()
    repo.commit_file("old.txt", f"{early.nsec}\n")
    repo.commit_file("new.txt", f"{late.nsec}\n")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    result = history(clone)
    assert sorted(f.npub or "" for f in result.findings) == sorted([early.npub, late.npub])
    assert any("shallow clone" in n for n in result.notes)


def test_history_renames_and_non_utf8_paths(repo: Repo) -> None:
    key = new_key()
    repo.write(b"\xff\xfe.txt", f"{key.nsec}\n" + "pad\n" * 10)
    repo.add(b"\xff\xfe.txt")
    repo.commit()
    repo.git("mv", b"\xff\xfe.txt", "renamed.txt")
    repo.commit()
    [finding] = history(repo).findings
    assert finding.path == "\\xff\\xfe.txt"


def test_history_hex_key_proven_by_the_whole_blob(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("vectors.txt", f"pub {key.pubkey.hex()}\n" + "x\n" * 5)
    repo.commit_file("vectors.txt", f"pub {key.pubkey.hex()}\n" + "x\n" * 5 + f"blob {key.hex}\n")
    [finding] = history(repo).findings
    assert (finding.kind, finding.confidence, finding.line) == (Kind.HEX, Confidence.CERTAIN, 7)


def test_history_many_commits_stream(repo: Repo) -> None:
    key = new_key()
    script = "".join(
        f"commit refs/heads/main\ncommitter T <t@x> {1700000000 + i} +0000\ndata 2\nc\n"
        + f"M 100644 inline f{i % 7}.txt\ndata <<EOF\nline {i}\n"
        + (f"{key.nsec}\n" if i == 150 else "")
        + "EOF\n\n"
        for i in range(300)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo.path, input=script.encode(), check=True)
    result = history(repo)
    assert result.commits == 300
    [finding] = result.findings
    assert finding.npub == key.npub and finding.path == "f3.txt"


# -- one path filter: `exclude` means the same in every source ---------------------------------

EXCLUDE = ("node_modules", "**/fixtures/**", "*.min.js")
EXCLUDED_FILES = ("web/node_modules/dep/index.js", "tests/fixtures/keys.txt", "dist/app.min.js")


def _write_excluded_and_kept(repo: Repo, key_nsec: str) -> None:
    for name in (*EXCLUDED_FILES, "src/app.py"):
        repo.write(name, f"{key_nsec}\n")


def test_staged_exclude_has_directory_scan_semantics(repo: Repo) -> None:
    key = new_key()
    _write_excluded_and_kept(repo, key.nsec)
    repo.add(".")
    result = git.scan_staged(git.open_repo(str(repo.path)), OPTIONS, exclude=EXCLUDE)
    assert [f.path for f in result.findings] == ["src/app.py"]
    assert "web/node_modules/dep/index.js: skipped: config exclude (node_modules)" in result.notes
    assert "tests/fixtures/keys.txt: skipped: config exclude (**/fixtures/**)" in result.notes
    # the pre-commit hook's files passed whole (nothing staged for them) are filtered alike
    repo.commit()
    result = git.scan_staged(
        git.open_repo(str(repo.path)),
        OPTIONS,
        paths=[*EXCLUDED_FILES, "src/app.py"],
        whole_if_unstaged=True,
        exclude=EXCLUDE,
    )
    assert [f.path for f in result.findings] == ["src/app.py"]


def test_history_exclude_has_directory_scan_semantics(repo: Repo) -> None:
    key = new_key()
    _write_excluded_and_kept(repo, key.nsec)
    repo.add(".")
    repo.commit()
    result = git.scan_history(git.open_repo(str(repo.path)), OPTIONS, ["--all"], exclude=EXCLUDE)
    assert [f.path for f in result.findings] == ["src/app.py"]
    assert "dist/app.min.js: skipped: config exclude (*.min.js)" in result.notes


def test_config_exclude_reaches_staged_history_and_pre_push_from_the_cli(repo: Repo) -> None:
    import json

    from tests.conftest import run_cli

    key = new_key()
    repo.write(".nsecguard.toml", 'exclude = ["node_modules", "**/fixtures/**", "*.min.js"]\n')
    base = repo.commit_file("README", "hello\n")
    _write_excluded_and_kept(repo, key.nsec)
    repo.add(".")
    runs = {"staged": run_cli("scan", "--staged", "--format", "json", cwd=repo.path)}
    tip = repo.commit()
    runs["history"] = run_cli("scan", "--history", "--format", "json", cwd=repo.path)
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    runs["pre-push"] = run_cli("scan", "--pre-push", "--format", "json", cwd=repo.path, env=env)
    runs["directory"] = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    for mode, (code, out, err) in runs.items():
        assert code == 1, (mode, err)
        assert [f["path"] for f in json.loads(out)["findings"]] == ["src/app.py"], mode
        assert_no_secret(out + err, key)
