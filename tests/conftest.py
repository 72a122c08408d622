from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from keygen import TestKey, new_key


@pytest.fixture
def key() -> TestKey:
    return new_key()


@pytest.fixture
def key2() -> TestKey:
    return new_key()
