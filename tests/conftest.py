"""Shared helpers: real git repositories in temporary directories, keys made at test time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# The code under test is this checkout's, whatever checkout the editable install points at. Its
# plugins go ahead of tests/, whose nsecguard_matrix test package would shadow the plugin package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins"))

from keygen import (
    TestKey,
    new_key,
)
from keygen import TestKey as Key
from keygen import assert_no_key as assert_no_secret

__all__ = ["ROOT", "Key", "Repo", "TestKey", "assert_no_secret", "new_key", "run_cli"]

ROOT = Path(__file__).resolve().parent.parent

# ... and in the processes the tests start (the CLI, Synapse with the nsecguard module)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), str(ROOT / "plugins"), *filter(None, [os.environ.get("PYTHONPATH")])]
)


@pytest.fixture(autouse=True)
def git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A known git identity and no signing, whatever the machine's configuration says."""
    home = tmp_path_factory.getbasetemp() / "gitconfig"
    cfg = home / "config"
    if not cfg.exists():
        home.mkdir(exist_ok=True)
        cfg.write_text(
            "[user]\n\tname = Test Author\n\temail = author@example.com\n"
            "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
            '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
        )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "PRE_COMMIT_FROM_REF",
        "PRE_COMMIT_TO_REF",
        "PRE_COMMIT_LOCAL_BRANCH",
        "PRE_COMMIT_REMOTE_NAME",
    ):
        monkeypatch.delenv(var, raising=False)


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str | bytes, check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {args!r} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, name: str | bytes, text: str | bytes) -> Path:
        target = os.path.join(os.fsencode(self.path), os.fsencode(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(text.encode() if isinstance(text, str) else text)
        return Path(os.fsdecode(target))

    def add(self, *names: str | bytes) -> None:
        self.git("add", "--", *names)

    def commit(self, message: str = "change", *, date: str | None = None) -> str:
        env = dict(os.environ)
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", message], cwd=self.path, check=True, env=env
        )
        return self.git("rev-parse", "HEAD")

    def commit_file(self, name: str, text: str, message: str = "change", *, date: str | None = None) -> str:
        self.write(name, text)
        self.add(name)
        return self.commit(message, date=date)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path)
    r.git("init", "-q")
    yield r


def run_cli(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`nsecguard ARGS` in a subprocess (as users and hooks run it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "nsecguard", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


@pytest.fixture
def key() -> TestKey:
    return new_key()


@pytest.fixture
def key2() -> TestKey:
    return new_key()
