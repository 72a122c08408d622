"""What the engine reports: kinds, confidence levels and findings.

A finding never holds a private key or any part of one: it names the key by the owner's npub
and by a fingerprint computed from the public key.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple


class Kind(str, enum.Enum):
    """Stable identifiers (they appear in baselines and other tools' configs: never rename)."""

    NSEC = "nsec"
    HEX = "hex-key"
    NCRYPTSEC = "ncryptsec"
    BUNKER = "bunker-secret"
    NOSTRCONNECT = "nostrconnect-secret"
    NWC = "nwc-secret"

    def __str__(self) -> str:
        return self.value


class Confidence(enum.IntEnum):
    """How sure the engine is that the value is a real secret (see docs/detection.md).

    certain: proven by construction (a checksum-valid nsec, a hex key whose public key stands
             in the same text);
    high:    unambiguous context (a secret-key name assigned the value, a wallet-connect secret);
    medium:  strong evidence short of proof (a typo repaired by checksum, a label on the line
             before, a generic secret name in a Nostr file); reported by default;
    low:     weak evidence (a generic name such as `key` outside any Nostr context); shown only
             with --min-confidence low.
    """

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CERTAIN = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Confidence:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            choices = ", ".join(str(c) for c in cls)
            raise ValueError(f"unknown confidence {name!r} (choose from {choices})") from None


DEFAULT_MIN_CONFIDENCE = Confidence.MEDIUM


class Severity(str, enum.Enum):
    CRITICAL = "critical"  # the key itself, or a spending key
    HIGH = "high"  # a credential that grants a signer connection
    MEDIUM = "medium"  # an encrypted key open to offline guessing

    def __str__(self) -> str:
        return self.value


KIND_SEVERITY = {
    Kind.NSEC: Severity.CRITICAL,
    Kind.HEX: Severity.CRITICAL,
    Kind.NWC: Severity.CRITICAL,
    Kind.BUNKER: Severity.HIGH,
    Kind.NOSTRCONNECT: Severity.HIGH,
    Kind.NCRYPTSEC: Severity.MEDIUM,
}

KIND_TITLE = {
    Kind.NSEC: "Nostr private key (nsec)",
    Kind.HEX: "Nostr private key (hex)",
    Kind.NCRYPTSEC: "Encrypted Nostr private key (ncryptsec, NIP-49)",
    Kind.BUNKER: "Remote-signer connection secret (bunker://, NIP-46)",
    Kind.NOSTRCONNECT: "Remote-signer connection secret (nostrconnect://, NIP-46)",
    Kind.NWC: "Wallet-connect spending key (nostr+walletconnect://, NIP-47)",
}


class Finding(NamedTuple):
    kind: Kind
    confidence: Confidence
    severity: Severity
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    npub: str | None  # the owner's public key; None where none can be derived
    fingerprint: str
    message: str
    reason: str  # why this is a finding, in a few words (never the key)
    encoding: str | None = None  # "base64" when found inside an encoded token
    repaired: bool = False  # an nsec with one mistyped character
    start: int = 0  # character offsets in the scanned text (for sanitize)
    end: int = 0
    pubkey: str | None = None  # hex of the public key, where derivable
    extra: tuple[tuple[str, str], ...] = ()  # front-end data, e.g. commit, author

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["kind"] = str(self.kind)
        data["confidence"] = str(self.confidence)
        data["severity"] = str(self.severity)
        del data["start"], data["end"], data["extra"]
        data.update(dict(self.extra))
        return data

    def with_extra(self, **values: str) -> Finding:
        return self._replace(extra=self.extra + tuple(values.items()))

    def moved(self, **changes: Any) -> Finding:
        return self._replace(**changes)
