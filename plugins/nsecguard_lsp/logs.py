"""The only way text leaves the language server: every log record and every message to the
client goes through `safe`, which swaps any key for its owner's npub."""

from __future__ import annotations

import logging


def safe(text: str) -> str:
    """`text` with every private key in it replaced by its npub (switch to the output boundary)."""
    from nsecguard.cli import scrub

    return scrub(text)


class ScrubFilter(logging.Filter):
    """Rewrites each record as scrubbed plain text; a traceback becomes its exception's type and
    scrubbed message (a traceback can show source lines that hold a key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{message} ({type(exc).__name__}: {exc})"
        record.msg = safe(message)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def configure(verbose: bool) -> None:
    """Log to stderr (stdout carries the protocol), scrubbed."""
    handler = logging.StreamHandler()
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
