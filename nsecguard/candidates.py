"""The first pass over every byte: which kinds of candidate does a buffer hold at all?

Most files hold none, so this pass decides the scanner's speed. With the `hyperscan` wheel all
patterns run in one pass (GB/s); without it, a pure-Python fallback gives the same answers more
slowly. Only buffers with a hit go on to the (slower) exact extraction in `engine`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from nsecguard import rules
from nsecguard.rules.base import Detector

# Any base64 token that can hold a key is at least 84 characters long (a 64-hex key encodes to
# 88, an nsec to 84), or, wrapped by `base64`/MIME, 76 to a line. One plain run of the alphabet
# is the cheapest sign (Hyperscan: ~3 GB/s with the rest, against ~1.2 with per-literal
# signatures) and fires in well under 1% of source files; `engine` then checks tokens exactly.
_B64_RUN = rb"[A-Za-z0-9+/_-]{76}"
_FALLBACK_B64 = re.compile(_B64_RUN)

BASE64 = 1  # the engine's own pattern (it decodes and scans inside); each detector has the next bits


def bit(detector: Detector) -> int:
    """The bit of the prefilter's mask that says `detector`'s patterns matched."""
    return _bits()[detector.name]


@lru_cache(maxsize=1)
def _bits() -> dict[str, int]:
    return {d.name: 1 << (i + 1) for i, d in enumerate(rules.detectors())}


# the 0.1 names of the bits (tests and benchmarks use them)
_OLD_NAMES = {
    "NSEC": "nsec",
    "NCRYPTSEC": "ncryptsec",
    "URI": "connection-uri",
    "HEX": "hex",
    "BYTES": "byte-array",
}


def __getattr__(name: str) -> int:
    detector = _OLD_NAMES.get(name)
    if detector is None:
        raise AttributeError(f"module 'nsecguard.candidates' has no attribute {name!r}")
    return _bits()[detector]


def forget() -> None:
    """The rules changed (`rules.register`): build the bits and the pattern database anew."""
    _bits.cache_clear()
    _whole_readers.cache_clear()
    _whole_tests.cache_clear()
    _short_first.cache_clear()
    secret_bits.cache_clear()
    get_prefilter.cache_clear()


@lru_cache(maxsize=1)
def secret_bits() -> int:
    """The bits of a mask that may mean a secret: every one but those of clue-only detectors
    (a buffer whose only hit is an npub holds no secret; a source that needs no clues stops)."""
    return BASE64 | sum(bit(d) for d in rules.detectors() if not d.clue_only)


@lru_cache(maxsize=1)
def _whole_readers() -> tuple[Detector, ...]:
    return tuple(d for d in rules.detectors() if d.whole_below)


@lru_cache(maxsize=1)
def _whole_tests() -> tuple[tuple[int, int, bool, Callable[[bytes], bool] | None], ...]:
    """(bit, whole_below, has whole patterns, whole_test) of each whole reader, as `gate` asks
    them on every note and commit message (looked up once, not per call)."""
    return tuple((bit(d), d.whole_below, bool(d.whole_patterns), d.whole_test) for d in _whole_readers())


def gate(data: bytes, first: Prefilter | None = None) -> int:
    """The first pass as every source asks it before it calls the engine: the prefilter's mask,
    plus the bit of each detector that reads a buffer this short whole (`whole_below`) and whose
    quick test says it may find something in it: a bare seed phrase in a note, a commit message
    or a small file, which no first-pass pattern can see. 0: the engine would find nothing.
    `first`: the prefilter to ask (the pattern database's, unless given)."""
    size = len(data)
    if size > rules.whole_below():
        return (first or get_prefilter())(data)
    if first is None:  # one pass of the first pass's patterns and the detectors' whole patterns
        found = _short_first()(data)
        mask, shaped = found & _MAIN, found >> _WHOLE_SHIFT
    else:
        mask, shaped = first(data), -1
    for b, below, has_patterns, whole_test in _whole_tests():
        if mask & b or size > below or not (shaped & b or not has_patterns):
            continue
        if whole_test is None or whole_test(data):
            mask |= b
    return mask


_WHOLE_SHIFT = 16  # a whole pattern's id in `_short_first`: its detector's bit, shifted (ids are 32-bit)
_MAIN = (1 << _WHOLE_SHIFT) - 1


@lru_cache(maxsize=1)
def _short_first() -> Prefilter:
    """For buffers of at most `whole_below` bytes: the first pass's patterns and the detectors'
    `whole_patterns` (their bits shifted by _WHOLE_SHIFT) in one Hyperscan pass. Without
    Hyperscan: the prefilter, and every whole bit (each `whole_test` then decides)."""
    prefilter = get_prefilter()
    every = -1 << _WHOLE_SHIFT
    whole = tuple((bit(d) << _WHOLE_SHIFT, p, True) for d in _whole_readers() for p in d.whole_patterns)
    if prefilter is python_prefilter or len(rules.detectors()) >= _WHOLE_SHIFT - 1:
        return lambda data: prefilter(data) | every
    both = _hyperscan_prefilter(patterns() + whole, "short") if whole else None
    return both or (lambda data: prefilter(data) | every)


def patterns() -> tuple[tuple[int, bytes, bool], ...]:
    """(bit, pattern, caseless) of every first-pass pattern."""
    out = [(BASE64, _B64_RUN, False)]
    for d in rules.detectors():
        out.extend((bit(d), p, d.caseless) for p in d.patterns)
    return tuple(out)


Prefilter = Callable[[bytes], int]


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nsecguard")


def _hyperscan_prefilter(
    table: tuple[tuple[int, bytes, bool], ...] | None = None, name: str = "hs"
) -> Prefilter | None:
    """A prefilter over `table`'s (bit, pattern, caseless) (the first pass's, unless given),
    compiled once and cached on disk as `name-<hash>.db`; None without the `hyperscan` wheel."""
    try:
        import hyperscan
    except ImportError:
        return None
    _PATTERNS = patterns() if table is None else table
    flags = [
        hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        for _, _, caseless in _PATTERNS
    ]
    db = _database(name, [p for _, p, _ in _PATTERNS], [bit for bit, _, _ in _PATTERNS], flags)

    import threading

    # One scratch space per thread (Hyperscan refuses concurrent use of one), and one callback
    # and result cell per thread, reused across calls: a clean buffer costs one C call.
    local = threading.local()
    main_scratch = db.scratch
    prototype = main_scratch.clone()  # never scanned with, so cloning it never races a scan
    main_thread = threading.get_ident()
    scan = db.scan

    def prefilter(buf: bytes) -> int:
        try:
            found, on_match, scratch = local.state
        except AttributeError:
            found = [0]

            def on_match(bit: int, _start: int, _end: int, _flags: int, _ctx: object) -> None:
                found[0] |= bit

            scratch = main_scratch if threading.get_ident() == main_thread else prototype.clone()
            local.state = (found, on_match, scratch)
        found[0] = 0
        scan(buf, on_match, 0, None, scratch)  # positional: keywords cost as much as a clean scan
        mask: int = found[0]
        return mask

    return prefilter


def _database(name: str, expressions: list[bytes], ids: list[int], flags: list[int]) -> Any:
    """A Hyperscan block-mode database of `expressions`, with its scratch space: loaded from the
    disk cache (`name-<hash>.db`) when one was stored for these expressions, this wheel and this
    CPU, else compiled (~7-60 ms) and stored for the next process."""
    import zlib

    import hyperscan

    ident = repr(
        (expressions, ids, flags, getattr(hyperscan, "__version__", "?"), sys.platform, os.uname().machine)
    )
    cached = os.path.join(_cache_dir(), f"{name}-{zlib.crc32(ident.encode()):08x}{len(ident):x}.db")
    try:
        with open(cached, "rb") as fh:
            db = hyperscan.loadb(fh.read(), hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
        return db
    except Exception:  # no cache yet, or one from another CPU: compile afresh
        pass
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
    _store(cached, hyperscan.dumpb(db))
    return db


def _store(path: str, blob: bytes) -> None:
    import tempfile

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".hs-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the compile time on the next start


def python_prefilter(buf: bytes) -> int:
    low = buf.lower()
    mask = BASE64 if _FALLBACK_B64.search(buf) else 0
    for d in rules.detectors():
        if d.fallback(buf, low):
            mask |= bit(d)
    return mask


@lru_cache(maxsize=1)
def get_prefilter() -> Prefilter:
    if os.environ.get("NSECGUARD_NO_HYPERSCAN"):
        return python_prefilter
    return _hyperscan_prefilter() or python_prefilter


LiteralFinder = Callable[[bytes], list[tuple[int, int]]]


def literal_finder(literals: tuple[bytes, ...]) -> LiteralFinder | None:
    """A function giving (literal's index, start) of every occurrence of each of `literals` in
    a buffer, overlapping ones too (what `bytes.find` from each occurrence + 1 finds), in one
    Hyperscan pass: a detector that looks for a dozen literals across a long file pays one pass,
    not a dozen. None without the `hyperscan` wheel (or when `NSECGUARD_NO_HYPERSCAN` is set)."""
    if os.environ.get("NSECGUARD_NO_HYPERSCAN"):
        return None
    try:
        import hyperscan
    except ImportError:
        return None
    import threading

    db = _database(
        "lit", [re.escape(lit) for lit in literals], list(range(len(literals))), [0] * len(literals)
    )
    sizes = [len(lit) for lit in literals]
    local = threading.local()
    scan = db.scan

    def find(buf: bytes) -> list[tuple[int, int]]:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = hyperscan.Scratch(db)
        found: list[tuple[int, int]] = []

        def on_match(index: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            found.append((index, end - sizes[index]))

        scan(buf, on_match, 0, None, scratch)
        return found

    return find
