# Nostr secrets for detect-secrets (https://github.com/Yelp/detect-secrets), from nsecguard.
#   detect-secrets scan --plugin path/to/this/file.py > .secrets.baseline
# Needs `pip install nsecguard detect-secrets`. Copy this file into your repository as it is.
# One class per kind of secret nsecguard knows, including kinds added after this copy was made.
from nsecguard_detect_secrets.detectors import *  # noqa: F403
