"""Fixtures for the detect-secrets front-end: real CLIs, temporary git repositories, fresh keys.

Keys are generated at test time; only public spec vectors are written in the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from keygen import TestKey as Key  # noqa: F401  (re-exported for the tests here)
from keygen import new_key  # noqa: F401

PROJECT = Path(__file__).resolve().parents[2]
PLUGIN_FILE = PROJECT / "plugins" / "nsecguard_detect_secrets" / "detect_secrets_plugin.py"
BIN = Path(sys.executable).parent
DETECT_SECRETS = BIN / "detect-secrets"
HOOK = BIN / "detect-secrets-hook"
SHIM = "tools/nostr_secrets.py"  # where the test repositories keep their copy of the plugin file

if not DETECT_SECRETS.exists() or not HOOK.exists():
    pytest.skip(
        "detect-secrets is not installed (pip install -e '.[detect-secrets]')", allow_module_level=True
    )


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(
        TERM="dumb",
        PATH=f"{BIN}{os.pathsep}{out.get('PATH', '')}",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return out


def run(
    cwd: Path, *args: str | Path, stdin: str | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**env(), **(extra_env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def git(cwd: Path, *args: str) -> None:
    proc = run(cwd, "git", *args)
    assert proc.returncode == 0, proc.stderr


class Repo:
    """A git repository with the plugin file copied in, as a user's repository would have it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q")
        (root / SHIM).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PLUGIN_FILE, root / SHIM)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(self.root, "add", name)
        return path

    def scan(self, *extra: str) -> dict[str, object]:
        proc = run(self.root, DETECT_SECRETS, "scan", "--plugin", SHIM, *extra)
        assert proc.returncode == 0, proc.stderr
        return dict(json.loads(proc.stdout))

    def make_baseline(self) -> str:
        proc = run(self.root, DETECT_SECRETS, "scan", "--plugin", SHIM)
        assert proc.returncode == 0, proc.stderr
        (self.root / ".secrets.baseline").write_text(proc.stdout)
        git(self.root, "add", ".secrets.baseline")
        return proc.stdout

    def hook(self, *files: str) -> subprocess.CompletedProcess[str]:
        return run(self.root, HOOK, "--baseline", ".secrets.baseline", *files)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    yield Repo(tmp_path / "repo")


def nostr_results(baseline: dict[str, object]) -> set[tuple[str, int, str]]:
    """(file, line, type) of every Nostr result in a baseline."""
    from nsecguard_detect_secrets import SECRET_TYPES

    ours = set(SECRET_TYPES.values())
    results = baseline["results"]
    assert isinstance(results, dict)
    return {
        (name, int(item["line_number"]), str(item["type"]))
        for name, items in results.items()
        for item in items
        if item["type"] in ours
    }
