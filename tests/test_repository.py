"""nsecguard guards its own repository: the checkout's history passes the CI recipe of docs/ci.md."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT, run_cli


def _history_available() -> bool:
    if not (ROOT / ".git").exists():
        return False
    done = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.returncode == 0 and int(done.stdout.strip() or 0) > 1


@pytest.mark.skipif(not _history_available(), reason="not a git checkout with history")
def test_the_repositorys_own_history_scan_passes() -> None:
    """`nsecguard scan --history` as CI runs it (config and baseline from pyproject.toml). HEAD's
    history, not `--all`: a development checkout may hold other people's unmerged branches,
    and a fresh clone (CI) has only what HEAD has."""
    code, out, err = run_cli("scan", "--history", "HEAD", "--no-color", cwd=ROOT)
    assert code == 0, out + err
    assert "No leaked Nostr keys" in out


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_repositorys_own_checkout_scan_passes_and_skips_what_git_ignores() -> None:
    code, out, err = run_cli("scan", "-v", "--no-color", ".", cwd=ROOT)
    assert code == 0, out + err
    if (ROOT / ".venv").is_dir():
        assert "note: .venv/: skipped: ignored by .gitignore:1 (.venv/)" in out
