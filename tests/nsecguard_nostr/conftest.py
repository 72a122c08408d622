from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def nsecguard_exe() -> str:
    """The `nsecguard` script of the environment running the tests."""
    found = shutil.which("nsecguard", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("nsecguard is not installed in this environment (pip install -e .)")
    return found
