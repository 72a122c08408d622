"""The code stays typed and tidy: ruff and strict mypy are part of the test suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff() -> None:
    cp = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_ruff_format() -> None:
    cp = subprocess.run([_tool("ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_mypy_strict() -> None:
    packages = [
        "nsecguard",
        "plugins/nsecguard_nostr",
        "plugins/nsecguard_matrix",
        "plugins/nsecguard_detect_secrets",
        "plugins/nsecguard_lsp",
        "plugins/nsecguard_xmpp",
    ]
    cp = subprocess.run([_tool("mypy"), "--strict", *packages], cwd=ROOT, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr
