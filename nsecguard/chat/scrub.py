"""The log scrubber: no log record leaves with a key in it (a library may log a whole event)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nsecguard.engine import Options
from nsecguard.model import Confidence
from nsecguard.sanitizer import sanitize


class KeyScrubber(logging.Filter):
    """Swap any key in a record for its owner's npub before any handler sees it."""

    options = Options(min_confidence=Confidence.LOW, inline_allow=False)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        safe = sanitize(message, options=self.options)
        if safe != message:
            record.msg, record.args = safe, None
        return True


def install_key_scrubber(prefixes: Iterable[str] = ()) -> None:
    """On the `nsecguard` loggers and every existing logger named by `prefixes` (a filter on
    a logger covers only the records made by that very logger, so each one gets it)."""
    wanted = tuple(prefixes)
    names = [
        n for n in logging.Logger.manager.loggerDict if any(n == p or n.startswith(p + ".") for p in wanted)
    ]
    names += [n for n in logging.Logger.manager.loggerDict if n.startswith("nsecguard.")]
    scrubber = KeyScrubber()
    for name in dict.fromkeys([*names, "nsecguard", "nsecguard.chat", *wanted]):
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyScrubber) for f in logger.filters):
            logger.addFilter(scrubber)
