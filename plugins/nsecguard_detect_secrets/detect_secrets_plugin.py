# Nostr secrets for detect-secrets (https://github.com/Yelp/detect-secrets), from nsecguard.
#   detect-secrets scan --plugin path/to/this/file.py > .secrets.baseline
# Needs `pip install nsecguard detect-secrets`. Copy this file into your repository as it is.
from nsecguard_detect_secrets.detectors import (  # noqa: F401
    NostrBunkerSecretDetector,
    NostrConnectSecretDetector,
    NostrHexKeyDetector,
    NostrNcryptsecDetector,
    NostrNsecDetector,
    NostrWalletConnectDetector,
)
