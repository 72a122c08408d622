"""nsecguard: find leaked Nostr private keys, and name them by their owner's npub.

    >>> from nsecguard import scan_text, sanitize
    >>> findings = scan_text(text)        # text in, findings out
    >>> safe = sanitize(text)             # every key swapped for `nostr:npub1...`
"""

from nsecguard.engine import DEFAULT_OPTIONS, Options, scan_bytes, scan_text
from nsecguard.model import Confidence, Finding, Kind, Severity
from nsecguard.sanitize import Sanitized, sanitize, sanitize_report

__all__ = [
    "DEFAULT_OPTIONS",
    "Confidence",
    "Finding",
    "Kind",
    "Options",
    "Sanitized",
    "Severity",
    "sanitize",
    "sanitize_report",
    "scan_bytes",
    "scan_text",
]
__version__ = "0.1.0"
