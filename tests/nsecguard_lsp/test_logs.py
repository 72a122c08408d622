"""The language server's log: every record scrubbed, no traceback."""

from __future__ import annotations

import logging

from nsecguard_lsp.logs import ScrubFilter
from tests.conftest import assert_no_secret, new_key


def test_log_filter_scrubs_messages_arguments_and_exceptions() -> None:
    key = new_key()
    try:
        raise ValueError(f"bad {key.nsec}")
    except ValueError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "saw %s", (key.nsec,), (type(exc), exc, None)
        )
    assert ScrubFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text and "Traceback" not in text
    assert_no_secret(text, key)
