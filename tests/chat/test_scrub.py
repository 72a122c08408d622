"""The log scrubber lives in the core: no key leaves through a log record."""

from __future__ import annotations

import logging

import pytest

from nsecguard.chat.scrub import KeyScrubber, install_key_scrubber

from keygen import new_key


def test_a_key_in_a_record_becomes_its_npub(caplog: pytest.LogCaptureFixture) -> None:
    key = new_key()
    install_key_scrubber(["some.library"])
    logger = logging.getLogger("some.library")
    assert any(isinstance(f, KeyScrubber) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="some.library"):
        logger.info("bad event %s", {"body": key.nsec})
    [record] = caplog.records
    assert key.nsec not in record.getMessage() and key.npub in record.getMessage()


def test_it_is_installed_once() -> None:
    install_key_scrubber(["x.y"])
    install_key_scrubber(["x.y"])
    assert sum(isinstance(f, KeyScrubber) for f in logging.getLogger("x.y").filters) == 1
