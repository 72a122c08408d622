"""nsecguard: find leaked Nostr private keys, and name them by their owner's npub.

    >>> from nsecguard import scan_text, sanitize
    >>> findings = scan_text(text)        # text in, findings out
    >>> safe = sanitize(text)             # every key swapped for `nostr:npub1...`

The names below load on first use, so `import nsecguard.something` stays cheap (the commit
hook starts in a few tens of milliseconds).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "DEFAULT_OPTIONS": "nsecguard.engine",
    "Options": "nsecguard.engine",
    "scan_bytes": "nsecguard.engine",
    "scan_text": "nsecguard.engine",
    "Confidence": "nsecguard.model",
    "Finding": "nsecguard.model",
    "Kind": "nsecguard.model",
    "Severity": "nsecguard.model",
    "Sanitized": "nsecguard.sanitize",
    "sanitize": "nsecguard.sanitize",
    "sanitize_report": "nsecguard.sanitize",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from nsecguard.engine import DEFAULT_OPTIONS, Options, scan_bytes, scan_text
    from nsecguard.model import Confidence, Finding, Kind, Severity
    from nsecguard.sanitize import Sanitized, sanitize, sanitize_report


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nsecguard' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
