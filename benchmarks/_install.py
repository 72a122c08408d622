"""nsecguard as users get it, for the benchmarks: a regular (non-editable) install of this
checkout in a fresh virtual environment. A development install (`pip install -e`) adds about
20 ms to every start (setuptools' editable finder imports pathlib and friends), and
`python -m` adds runpy: neither is what a user's `nsecguard` pays."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _with_bytecode() -> None:
    """Let every process a benchmark starts read compiled bytecode, as a user's does: pip
    compiles a package's modules when it installs it. A machine that sets
    PYTHONDONTWRITEBYTECODE (this sandbox does) otherwise makes each nsecguard start compile its
    ~100 modules from source: 0.10-0.14 s for a scan of an empty directory instead of 0.06,
    charged to every measured run, and serial before any worker starts."""
    import compileall

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for package in ("nsecguard", "plugins"):
        compileall.compile_dir(os.path.join(REPO, package), quiet=1)


_with_bytecode()


def installed(venv: str, extras: str = "") -> str:
    """Make `venv` and install this checkout into it; the path of its `nsecguard` script."""
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    target = f"{REPO}[{extras}]" if extras else REPO
    subprocess.run([python, "-m", "pip", "install", "-q", target], check=True)
    return os.path.join(venv, "bin", "nsecguard")


def here() -> list[str]:
    """The current environment's nsecguard (a development install, as it is)."""
    exe = os.path.join(os.path.dirname(sys.executable), "nsecguard")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "nsecguard"]
