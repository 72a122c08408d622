"""What the engine reports: kinds, confidence levels and findings.

A finding never holds a private key or any part of one: it names the key by the owner's npub
and by a fingerprint computed from the public key.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple


class _KindMeta(type):
    def __iter__(cls) -> Iterator[Kind]:
        return iter(list(Kind._defined.values()))

    def __len__(cls) -> int:
        return len(Kind._defined)


class Kind(str, metaclass=_KindMeta):
    """A stable identifier of a kind of secret (baselines and other tools' configs hold it:
    never rename one). Each is defined once, by its rule (`nsecguard.rules`), with
    `Kind.define`; `Kind("nsec")` returns that one object, and an undefined name is a
    ValueError. Iterating `Kind` gives every defined kind, in the order they were defined."""

    _defined: ClassVar[dict[str, Kind]] = {}

    NSEC: ClassVar[Kind]
    HEX: ClassVar[Kind]
    NCRYPTSEC: ClassVar[Kind]
    BUNKER: ClassVar[Kind]
    NOSTRCONNECT: ClassVar[Kind]
    NWC: ClassVar[Kind]

    def __new__(cls, value: str) -> Kind:
        known = cls._defined.get(value)
        if known is None:
            raise ValueError(f"{value!r} is not a kind of secret nsecguard knows")
        return known

    @classmethod
    def define(cls, value: str) -> Kind:
        """The kind named `value`, made the first time (a rule module calls this once)."""
        known = cls._defined.get(value)
        if known is None:
            if not value or not all(c.islower() or c.isdigit() or c == "-" for c in value):
                raise ValueError(f"a kind is lower-case letters, digits and '-', not {value!r}")
            known = str.__new__(cls, value)
            cls._defined[value] = known
        return known

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Kind({str.__str__(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Kind, (str.__str__(self),))

    def __copy__(self) -> Kind:
        return self

    def __deepcopy__(self, memo: object) -> Kind:
        return self


# The kinds of 0.1, in their order (a rule of the same name defines each one's behaviour)
Kind.NSEC = Kind.define("nsec")
Kind.HEX = Kind.define("hex-key")
Kind.NCRYPTSEC = Kind.define("ncryptsec")
Kind.BUNKER = Kind.define("bunker-secret")
Kind.NOSTRCONNECT = Kind.define("nostrconnect-secret")
Kind.NWC = Kind.define("nwc-secret")


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


def __getattr__(name: str) -> Any:
    """`KIND_SEVERITY` and `KIND_TITLE` of 0.1, read from the rules (`nsecguard.rules`)."""
    if name in ("KIND_SEVERITY", "KIND_TITLE"):
        from nsecguard import rules

        field = "severity" if name == "KIND_SEVERITY" else "title"
        return {r.kind: getattr(r, field) for r in rules.all_rules()}
    raise AttributeError(f"module 'nsecguard.model' has no attribute {name!r}")
