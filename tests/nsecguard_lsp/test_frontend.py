"""`nsecguard lsp` as a command: registered as a front-end, and a clear error without pygls."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_listed_in_help() -> None:
    out = subprocess.run([sys.executable, "-m", "nsecguard", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "lsp " in out.stdout and "pasted key" in out.stdout


def test_without_pygls_it_says_what_to_install() -> None:
    code = "import sys; sys.modules['pygls'] = None; from nsecguard.cli import main; sys.exit(main(['lsp']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert "pip install 'nsecguard[lsp]'" in out.stderr and "Traceback" not in out.stderr


def test_the_core_imports_no_pygls() -> None:
    code = (
        "import sys, nsecguard.cli, nsecguard.commands.scan, nsecguard.engine, nsecguard.frontends; "
        "from nsecguard.frontends import load; load('scan'); "
        "sys.exit(any(m.split('.')[0] in ('pygls', 'lsprotocol', 'nsecguard_lsp') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
