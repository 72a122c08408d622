"""What a rule is: one kind of secret, how it is found, and what is said about it.

A `Rule` holds everything nsecguard knows about one kind: its stable id (a `Kind`), severity,
title, advice, the text that replaces it, the words chat guards use, and the `Detector`s that
find it. A detector is a first-pass pattern (run over every byte, with the others, in one
Hyperscan pass: `nsecguard.candidates`) and a finder that extracts and validates candidates in
the buffers the pattern fired on. Several rules may share one detector (the three connection-URI
secrets are found by one URI parser); the engine runs each detector once.

Each rule also carries its own true- and false-positive samples. Keys are never committed, so a
sample is a template: `{nsec}`, `{hex}`, `{HEX}`, `{npub}`, `{pubhex}` and `{mnemonic}` are
filled with a key generated when the test runs (`tests/rules/test_samples.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from nsecguard.model import Confidence, Kind, Severity

if TYPE_CHECKING:
    from nsecguard.context import Memo
    from nsecguard.engine import Options


class Hit(NamedTuple):
    """A validated secret inside a buffer (byte offsets). Internal: the key never leaves."""

    kind: Kind
    confidence: Confidence
    start: int
    end: int
    pubkey: bytes | None
    fingerprint: str
    reason: str
    repaired: bool = False
    encoding: str | None = None
    secret: tuple[str, bytes] | None = None  # (label, value) to fingerprint, when reported

    def __repr__(self) -> str:  # never the secret
        return f"Hit({self.kind}, {self.confidence!s}, {self.start}, {self.end})"


class Outer(NamedTuple):
    """Where an encoded token stood, so names around it count for what it decodes to."""

    buf: Buffer
    start: int
    end: int


class Buffer:
    """One buffer under scan, with the lazily computed facts several finders share."""

    def __init__(self, data: bytes, known: frozenset[bytes]) -> None:
        self.data = data
        self.known = known  # public keys the caller says stand near the text
        self._pubkeys: frozenset[bytes] | None = None
        self._nostr: bool | None = None
        self._lower: bytes | None = None
        self.memo: Memo | None = None  # what judging its hex values has learnt

    @property
    def pubkeys(self) -> frozenset[bytes]:
        """Every public key written in the buffer (hex, compressed hex, npub, nprofile)."""
        if self._pubkeys is None:
            from nsecguard.rules import pubkeys

            self._pubkeys = pubkeys.written_in(self.data) | self.known
        return self._pubkeys

    @property
    def lower(self) -> bytes:
        """The buffer lowercased, made once (several questions need it)."""
        if self._lower is None:
            self._lower = self.data.lower()
        return self._lower

    @property
    def has_bech32_pubkey(self) -> bool:
        """Does the text (or the caller) name a public key, as npub/nprofile or known key?"""
        return bool(self.known) or b"npub1" in self.lower or b"nprofile1" in self.lower

    @property
    def nostr(self) -> bool:
        """Does the text speak of Nostr at all (a generic secret name counts for more)?"""
        if self._nostr is None:
            self._nostr = any(marker in self.lower for marker in NOSTR_MARKERS)
        return self._nostr


NOSTR_MARKERS = (b"nostr", b"npub1", b"nsec", b"nip-", b"nip19", b"wss://", b"relay")


@dataclass
class Scan:
    """What a finder is given: the buffer, the options, and what earlier finders claimed."""

    buf: Buffer
    options: Options
    outer: Outer | None = None  # set inside a decoded (base64) token
    # spans earlier finders judged whole (a URI's hex parts are judged with the URI)
    taken: list[tuple[int, int]] = field(default_factory=list)


Finder = Callable[[Scan], Iterable[Hit]]


@dataclass(frozen=True)
class Detector:
    """How candidates are found. `patterns` run in the first pass over every byte (Hyperscan
    syntax that Python's `re` also reads; none may match across a NUL byte); `fallback` answers
    the same question without Hyperscan, from the buffer and its lower-case copy. `find` runs on
    buffers the first pass fired on. Detectors run in `order`, lowest first (a finder may skip
    spans an earlier one took)."""

    name: str
    patterns: tuple[bytes, ...]
    find: Finder
    fallback: Callable[[bytes, bytes], bool]
    caseless: bool = False
    order: int = 50
    # a buffer of at most this many bytes (a chat message, a note) goes to `find` even when the
    # first pass did not fire: `find` must then reject it in microseconds
    whole_below: int = 0
    # for such a buffer, a test in microseconds of whether `find` may find anything in it (None:
    # it may): what the sources ask before they call the engine (`candidates.gate`), where
    # `whole_patterns` (Hyperscan syntax, caseless, run over such buffers only; never fewer
    # matches than `whole_test` has) match, or at once when there are none
    whole_test: Callable[[bytes], bool] | None = None
    whole_patterns: tuple[bytes, ...] = ()
    # `find` yields no secret, ever (it only tells a hook of the public keys a buffer names)
    clue_only: bool = False


class Sample(NamedTuple):
    """A text the rule must find (`found` >= `confidence`) or must not report by default."""

    text: str  # a template: see the module docstring
    found: bool
    confidence: Confidence = Confidence.MEDIUM
    note: str = ""


@dataclass(frozen=True)
class Rule:
    """One kind of secret. The words here reach users: keep them short and true."""

    kind: Kind
    severity: Severity
    title: str  # "Nostr private key (nsec)"
    advice: str  # what to do, after "<title> of <npub>: "
    help: str  # a paragraph for SARIF rule help and the docs
    chat_words: str  # "a Nostr private key (nsec)", in a chat warning
    chat_advice: str  # what to do now, told to the person who pasted it
    noun: str  # the shortest name: "a private key", "a wallet-connect spending secret"
    action: str  # the shortest advice: "revoke this connection in your wallet now"
    detectors: tuple[Detector, ...]  # what finds it (a detector may find several kinds)
    replacement: str = "[secret removed]"  # what `sanitize` writes where there is no npub
    secret_type: str = ""  # the detect-secrets `secret_type` (stored in baselines: never change)
    precision: str = "very-high"  # SARIF `precision`
    is_key: bool = False  # the private key itself, in some form (nsec, hex, a seed)
    env_name: str = "NOSTR_SECRET_KEY"  # the variable the editor's quick fix moves it to
    samples: tuple[Sample, ...] = ()

    def message(self, npub: str | None) -> str:
        owner = f" of {npub}" if npub else ""
        return f"{self.title}{owner}: {self.advice}"


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Does [start, end) overlap one of `spans` (sorted, not overlapping each other)?"""
    import bisect

    i = bisect.bisect_right(spans, (start, 1 << 62)) - 1
    return (i >= 0 and spans[i][1] > start) or (i + 1 < len(spans) and spans[i + 1][0] < end)


# Said of every form of a Nostr private key: what to do, on the command line and in SARIF
ROTATE_ADVICE = "remove it and move to a new key; a leaked key is compromised for good"
ROTATE_HELP = (
    "Remove the key from the file and from every copy, and move the account to a new key: a "
    "leaked Nostr private key cannot be revoked, and anyone who saw it can sign as its owner. "
    "If the key never left your machine (never pushed, published or shared), removing it is "
    'enough. A public test vector? Allow it by npub (`allow = ["npub1..."]` under '
    "`[tool.nsecguard]`) or put `nsecguard: allow` in a comment on its line."
)
KEY_CHAT_ADVICE = (
    "That key is compromised for good, even though the message is gone: servers, "
    "notifications, bridges and other people's devices may keep copies. "
    "Create a new key now, move your profile and follows to it, and tell your followers. "
    "Never paste a private key (nsec or hex) anywhere: no app, person or support chat needs it."
)
