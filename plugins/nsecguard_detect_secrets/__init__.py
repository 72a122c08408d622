"""Nostr detection for Yelp's detect-secrets, backed by the nsecguard engine.

detect-secrets loads plugins only from a file path (`detect-secrets scan --plugin FILE`). That
file is `detect_secrets_plugin.py` next to this one: a single import of the classes below, so a
copy of it in any repository keeps working as nsecguard is upgraded. See docs/detect-secrets.md.
"""

from nsecguard_detect_secrets.detectors import (
    PLUGINS,
    SECRET_TYPES,
    NostrBunkerSecretDetector,
    NostrConnectSecretDetector,
    NostrHexKeyDetector,
    NostrNcryptsecDetector,
    NostrNsecDetector,
    NostrWalletConnectDetector,
)

__all__ = [
    "PLUGINS",
    "SECRET_TYPES",
    "NostrBunkerSecretDetector",
    "NostrConnectSecretDetector",
    "NostrHexKeyDetector",
    "NostrNcryptsecDetector",
    "NostrNsecDetector",
    "NostrWalletConnectDetector",
]
