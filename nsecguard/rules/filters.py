"""Named false-positive filters for secrets with no checksum (connection-URI tokens), cheapest
first, as detect-secrets names its filters: the first that matches says why a value is taken
for a template or a documentation value, and the finding drops to `low`."""

from __future__ import annotations

import re
from collections.abc import Callable

_PLACEHOLDER_CHARS = frozenset(b"{}$<>[]%*()'\"` ")
_PLACEHOLDER_WORDS = (b"xxx", b"...", b"secret", b"your", b"token", b"example", b"changeme", b"placeholder")
_DUMMY = re.compile(rb"(?i)(?:abc|xyz|test|dummy|foo|bar|baz|sample|demo|password|pass|s3cr3t)[_-]?\d*")
_SEQUENCES = (b"abcdefghijklmnopqrstuvwxyz", b"0123456789", b"qwertyuiop", b"asdfghjkl")
MIN_TOKEN = 8  # a connection secret shorter than this is a template or an example, not a token


def _sequence(low: bytes) -> bool:
    """`abcd`, `1234`, `qwerty`, `abcd1234`: runs along the alphabet, the digits or a keyboard."""
    rest = low
    while rest:
        for seq in _SEQUENCES:
            at = seq.find(rest[:2]) if len(rest) >= 2 else -1
            if at >= 0:
                n = 2
                while n < len(rest) and at + n < len(seq) and rest[n] == seq[at + n]:
                    n += 1
                rest = rest[n:]
                break
        else:
            return False
    return True


PLACEHOLDER_FILTERS: tuple[tuple[str, Callable[[bytes, bytes], bool]], ...] = (
    # a public key (what sanitize leaves in place of a key) is no secret
    ("a public key", lambda s, low: low.startswith((b"npub1", b"nostr:npub1"))),
    ("template characters", lambda s, low: any(c in _PLACEHOLDER_CHARS or c >= 0x80 for c in s)),
    ("too short to be a token", lambda s, low: len(s) < MIN_TOKEN),
    ("one or two characters repeated", lambda s, low: len(set(low)) <= 2),
    ("a placeholder word", lambda s, low: any(word in low for word in _PLACEHOLDER_WORDS)),
    ("a dummy value", lambda s, low: _DUMMY.fullmatch(s) is not None),
    ("a keyboard or alphabet run", lambda s, low: _sequence(low)),
)


def placeholder_reason(secret: bytes) -> str | None:
    """Why a connection secret is a template or documentation value (`{secret}`, `$TOKEN`,
    `<secret>`, `xxxx`, `…`, `abcd`, `abc123`), or None for what looks like a real token."""
    low = secret.lower()
    for name, test in PLACEHOLDER_FILTERS:
        if test(secret, low):
            return name
    return None
