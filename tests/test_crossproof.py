"""Proof across files: a hex value whose public key is written in another file of the same scan
is proven, in a tree, in staged changes, in history and in what a push sends (real files, real
git repositories, keys generated here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nsecguard import crossproof, keys
from nsecguard.engine import Options
from nsecguard.paths import WalkRules
from nsecguard.result import ScanResult
from nsecguard.sources.files import scan_paths
from tests.conftest import Repo, assert_no_secret, new_key, run_cli
from tests.sources.test_pre_receive import Server, push, server, work

__all__ = ["server", "work"]  # fixtures for the pre-receive test

DEFAULT = Options()


def findings(out: str) -> list[dict[str, Any]]:
    return list(json.loads(out)["findings"])


def scan_json(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run_cli("scan", "--format", "json", *args, cwd=cwd, env=env)
    assert code in (0, 1), err
    return code, findings(out), out + err


def tree_scan(root: Path, options: Options = DEFAULT, jobs: int = 1) -> ScanResult:
    """What `nsecguard scan` does with a tree, in this process (to count derivations)."""
    crossproof.start()
    try:
        result = scan_paths([str(root)], options, jobs=jobs, rules=WalkRules())
    finally:
        crossproof.stop()
    crossproof.prove(result, crossproof.rescan_file(options))
    return result


# -- a directory tree --------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["hex", "npub", "nprofile-less npub in prose"])
def test_an_unnamed_value_is_proven_by_its_public_key_in_another_file(tmp_path: Path, spelling: str) -> None:
    k = new_key()
    (tmp_path / "sign_test.go").write_text(f'func TestSign(t *testing.T) {{\n\tcheck(t, "{k.hex}")\n}}\n')
    named = {
        "hex": f'{{"pubkey": "{k.pubhex}"}}\n',
        "npub": f"expected = {k.npub}\n",
        "nprofile-less npub in prose": f"The fixture belongs to {k.npub}.\n",
    }[spelling]
    (tmp_path / "expected.json").write_text(named)
    assert run_cli("scan", "--format", "json", "sign_test.go", cwd=tmp_path)[0] == 0  # alone: no proof
    code, found, text = scan_json(tmp_path, ".")
    assert code == 1 and len(found) == 1
    f = found[0]
    assert (f["path"], f["line"], f["confidence"]) == ("sign_test.go", 2, "certain")
    assert f["reason"] == "its public key appears in expected.json"
    assert f["npub"] == k.npub and f["fingerprint"] == k.fingerprint
    assert_no_secret(text, k)


def test_a_weak_finding_is_raised_not_doubled(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "a.py").write_text(f'secret = "{k.hex}"\n')  # a generic name: low
    (tmp_path / "b.txt").write_text(f"{k.npub}\n")
    _, before, _ = scan_json(tmp_path, "--min-confidence", "low", "a.py")
    assert [f["confidence"] for f in before] == ["low"]
    _, found, _ = scan_json(tmp_path, "--min-confidence", "low", ".")
    assert [(f["path"], f["confidence"]) for f in found] == [("a.py", "certain")]


def test_many_processes_share_their_clues(tmp_path: Path) -> None:
    k = new_key()
    for i in range(300):  # enough files for the parallel walk
        (tmp_path / f"d{i % 7}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 7}" / f"f{i}.txt").write_text(f"nothing here {i}\n")
    (tmp_path / "d1" / "vector.rs").write_text(f'let v = "{k.hex}";\n')
    (tmp_path / "d5" / "vector.json").write_text(f'{{"pk": "{k.pubhex}"}}\n')
    code, found, text = scan_json(tmp_path, "-j", "2", ".")
    assert code == 1 and [(f["path"], f["confidence"]) for f in found] == [("d1/vector.rs", "certain")]
    assert found[0]["reason"] == "its public key appears in d5/vector.json"
    assert_no_secret(text, k)


def test_a_value_named_as_a_hash_stays_unreported_where_it_is_so_named(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "SHA256SUMS").write_text(f"sha256: {k.hex}\n")
    (tmp_path / "mixed.txt").write_text(f"sha256: {k.hex}\nvalue {k.hex}\n")
    (tmp_path / "owner.md").write_text(f"{k.npub}\n")
    _, found, _ = scan_json(tmp_path, "--min-confidence", "low", ".")
    # proof goes by value: only the occurrence whose own context allows a key is reported
    assert [(f["path"], f["line"], f["confidence"]) for f in found] == [("mixed.txt", 2, "certain")]


def test_allow_inline_allow_and_baselines_work_on_proven_findings(tmp_path: Path) -> None:
    k, k2 = new_key(), new_key()
    (tmp_path / "a.py").write_text(f'x = "{k.hex}"\ny = "{k2.hex}"  # nsecguard: allow\n')
    (tmp_path / "b.txt").write_text(f"{k.npub} {k2.npub}\n")
    code, found, _ = scan_json(tmp_path, ".")
    assert code == 1 and [f["line"] for f in found] == [1]
    assert run_cli("scan", "--write-baseline", str(tmp_path / "base.json"), ".", cwd=tmp_path)[0] == 0
    assert run_cli("scan", "--baseline", str(tmp_path / "base.json"), ".", cwd=tmp_path)[0] == 0
    (tmp_path / ".nsecguard.toml").write_text(f'allow = ["{k.npub}"]\n')
    assert run_cli("scan", ".", cwd=tmp_path)[0] == 0


def test_one_derivation_per_distinct_candidate_and_none_for_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = "".join(f'"pkg{i}": {{"integrity": "sha256-{new_key().hex}"}},\n' for i in range(3000))
    (tmp_path / "package-lock.json").write_text(lock)
    (tmp_path / "README.md").write_text(f"maintainer {new_key().npub}\n")
    k = new_key()
    calls: list[int] = []
    real = keys.xonly_pubkey

    def counted(value: bytes) -> bytes:
        calls.append(1)
        return real(value)

    monkeypatch.setattr(keys, "xonly_pubkey", counted)
    result = tree_scan(tmp_path)
    assert result.findings == [] and calls == []  # thousands of hashes: no derivation at all
    for i in range(50):  # the same unnamed value in 50 files: derived once
        (tmp_path / f"copy{i}.txt").write_text(f"value {k.hex}\n")
    before = crossproof.derivations
    result = tree_scan(tmp_path)
    assert crossproof.derivations - before <= 1 and len(calls) <= 1
    assert result.findings == []  # and no public key anywhere: nothing proven


def test_clues_keep_only_public_keys_and_hashes(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "a.txt").write_text(f"value {k.hex}\n")
    (tmp_path / "b.txt").write_text(f"other {new_key().hex}\n")
    crossproof.start()
    try:
        result = scan_paths([str(tmp_path)], Options(), jobs=1, rules=WalkRules())
    finally:
        crossproof.stop()
    assert result.clues is not None
    kept = [*result.clues.names, *(p for s in result.clues.wanted.values() for p in s)]
    assert kept and k.secret not in kept and all(len(v) in (16, 32) for v in kept)
    assert {crossproof.tag(k.secret)} <= set(result.clues.names)  # its hash, as a possible public key
    assert k.pubkey in {p for s in result.clues.wanted.values() for p in s}


def test_matches_skip_a_place_that_names_its_own_key() -> None:
    clues = crossproof.Clues()
    pub = new_key().pubkey
    clues.add(crossproof.Place("a"), [crossproof.tag(pub)], [pub])
    assert clues.matches() == {}
    other = crossproof.Clues()
    other.add(crossproof.Place("b"), [crossproof.tag(pub)], [])
    clues.merge(other)
    assert clues.matches() == {crossproof.Place("a"): {pub: "b"}}  # another place names it too


# -- git ---------------------------------------------------------------------------------------


def test_staged_files_prove_each_other(repo: Repo) -> None:
    k = new_key()
    repo.write("test/sign.py", f'assert sign(msg, "{k.hex}") == sig\n')
    repo.write("test/fixture.json", f'{{"pubkey": "{k.pubhex}"}}\n')
    repo.add("test")
    code, found, text = scan_json(repo.path, "--staged")
    assert code == 1 and [(f["path"], f["line"], f["confidence"]) for f in found] == [
        ("test/sign.py", 1, "certain")
    ]
    assert found[0]["reason"] == "its public key appears in test/fixture.json"
    assert_no_secret(text, k)


def test_history_proves_a_key_by_a_public_key_a_later_commit_adds(repo: Repo) -> None:
    k = new_key()
    first = repo.commit_file("vectors.txt", f"value {k.hex}\n", "add a vector")
    repo.commit_file("README.md", "docs\n", "docs")
    later = repo.commit_file("expected.md", f"owner {k.npub}\n", "add the owner")
    code, found, text = scan_json(repo.path, "--history")
    assert code == 1 and len(found) == 1
    f = found[0]
    assert (f["path"], f["line"], f["confidence"], f["commit"]) == ("vectors.txt", 1, "certain", first)
    assert f["reason"] == f"its public key appears in expected.md (commit {later[:12]})"
    assert_no_secret(text, k)


def test_history_proves_across_commits_of_the_same_file(repo: Repo) -> None:
    k = new_key()
    first = repo.commit_file("keys.txt", f"value {k.hex}\n", "a")
    repo.commit_file("keys.txt", f"value {k.hex}\nfor {k.npub}\n", "b")
    _, found, _ = scan_json(repo.path, "--history")
    assert [(f["path"], f["confidence"], f["commit"]) for f in found] == [("keys.txt", "certain", first)]


def test_pre_push_proves_within_the_pushed_commits(repo: Repo) -> None:
    k = new_key()
    base = repo.commit_file("README.md", "hello\n")
    repo.commit_file("src/test_keys.go", f'check(t, "{k.hex}")\n')
    tip = repo.commit_file("src/want.json", f'{{"want": "{k.pubhex}"}}\n')
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    code, found, text = scan_json(repo.path, "--pre-push", env=env)
    assert code == 1 and [(f["path"], f["confidence"]) for f in found] == [("src/test_keys.go", "certain")]
    assert_no_secret(text, k)


def test_a_proven_finding_in_an_ignored_file_stays_marked_ignored(repo: Repo) -> None:
    k = new_key()
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"VALUE={k.hex}\n")
    repo.write("README.md", f"bot: {k.npub}\n")
    code, found, text = scan_json(repo.path, ".")
    assert code == 1 and [(f["path"], f["confidence"]) for f in found] == [(".env", "certain")]
    assert found[0]["ignored"] == "ignored by git: not committed"
    assert_no_secret(text, k)


def test_staged_proof_reports_only_what_the_index_adds(repo: Repo) -> None:
    k = new_key()
    repo.commit_file("old.txt", f"value {k.hex}\n")
    repo.write("old.txt", f"value {k.hex}\nmore text\n")
    repo.write("owner.md", f"{k.npub}\n")
    repo.add("old.txt", "owner.md")
    code, found, _ = scan_json(repo.path, "--staged")
    assert code == 0 and found == []  # the key was committed before: not on an added line


def test_pre_commit_proves_files_it_scans_whole(repo: Repo) -> None:
    k = new_key()
    repo.commit_file("a.txt", "start\n")
    repo.write("a.txt", f"value {k.hex}\n")
    repo.write("b.json", f'{{"pubkey": "{k.pubhex}"}}\n')
    code, found, text = scan_json(repo.path, "--pre-commit", "a.txt", "b.json")
    assert code == 1 and [(f["path"], f["confidence"]) for f in found] == [("a.txt", "certain")]
    assert found[0]["reason"] == "its public key appears in b.json"
    assert_no_secret(text, k)


def test_a_lock_file_adds_nothing_to_the_clues(tmp_path: Path) -> None:
    lock = "".join(f"  sha256:{new_key().hex}\n" for _ in range(10_000))
    (tmp_path / "deps.lock").write_text(f"checksums:\n{lock}")
    (tmp_path / "owner.md").write_text(f"{new_key().npub}\n")
    crossproof.start()
    try:
        result = scan_paths([str(tmp_path)], DEFAULT, jobs=1, rules=WalkRules())
    finally:
        crossproof.stop()
    assert result.clues is not None and len(result.clues.names) == 1 and result.clues.wanted == {}


def test_without_hyperscan_npubs_are_names_too(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "a.txt").write_text(f"value {k.hex}\n")
    (tmp_path / "b.txt").write_text(f"{k.npub}\n")
    code, found, _ = scan_json(tmp_path, ".", env={"NSECGUARD_NO_HYPERSCAN": "1"})
    assert code == 1 and [(f["path"], f["confidence"]) for f in found] == [("a.txt", "certain")]


def test_pre_receive_proves_within_the_pushed_commits(server: Server, work: Repo) -> None:
    k = new_key()
    sha = work.commit_file("vectors/sk.txt", f"value {k.hex}\n", "a vector")
    work.commit_file("vectors/pk.json", f'{{"pubkey": "{k.pubhex}"}}\n', "its public key")
    result = push(work, "main")
    assert result.code != 0 and "pre-receive hook declined" in result.output
    assert "remote: vectors/sk.txt:1:" in result.output and f"commit {sha[:12]}" in result.output
    assert k.npub in result.output
    assert_no_secret(result.output, k)


def test_a_key_in_the_other_file_s_name_does_not_reach_the_reason(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "a.txt").write_text(f"value {k.hex}\n")
    (tmp_path / f"{k.hex}.txt").write_text(f"{k.npub}\n")
    for fmt in ("json", "text", "sarif"):
        code, out, err = run_cli("scan", "--format", fmt, ".", cwd=tmp_path)
        assert code == 1 and "its public key appears in" in out
        assert_no_secret(out + err, k)
