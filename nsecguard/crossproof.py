"""Proof across files: a hex value whose public key is written in another file of the same scan.

While a scan runs, each place scanned (a file, a staged file, a file in one commit) leaves two
sets in its result's `Clues`: the public keys it names (npubs and nprofiles, which the first
pass finds with the other patterns, and 64-hex values neither reported nor named as a hash or
an id), kept as 16-byte hashes; and the public keys its weak candidates derive to (64-hex
values not reported, or reported below high, not named as something else, not well-known
scalars). The parent intersects them at the end of the scan, and only the few places whose
candidates matched are scanned again with `known_pubkeys=` the matched keys: their findings
come out of the engine as usual, proven, with "its public key appears in <the other place>".

Cost: one derivation per distinct candidate, cached per process by a hash of the value (never
the value itself: no private key outlives the engine call that saw it). A value named as a
hash or an id (a lock file's checksums) is neither a candidate nor a name, so such files add
nothing to the sets. Proof goes by value: a value vetoed by its own context is not tried across
files, even where the same value stands unnamed in the same file (that occurrence is tried).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from nsecguard import keys

if TYPE_CHECKING:
    from nsecguard.engine import Options
    from nsecguard.model import Finding
    from nsecguard.result import ScanResult

SAME_TEXT = "its public key appears in the same text"
MAX_NAMES = 1 << 21  # public keys remembered per scan (~200 MB of them: far beyond any real tree)
_CACHE_MAX = 1 << 16


class Place(NamedTuple):
    """Where candidates stood: `label` as reported ("src/a.py", "a.py (commit 1a2b3c4d5e6f)"),
    and what the source needs to scan it again (a file system path, a commit id)."""

    label: str
    ref: str = ""
    ignored: bool = False
    path: str = ""  # in a commit: the file's path


class Clues:
    """Public keys a scan learnt, per place: what each names, what each one's candidates derive to."""

    __slots__ = ("names", "wanted")

    def __init__(self) -> None:
        # tag of a public key -> the first two places writing it
        self.names: dict[bytes, tuple[str, ...]] = {}
        self.wanted: dict[Place, set[bytes]] = {}  # place -> public keys of its weak candidates

    def add(self, place: Place, names: Iterable[bytes], wanted: Iterable[bytes]) -> None:
        label = place.label
        self._name(names, label)
        pubs = set(wanted)
        if pubs:
            self.wanted.setdefault(place, set()).update(pubs)

    def _name(self, tags: Iterable[bytes], label: str) -> None:
        names = self.names
        for key in tags:
            labels = names.get(key)
            if labels is None:
                if len(names) < MAX_NAMES:
                    names[key] = (label,)
            elif len(labels) == 1 and labels[0] != label:
                names[key] = (labels[0], label)  # two places are enough: one is not the candidate's

    def merge(self, other: Clues) -> None:
        for key, labels in other.names.items():
            for label in labels:
                self._name((key,), label)
        for place, pubs in other.wanted.items():
            self.wanted.setdefault(place, set()).update(pubs)

    def matches(self) -> dict[Place, dict[bytes, str]]:
        """Places whose candidates' public keys another place names: {place: {pubkey: other}}."""
        out: dict[Place, dict[bytes, str]] = {}
        names = self.names
        for place, pubs in self.wanted.items():
            hit: dict[bytes, str] = {}
            for pub in pubs:
                for other in names.get(tag(pub), ()):
                    if other != place.label:
                        hit[pub] = other
                        break
            if hit:
                out[place] = hit
        return out


# -- collecting, inside the engine's calls ----------------------------------------------------

_active = False
_names: list[bytes] = []  # pending: tags of what the buffers scanned since the last `take` named
_wanted: set[bytes] = set()
_derived: dict[bytes, bytes] = {}  # a hash of a candidate -> its public key
derivations = 0  # public keys derived here (tests count them)


def active() -> bool:
    return _active


def start() -> None:
    """Collect clues from now on (in this process and the workers it forks)."""
    global _active
    from nsecguard.rules import hex_key

    _names.clear()
    _wanted.clear()
    hex_key.clue_hook = _on_hex
    _active = True


def stop() -> None:
    global _active
    from nsecguard.rules import hex_key

    hex_key.clue_hook = None
    _active = False
    _names.clear()
    _wanted.clear()


def tag(value: bytes) -> bytes:
    """What is kept of a 64-hex value: 16 bytes of its hash (it may be a private key no one
    named), enough to tell one public key from another."""
    return hashlib.blake2b(value, digest_size=16).digest()


