"""`nsecguard scan --staged/--history/--pre-commit/--pre-push` as users and hooks run it."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Repo, assert_no_secret, new_key, run_cli


def test_staged_exit_codes_and_hook_advice(repo: Repo) -> None:
    key = new_key()
    repo.write("a.py", "x = 1\n")
    repo.add("a.py")
    assert run_cli("scan", "--staged", cwd=repo.path)[0] == 0
    repo.write("a.py", f"x = 1\nNOSTR_SECRET_KEY = '{key.hex}'\n")
    repo.add("a.py")
    code, out, err = run_cli("scan", "--staged", cwd=repo.path)
    assert code == 1
    assert f"a.py:2:21: hex-key {key.npub}" in out
    assert "Commit blocked" in out and "rotate" in out and "allow" in out
    assert_no_secret(out + err, key)


def test_history_json_carries_commit_metadata_and_no_key(repo: Repo) -> None:
    key = new_key()
    sha = repo.commit_file("k.txt", f"{key.nsec}\n")
    repo.commit_file("k.txt", "gone\n")
    code, out, err = run_cli("scan", "--history", "--format", "json", cwd=repo.path)
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["commit"] == sha and finding["author"] == "Test Author" and finding["commits"] == "1"
    assert finding["npub"] == key.npub
    assert_no_secret(out + err, key)


def test_not_a_repository_is_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    for mode in (["--staged"], ["--history"]):
        code, _out, err = run_cli("scan", *mode, cwd=tmp_path)
        assert code == 2
        assert "not a git repository" in err and "nsecguard scan PATH" in err


def test_bad_range_is_exit_2(repo: Repo) -> None:
    repo.commit_file("a", "a\n")
    code, _, err = run_cli("scan", "--history", "nosuchbranch..HEAD", cwd=repo.path)
    assert code == 2 and "git log failed" in err


def test_empty_repository(repo: Repo) -> None:
    assert run_cli("scan", "--history", cwd=repo.path)[0] == 0
    assert run_cli("scan", "--staged", cwd=repo.path)[0] == 0


def test_pre_commit_mode_scans_unstaged_named_files_whole(repo: Repo) -> None:
    key = new_key()
    repo.commit_file("old.txt", f"{key.nsec}\n")
    assert run_cli("scan", "--staged", cwd=repo.path)[0] == 0
    code, out, _ = run_cli("scan", "--pre-commit", "old.txt", cwd=repo.path)
    assert code == 1 and key.npub in out


def test_pre_push_from_pre_commit_environment(repo: Repo) -> None:
    key = new_key()
    base = repo.commit_file("a.txt", "a\n")
    tip = repo.commit_file("b.txt", f"{key.nsec}\n")
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    code, out, _ = run_cli("scan", "--pre-push", cwd=repo.path, env=env)
    assert code == 1 and key.npub in out and "Push blocked" in out
    env = {"PRE_COMMIT_FROM_REF": tip, "PRE_COMMIT_TO_REF": tip}
    assert run_cli("scan", "--pre-push", cwd=repo.path, env=env)[0] == 0


def test_pre_push_as_a_plain_git_hook_reads_stdin(repo: Repo) -> None:
    key = new_key()
    base = repo.commit_file("a.txt", "a\n")
    tip = repo.commit_file("b.txt", f"{key.nsec}\n")
    line = f"refs/heads/main {tip} refs/heads/main {base}\n".encode()
    code, out, _ = run_cli("scan", "--pre-push", "origin", "file:///x", cwd=repo.path, stdin=line)
    assert code == 1 and key.npub in out
    deletion = f"(delete) {'0' * 40} refs/heads/old {base}\n".encode()
    assert run_cli("scan", "--pre-push", "origin", "x", cwd=repo.path, stdin=deletion)[0] == 0


def test_progress_only_on_a_terminal(repo: Repo) -> None:
    for i in range(3):
        repo.commit_file("f.txt", f"{i}\n")
    code, out, err = run_cli("scan", "--history", cwd=repo.path)
    assert "scanning history" not in out + err
    # on a terminal (stdout and stderr a pty): the first update is always shown
    main, child = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = subprocess.run(
        [sys.executable, "-m", "nsecguard", "scan", "--history"],
        cwd=repo.path,
        stdout=child,
        stderr=child,
        env=env,
        check=False,
    ).returncode
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert code == 0
    assert b"scanning history: " in b"".join(chunks) and b"/3 commits" in b"".join(chunks)


def test_a_clean_hook_run_imports_only_what_it_needs(repo: Repo) -> None:
    """Every commit pays the hook's start-up: a clean `scan --pre-commit` must not import the
    elliptic-curve library, the entry-point machinery, the plugins, what argparse pulls in
    for help text (shutil, and with it bz2 and lzma), or pathspec without an `exclude` setting."""
    repo.write("a.py", "x = 1\n" * 200)
    repo.add("a.py")
    probe = (
        "import sys\n"
        "from nsecguard.cli import main\n"
        "code = main(['scan', '--pre-commit', 'a.py'])\n"
        "print(code, *sorted(sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, capture_output=True, text=True, check=True
    )
    code, *modules = proc.stdout.split("\n")[-2].split()
    assert code == "0", proc.stdout + proc.stderr
    heavy = {"coincurve", "importlib.metadata", "shutil", "bz2", "lzma", "tempfile", "json"}
    heavy.add("pathspec")  # the path filter's library: loaded only where `exclude` is set
    assert heavy.isdisjoint(modules), heavy.intersection(modules)
    assert not [m for m in modules if m.startswith(("nsecguard_", "detect_secrets", "nio"))]


def test_all_files_with_nothing_staged_does_not_speak_of_staged_changes(repo: Repo) -> None:
    key, staged = new_key(), new_key()
    repo.commit_file("old.txt", f"{key.nsec}\n")
    code, out, _ = run_cli("scan", "--pre-commit", "old.txt", cwd=repo.path)
    assert code == 1 and "the staged changes" not in out and "nothing of it is staged" in out
    repo.write("new.txt", f"{staged.nsec}\n")
    repo.add("new.txt")
    code, out, _ = run_cli("scan", "--pre-commit", "old.txt", "new.txt", cwd=repo.path)
    assert code == 1 and "the staged changes add a secret key" in out


def test_history_scrubs_a_key_in_the_author_name_and_email(repo: Repo) -> None:
    key, in_name, in_email = new_key(), new_key(), new_key()
    repo.write("a.env", f"NOSTR_NSEC={key.nsec}\n")
    repo.add("a.env")
    repo.git(
        "-c", f"user.name=dev {in_name.hex}", "-c", f"user.email={in_email.nsec}@x", "commit", "-qm", "a"
    )
    for fmt in ("text", "json", "sarif"):
        code, out, err = run_cli("scan", "--history", "--format", fmt, cwd=repo.path)
        assert code == 1 and key.npub in out
        assert_no_secret(out + err, in_name, in_email)
