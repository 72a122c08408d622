"""The hooks, end to end: the real `pre-commit` CLI installs this repository's hook and blocks
(or passes) real commits and pushes; `nsecguard install-hook` does the same without it.

pre-commit installs this repository (at its HEAD, plus uncommitted changes for try-repo) into
its own environment from PyPI-resolved dependencies: slow the first time, so the environment
cache (PRE_COMMIT_HOME) is shared by the whole session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nsecguard import frontends
from nsecguard.commands import install_hook
from tests.conftest import ROOT, Repo, assert_no_secret, new_key

pytestmark = pytest.mark.slow

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not os.path.exists(PRE_COMMIT):
        pytest.skip("pre-commit is not installed")
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([PRE_COMMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def git_env(home: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}


def test_builtin_frontends_match_the_entry_points() -> None:
    """The core's commands are registered as entry points, and the fast path knows exactly
    those; plugin front-ends (matrix, nostr) are found through their entry points alone."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    registered = pyproject["project"]["entry-points"]["nsecguard.frontends"]
    core = {name: target for name, target in registered.items() if target.startswith("nsecguard.")}
    assert core == frontends.BUILTIN


def test_try_repo_passes_clean_files_and_blocks_a_staged_key(repo: Repo, pre_commit_home: Path) -> None:
    key = new_key()
    repo.commit_file("app.py", "print('hello')\n")
    result = pre_commit(
        "try-repo", str(ROOT), "nsecguard", "--all-files", cwd=repo.path, home=pre_commit_home
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout

    repo.write("app.py", f"print('hello')\nBOT_NSEC = '{key.nsec}'\n")
    repo.add("app.py")
    result = pre_commit("try-repo", str(ROOT), "nsecguard", cwd=repo.path, home=pre_commit_home)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"app.py:2:13: nsec {key.npub}" in output
    assert "Commit blocked" in output and "rotate" in output and "test vector" in output
    assert_no_secret(output, key)


def _config(repo: Repo) -> None:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {ROOT}\n    rev: {rev.stdout.strip()}\n    hooks:\n"
        "      - id: nsecguard\n      - id: nsecguard-pre-push\n",
    )
    repo.add(".pre-commit-config.yaml")


def test_installed_hook_blocks_a_commit_and_a_push(repo: Repo, pre_commit_home: Path, tmp_path: Path) -> None:
    key, vector = new_key(), new_key()
    _config(repo)
    repo.write("pyproject.toml", f'[tool.nsecguard]\nallow = ["{vector.npub}"]\n')
    repo.write("tests/vectors.py", f"VECTOR = '{vector.nsec}'\n")  # allowed by npub
    repo.add("pyproject.toml", "tests/vectors.py")
    assert (
        pre_commit(
            "install", "-t", "pre-commit", "-t", "pre-push", cwd=repo.path, home=pre_commit_home
        ).returncode
        == 0
    )
    env = git_env(pre_commit_home)
    ok = subprocess.run(
        ["git", "commit", "-q", "-m", "clean"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr

    repo.write("bot.py", f"NSEC = '{key.nsec}'\n")
    repo.add("bot.py")
    blocked = subprocess.run(
        ["git", "commit", "-q", "-m", "leak"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert f"bot.py:1:9: nsec {key.npub}" in output and "Commit blocked" in output
    assert_no_secret(output, key, vector)

    # committed anyway (--no-verify): the pre-push hook stops it at the push
    subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "leak"], cwd=repo.path, env=env, check=True)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    pushed = subprocess.run(
        ["git", "push", "-q", "origin", "main"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, output
    assert key.npub in output and "Push blocked" in output
    assert_no_secret(output, key, vector)


def test_install_hook_writes_a_plain_hook_that_blocks(repo: Repo) -> None:
    key = new_key()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "nsecguard", "install-hook"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK) and sys.executable in hook.read_text()
    repo.write("a.txt", f"{key.nsec}\n")
    repo.add("a.txt")
    blocked = subprocess.run(
        ["git", "commit", "-q", "-m", "x"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert blocked.returncode != 0 and f"a.txt:1:1: nsec {key.npub}" in blocked.stdout + blocked.stderr
    assert_no_secret(blocked.stdout + blocked.stderr, key)
    repo.write("a.txt", "fine\n")
    repo.add("a.txt")
    ok = subprocess.run(
        ["git", "commit", "-q", "-m", "x"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_install_hook_refuses_to_overwrite_a_foreign_hook(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.path)
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(install_hook.FatalError, match="--force"):
        install_hook.install("pre-commit")
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    install_hook.install("pre-commit", force=True)
    assert install_hook.MARKER in hook.read_text()
    install_hook.install("pre-commit")  # its own hook: updated without --force


def test_dogfood_this_repository_passes_its_own_hook_with_only_spec_vectors_allowed() -> None:
    from nsecguard.config import load_file
    from nsecguard.engine import scan_text

    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    assert "nsecguard scan --pre-commit" in hooks and "nsecguard scan --pre-push" in hooks
    options = load_file(ROOT / "pyproject.toml").options()
    spec = (
        "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5 "  # nsecguard: allow (NIP-19)
        "nsec10allq0gjx7fddtzef0ax00mdps9t2kmtrldkyjfs8l5xruwvh2dq0lhhkp "  # nsecguard: allow (NIP-06)
        "nsec1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsmhltgl"  # nsecguard: allow (d = 1)
    )
    assert scan_text(spec, options=options) == []
    fresh = new_key()
    assert [f.npub for f in scan_text(fresh.nsec, options=options)] == [fresh.npub]
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = [os.fsdecode(p) for p in tracked.split(b"\0") if p]
    run = subprocess.run(
        [sys.executable, "-m", "nsecguard", "scan", "--pre-commit", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
