"""Fixtures for the Matrix front-end: keys made at test time, a real Synapse per session.

Every key planted in a test is recorded; `no_leak` fails a test if any bot message or log
line holds one (nsec, hex, any letter case).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from keygen import TestKey, new_key


@dataclass
class Planted:
    keys: list[TestKey] = field(default_factory=list)

    def new(self) -> TestKey:
        key = new_key()
        self.keys.append(key)
        return key

    def found_in(self, text: str) -> list[str]:
        low = text.lower()
        return [form for k in self.keys for form in k.forms if form.lower() in low]


@pytest.fixture
def planted(caplog: pytest.LogCaptureFixture) -> Iterator[Planted]:
    """Keys for this test; afterwards no log line may hold any of them."""
    caplog.set_level(logging.DEBUG, logger="nsecguard")
    caplog.set_level(logging.INFO)
    found = Planted()
    yield found
    for record in caplog.records:
        line = record.getMessage()
        assert not found.found_in(line), f"a planted key reached the log ({record.name})"


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Synapse on 127.0.0.1 (a free port, SQLite), shared by the session."""
    pytest.importorskip("synapse")
    pytest.importorskip("nio")
    from nsecguard_matrix.local_synapse import LocalSynapse

    hs = LocalSynapse(tmp_path_factory.mktemp("synapse"))
    hs.start()
    try:
        yield hs
    finally:
        hs.stop()


@pytest.fixture(scope="session")
def guarded_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second Synapse with the nsecguard module enabled."""
    pytest.importorskip("synapse")
    pytest.importorskip("nio")
    from nsecguard_matrix.local_synapse import LocalSynapse

    module = {
        "module": "nsecguard_matrix.synapse_module.NsecGuardModule",
        "config": {"min_confidence": "medium"},
    }
    hs = LocalSynapse(tmp_path_factory.mktemp("guarded-synapse"), modules=[module])
    hs.start()
    try:
        yield hs
    finally:
        hs.stop()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "bot-store"
