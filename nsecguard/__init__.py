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
    "Sanitized": "nsecguard.sanitizer",
    "sanitize": "nsecguard.sanitizer",
    "sanitize_report": "nsecguard.sanitizer",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # explicit re-exports, for type checkers
    from nsecguard.engine import DEFAULT_OPTIONS as DEFAULT_OPTIONS
    from nsecguard.engine import Options as Options
    from nsecguard.engine import scan_bytes as scan_bytes
    from nsecguard.engine import scan_text as scan_text
    from nsecguard.model import Confidence as Confidence
    from nsecguard.model import Finding as Finding
    from nsecguard.model import Kind as Kind
    from nsecguard.model import Severity as Severity
    from nsecguard.sanitizer import Sanitized as Sanitized
    from nsecguard.sanitizer import sanitize as sanitize
    from nsecguard.sanitizer import sanitize_report as sanitize_report


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nsecguard' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