def public_key(value: bytes) -> bytes:
    """The public key of a candidate, derived once per process (cached by a hash of it)."""
    global derivations
    key = tag(value)
    pub = _derived.get(key)
    if pub is None:
        if len(_derived) >= _CACHE_MAX:
            _derived.clear()
        pub = _derived[key] = keys.xonly_pubkey(value)
        derivations += 1
    return pub


def _on_hex(names: list[bytes], weak: list[tuple[bytes, bytes | None]]) -> None:
    """From the hex rule (`hex_key.clue_hook`): values that may be public keys (and public keys
    written as npub or nprofile), and weak candidates (value, its public key when already
    derived). Well-known scalars (1, 2, ...) are no one's key: not candidates."""
    _names.extend(map(tag, names))
    for value, pub in weak:
        if keys.well_known(value) is None:
            _wanted.add(pub if pub is not None else public_key(value))


def pending() -> bool:
    return bool(_names or _wanted)


def take(result: ScanResult, place: Place) -> bool:
    """What the buffers scanned since the last call named and wanted, as `place`'s clues;
    True when `place` has candidates (it may be scanned again)."""
    clues = collect()
    return clues is not None and give(result, place, clues)


Pending = tuple[tuple[bytes, ...], frozenset[bytes]]  # what a place named, what it wanted


def collect() -> Pending | None:
    """What the buffers scanned since the last call named and wanted, handed out (and
    forgotten here): how a history worker's clues reach the scan's process. None when inactive."""
    if not _active:
        return None
    got = (tuple(_names), frozenset(_wanted))
    _names.clear()
    _wanted.clear()
    return got


def give(result: ScanResult, place: Place, clues: Pending) -> bool:
    """`take`, for clues collected in another process (`collect`)."""
    names, wanted = clues
    if not names and not wanted:
        return False
    if result.clues is None:
        result.clues = Clues()
    result.clues.add(place, names, wanted)
    return bool(wanted)


def discard() -> None:
    """Forget what was collected since the last `take` (a place that is not reported)."""
    _names.clear()
    _wanted.clear()


# -- proving, at the end of a scan ------------------------------------------------------------

Rescan = Callable[[Place, frozenset[bytes]], list["Finding"]]


def prove(result: ScanResult, rescan: Rescan) -> int:
    """Scan again the places whose candidates another place proves, with those public keys
    known; their proven findings replace the weaker ones at the same line and column. Returns
    how many places were scanned again."""
    clues, result.clues = result.clues, None
    if clues is None:
        return 0
    matched = clues.matches()
    for place, found in matched.items():
        new = rescan(place, frozenset(found))
        upgrade(result.findings, new, found, path=place.label)
    if matched:  # logging imported only here: its fork handlers must not run in every scan
        import logging

        logging.getLogger("nsecguard.crossproof").debug(
            "proof across files: %d of %d places scanned again", len(matched), len(clues.wanted)
        )
    return len(matched)


def upgrade(
    findings: list[Finding], new: Iterable[Finding], found: dict[bytes, str], *, path: str
) -> list[Finding]:
    """Put the findings of `new` proven by a key of `found` into `findings` (in place), each
    replacing what stood at its path, line and column; returns the proven ones."""
    proven: dict[tuple[int, int], Finding] = {}
    for f in new:
        pub = bytes.fromhex(f.pubkey) if f.pubkey else None
        if pub is None or pub not in found or not f.reason.startswith(SAME_TEXT):
            continue
        reason = f"its public key appears in {found[pub]}" + f.reason[len(SAME_TEXT) :]
        proven[(f.line, f.column)] = f.moved(reason=reason)
    if proven:
        findings[:] = [f for f in findings if f.path != path or (f.line, f.column) not in proven]
        findings.extend(proven.values())
    return list(proven.values())


def rescan_file(options: Options) -> Rescan:
    """Scan a file of a tree again (`Place.ref`: its file system path), with public keys known."""

    def rescan(place: Place, known: frozenset[bytes]) -> list[Finding]:
        from nsecguard import textio
        from nsecguard.paths import mark_ignored
        from nsecguard.stream import read_chunks, scan_chunks

        try:
            with open(place.ref, "rb") as fh:
                head = fh.read(textio.SNIFF_BYTES)
                encoding = textio.sniff(head)
                if encoding is None:
                    return []
                chunks: Iterable[bytes] = read_chunks(fh, head)
                if encoding:
                    chunks = textio.transcode(chunks, encoding)
                found = list(scan_chunks(chunks, path=place.label, options=options, known_pubkeys=known))
        except OSError:
            return []  # gone since: its first findings stand
        if place.ignored:
            mark_ignored(found)
        return found

    return rescan
