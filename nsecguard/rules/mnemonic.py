"""A BIP-39 seed phrase (NIP-06 mnemonic): 12, 15, 18, 21 or 24 words of the English list with a
valid checksum, in prose, numbered lists, one word a line, JSON arrays or env values, any case,
where a name or a numbered list stands before it (below). The key NIP-06 derives from it
(m/44'/1237'/0'/0/0) names its owner.

First pass: Hyperscan cannot hold "twelve list words in a row" (the 2048-word alternation is
past its pattern-size limit even twice over) and shape patterns (`(?:[a-z]{3,8} ){11}...`) keep
its automata busy through all prose, slowing the whole pass 2-3 times. So the first pass looks
for what stands around a leaked phrase instead, all of it literal-led (see docs/detection.md):
the words that name one (`mnemonic`, `seed phrase`, `recovery words`, `BIP-39`, `NIP-06`, a
value assigned to `seed`, `words` or `phrase`), and a numbered list that starts `1. word 2. word`.
(A pattern for lists of quoted short words cost 10-17% of the pass's speed: left out.) A bare
phrase with none of these before it is not looked for.

The finder is linear: it reads REACH bytes after each anchor, classes tokens at C speed, and
computes checksums only for runs of list words of a phrase's length (a run much longer than a
phrase, such as a word list, is tried line by line only). Each derivation costs ~2-4 ms
(PBKDF2), so a buffer derives at most MAX_DERIVATIONS keys; phrases beyond that are reported without an npub.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING

from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import KEY_CHAT_ADVICE, Detector, Hit, Rule, Sample, Scan, overlaps

if TYPE_CHECKING:
    from nsecguard.candidates import LiteralFinder

KIND = Kind.define("mnemonic")
LENGTHS = (24, 21, 18, 15, 12)  # the phrase lengths BIP-39 allows, longest first
SLACK = 3  # list words a run may hold beside its phrase ("... seed: word word ...")
MAX_DERIVATIONS = 64  # PBKDF2 runs per buffer; more phrases are reported without an npub
LANGUAGE = "english"

# A word, or one character that breaks a run (anything not a letter and not a separator).
# Separators: white space, commas, quotes, brackets, and the numbering of a list (`1.`, `2)`).
_TOKEN = rb"[a-z]+|\n|[^a-z\s,;\"'`\[\](){}.0-9]"
_NUMBERING = rb"(?:^|(?<=[\s\"'\[(]))[0-9]{1,2}[.):]?[ \t]*$"
_CUE = rb"mnemonic|seed|recovery|backup|secret (?:phrase|words)|passphrase|bip-?39|nip-?06|words"
_NOSTR_CUE = rb"nostr|nip-?06|nsec|npub"
CUE_WINDOW = 160  # bytes before a phrase searched for a word naming it

# First-pass patterns (caseless; Hyperscan and `re` read them alike)
_NAMES = (
    rb"mnemonic",
    rb"seed[ _-]?(?:phrase|words)",
    rb"recovery[ _-]?(?:phrase|words|seed)",
    rb"backup[ _-]?(?:phrase|words)",
    rb"secret[ _-]?(?:phrase|words)",
    rb"bip[ _-]?39",
    rb"nip[ _-]?0?6\b",
    # a value assigned to a name that says what it is: `seed = "...`, `"words": [`, `PHRASE='`
    rb"seed[\"']?[ \t]*[:=][ \t]*[\"'\[(]",
    rb"words[\"']?[ \t]*[:=][ \t]*[\"'\[(]",
    rb"phrase[\"']?[ \t]*[:=][ \t]*[\"'\[(]",
)
_NAMED = b"|".join(_NAMES)
_LISTED = rb"\b1[.)][ \t]*[a-z]{3,8}\b[ \t,]*\r?\n?[ \t]*2[.)][ \t]*[a-z]{3,8}\b"
PATTERNS = (_NAMED, _LISTED)
# The same, for `re`: one regex each, led by a literal (an alternation of them runs at ~25 MB/s,
# each alone at 0.3-2 GB/s); the `\b` before `1.` is checked by hand (it too slows `re`).


class _Compiled:
    """The finder's regexes (a plain class: a NamedTuple costs a millisecond to define)."""

    def __init__(self) -> None:
        self.token = re.compile(_TOKEN)
        self.numbering = re.compile(_NUMBERING)
        self.cue = re.compile(_CUE)
        self.nostr_cue = re.compile(_NOSTR_CUE)
        self.nip06 = re.compile(rb"nip-?06")
        listed = re.compile(_LISTED.removeprefix(rb"\b"))
        # (leading literal, pattern, `\b` before it), one for each first-pass alternative
        self.led = [(_lead(p), re.compile(p), False) for p in _NAMES]
        self.led += [(b"1.", listed, True), (b"1)", listed, True)]
        self.run = re.compile(rb"[\x01\x02]+")
        self.line = re.compile(rb"\x01+")


def _lead(pattern: bytes) -> bytes:
    """The literal letters a pattern starts with."""
    return pattern[: len(pattern) - len(pattern.lstrip(b"abcdefghijklmnopqrstuvwxyz"))]


@lru_cache(maxsize=1)
def _re() -> _Compiled:
    """The regexes, compiled on first use (not at import: every commit hook pays imports)."""
    return _Compiled()


_WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def anchors(low: bytes) -> list[tuple[int, int]]:
    """Where the first-pass patterns match in a lower-cased buffer (start, end), sorted."""
    return sorted(_matches(low))


def _fires(low: bytes) -> bool:
    return next(_matches(low), None) is not None


def _matches(low: bytes) -> Iterator[tuple[int, int]]:
    """Each pattern tried only where its leading literal stands (found by one Hyperscan pass for
    all the literals, or by `bytes.find` for each: both at GB/s, where a regex search runs at
    ~150 MB/s); `1.` must not follow a letter or digit (the `\b`)."""
    led = _re().led
    finder = _lead_finder()
    if finder is not None and len(low) > _ONE_PASS_FROM:
        for index, at in finder(low):
            _literal, pattern, bounded = led[index]
            m = pattern.match(low, at)
            if m is not None and not (bounded and at and low[at - 1] in _WORD_CHARS):
                yield m.span()
        return
    for literal, pattern, bounded in led:
        at = low.find(literal)
        while at >= 0:
            m = pattern.match(low, at)
            if m is not None and not (bounded and at and low[at - 1] in _WORD_CHARS):
                yield m.span()
            at = low.find(literal, at + 1)


_ONE_PASS_FROM = 4096  # a buffer longer than this is searched for every literal in one pass


@lru_cache(maxsize=1)
def _lead_finder() -> LiteralFinder | None:
    """The leading literals of the first-pass patterns, in one Hyperscan database (compiled on
    first use, ~1 ms): a long file is read once, not a dozen times (`bytes.find` per literal cost
    9 ms of the 26 the engine spent on a copy of Python's standard library)."""
    from nsecguard import candidates

    return candidates.literal_finder(tuple(literal for literal, _, _ in _re().led))


class Phrase:
    """A valid phrase: byte offsets of its first word (or its numbering) and of the end of its
    last, its words, its entropy, and whether the run of list words is the phrase, no more."""

    __slots__ = ("end", "entropy", "start", "whole", "words")

    def __init__(self, start: int, end: int, words: tuple[str, ...], entropy: bytes, whole: bool) -> None:
        self.start, self.end, self.words, self.entropy, self.whole = start, end, words, entropy, whole

    def __repr__(self) -> str:  # never the words
        return f"Phrase({self.start}, {self.end}, {len(self.words)} words)"


@lru_cache(maxsize=1)
def wordlist() -> dict[bytes, int]:
    """The BIP-39 English list (the `mnemonic` package's), word -> index. Read from the
    package's own file where it can be found without importing the package (~7 ms, paid by
    every worker that meets an anchor); `Mnemonic(...)` otherwise."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("mnemonic")
    for where in (spec.submodule_search_locations or []) if spec is not None else []:
        try:
            with open(os.path.join(where, "wordlist", f"{LANGUAGE}.txt"), "rb") as fh:
                words = fh.read().split()
        except OSError:
            continue
        if len(words) == 2048:
            return {w: i for i, w in enumerate(words)}
    from mnemonic import Mnemonic

    return {w.encode(): i for i, w in enumerate(Mnemonic(LANGUAGE).wordlist)}


def entropy_of(indexes: list[int]) -> bytes | None:
    """The entropy a phrase encodes, or None when its checksum is wrong (BIP-39: the phrase is
    entropy + the first len/32 bits of its SHA-256, 11 bits a word)."""
    n = len(indexes)
    if n not in LENGTHS:
        return None
    value = 0
    for i in indexes:
        value = (value << 11) | i
    check_bits = n // 3
    entropy = (value >> check_bits).to_bytes(check_bits * 4, "big")
    import hashlib  # here: a clean scan never needs it

    digest = hashlib.sha256(entropy).digest()
    if digest[0] >> (8 - check_bits) != value & ((1 << check_bits) - 1):
        return None
    return entropy


def phrases(data: bytes, low: bytes | None = None) -> Iterator[Phrase]:
    """Every checksum-valid phrase near a first-pass anchor in `data` (a word naming it, the
    start of a numbered list), in order, none overlapping, in linear time. Only the REACH bytes
    after each anchor are read, and after each phrase found (a list of phrases goes on), so a
    long file with one anchor costs little."""
    low = data.lower() if low is None else low
    size = len(low)
    if size <= WHOLE_TEXT:  # a message, a note: read whole, named or not
        yield from _phrases_in(low, 0, size)
        return
    spans = anchors(low)
    claimed = 0  # the end of the last phrase found: nothing before it is read again
    i = 0
    while i < len(spans):
        a, b = max(spans[i][0], claimed), min(size, spans[i][1] + REACH)
        while True:
            while i < len(spans) and spans[i][0] <= b:  # anchors whose reach overlaps: one read
                b = max(b, min(size, spans[i][1] + REACH))
                i += 1
            for phrase in _phrases_in(low, a, b):
                claimed = phrase.end
                yield phrase
            if claimed <= a or claimed + REACH <= b:
                break
            a, b = claimed, min(size, claimed + REACH)


_CLASS = bytes(
    ord("a")
    if chr(c).isascii() and chr(c).islower()
    else ord(" ")
    if chr(c) in " \t\r\n\f\v,;\"'`[](){}.0123456789"
    else ord("#")
    for c in range(256)
)


# 12 words of 3-8 letters in a row (what a phrase needs at least), whole words only, over the
# byte classes (letters "a", the separators a phrase may hold " ", anything else "#")
_TWELVE = re.compile(rb"(?<!a)(?:a{3,8} +){11}a{3,8}(?!a)")


def _twelve_words(low: bytes) -> bool:
    """Could `low` hold 12 words of 3-8 letters in a row? One translate and one search over a
    three-letter alphabet (C speed; no word list, no Python loop)."""
    return _TWELVE.search(low.translate(_CLASS)) is not None


# The same shape over raw bytes, for Hyperscan (caseless): without the word boundaries, so it
# matches wherever `_TWELVE` does, and at ~1 µs a note against ~3 µs for a translate and `re`
_TWELVE_RAW = rb"(?:[a-z]{3,8}[ \t\r\n\f\v,;\"'`\[\](){}.0-9]+){11}[a-z]{3,8}"
# letters lower-cased, anything else a space: the words of a text by one translate and a split
_TO_WORDS = bytes(c | 0x20 if chr(c).isascii() and chr(c).isalpha() else 0x20 for c in range(256))
_TWELVE_LISTED = b"\x01" * 12


def may_hold_phrase(data: bytes) -> bool:
    """Could a short text hold a phrase anywhere? Only where 12 list words stand in a row (any
    characters but letters between them): the test that lets a note or a small file past the
    gates, ~3 µs where the first pass saw 12 words' shape. It splits at least where the finder's
    tokens split (and more), so it says yes wherever the finder could find a phrase."""
    flags = bytes(map(_listed().__contains__, data.translate(_TO_WORDS).split()))
    return _TWELVE_LISTED in flags


# A text this short (a chat message, a note, a commit message) is read whole, with or without a
# word naming a phrase: that is where people paste a bare seed phrase. Rejecting one costs one
# regex search of at most 1 KB (no 12 word-shaped tokens in a row: a few microseconds).
WHOLE_TEXT = 1024
REACH = CUE_WINDOW + 24 * 16  # a phrase starts within CUE_WINDOW of its anchor; 24 words follow


def _phrases_in(whole: bytes, offset: int, stop: int) -> Iterator[Phrase]:
    """The phrases in whole[offset:stop]. Tokens are classed at C speed (a findall and a map);
    Python loops only over runs of 12+ list words, and byte offsets are computed only once a
    valid phrase is found."""
    low = whole[offset:stop]
    if not _twelve_words(low):
        return  # no 12 word-shaped tokens in a row: no need to load the word list (~7 ms)
    r = _re()
    index = wordlist()
    tokens = r.token.findall(low)
    flags = bytes(map(_flags().get, tokens, repeat(0)))
    codes: list[int] | None = None
    spans: list[tuple[int, int]] | None = None
    for run in r.run.finditer(flags):
        s, e = run.span()
        words = flags.count(b"\x01", s, e)
        if words < LENGTHS[-1]:
            continue
        if codes is None:
            codes = [index.get(t, -1) for t in tokens]
        lines = [m.span() for m in r.line.finditer(flags, s, e) if m.end() - m.start() in LENGTHS]
        if words <= LENGTHS[0] + 2 * SLACK:
            # lines that are a phrase by themselves first (a window across two such lines is
            # valid by chance once in 16); the whole run only when none is
            valid = [(a, b) for a, b in lines if entropy_of([codes[k] for k in range(a, b)]) is not None]
            segments = valid or [(s, e)]
        else:  # a long run (a word list, lines of phrases): only a line that is a phrase by itself
            segments = lines
        for a, b in segments:
            at = [k for k in range(a, b) if flags[k] == 1]
            found = list(_windows([codes[k] for k in at], len(at)))
            if not found:
                continue
            if spans is None:
                spans = [m.span() for m in r.token.finditer(low)]
            for first, n, entropy in found:
                start, end = spans[at[first]][0], spans[at[first + n - 1]][1]
                numbering = r.numbering.search(low, max(0, start - 8), start)
                if numbering is not None:
                    start = numbering.start()
                start, end = start + offset, end + offset
                phrase = tuple(tokens[at[k]].decode() for k in range(first, first + n))
                yield Phrase(start, end, phrase, entropy, n == len(at))


@lru_cache(maxsize=1)
def _listed() -> frozenset[bytes]:
    """The list words, for a membership test (a set's `__contains__` is the cheapest map)."""
    return frozenset(wordlist())


@lru_cache(maxsize=1)
def _flags() -> dict[bytes, int]:
    """Token -> 1 (a list word) or 2 (a line break, which does not end a run); else 0."""
    flags = dict.fromkeys(wordlist(), 1)
    flags[b"\n"] = 2
    return flags


def _windows(codes: list[int], total: int, offset: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(first word, length, entropy) of the longest valid phrase in a short run (the last of
    that length: words naming a phrase, `seed phrase:`, are list words too), then of those left
    on either side of it, in order."""
    for n in LENGTHS:
        for at in reversed(range(len(codes) - n + 1)):  # a name stands before, not after
            entropy = entropy_of(codes[at : at + n])
            if entropy is None:
                continue
            yield from _windows(codes[:at], total, offset)
            yield offset + at, n, entropy
            yield from _windows(codes[at + n :], total, offset + at + n)
            return


def find(scan: Scan) -> Iterable[Hit]:
    from nsecguard import keys
    from nsecguard.rules import bip32

    buf = scan.buf
    derived = 0
    for p in phrases(buf.data, buf.lower):
        if scan.taken and overlaps(scan.taken, p.start, p.end):
            continue
        before = buf.lower[max(0, p.start - CUE_WINDOW) : p.start]
        r = _re()
        named = r.cue.search(before) is not None
        nostr = named and (r.nostr_cue.search(before) is not None or buf.nostr)
        pub: bytes | None = None
        if derived < MAX_DERIVATIONS:
            derived += 1
            try:
                pub = keys.xonly_pubkey(bip32.nip06_key(" ".join(p.words)))
            except bip32.DerivationError:
                pub = None
        if len(set(p.words)) <= WELL_KNOWN_DISTINCT:
            # `abandon abandon ... about`, `zoo zoo ... wrong`: the BIP-39 spec's test phrases,
            # in every wallet's tests; no one's secret (as the scalars 1, 2... are not)
            conf, reason = (
                Confidence.LOW,
                "well-known: a BIP-39 test phrase of repeated words, no one's secret",
            )
        elif pub is not None and pub in buf.pubkeys:
            conf, reason = (
                Confidence.CERTAIN,
                "BIP-39 phrase whose NIP-06 key's public key appears in the same text",
            )
        elif nostr:
            conf, reason = (
                Confidence.CERTAIN if r.nip06.search(before) else Confidence.HIGH,
                ("BIP-39 phrase with a valid checksum, named as a Nostr seed phrase"),
            )
        elif named:
            conf, reason = Confidence.HIGH, "BIP-39 phrase with a valid checksum, named as a seed phrase"
        elif p.whole:
            conf, reason = Confidence.MEDIUM, WALLET_REASON
        else:
            conf, reason = Confidence.LOW, WALLET_REASON + " (inside a longer run of list words)"
        if pub is None:
            yield Hit(KIND, conf, p.start, p.end, None, "", reason, secret=("bip39", p.entropy))
        else:
            yield Hit(KIND, conf, p.start, p.end, pub, keys.fingerprint_pubkey(pub), reason)


WELL_KNOWN_DISTINCT = 3  # a phrase of this many distinct words or fewer is a spec test phrase
WALLET_REASON = "a BIP-39 seed phrase; it may also hold a Bitcoin wallet"

DETECTOR = Detector(
    name="mnemonic",
    patterns=PATTERNS,
    caseless=True,
    find=find,
    whole_below=WHOLE_TEXT,
    whole_test=may_hold_phrase,
    whole_patterns=(_TWELVE_RAW,),
    fallback=lambda data, low: _fires(low),
    order=30,
)

RULE = Rule(
    kind=KIND,
    severity=Severity.CRITICAL,
    title="BIP-39 seed phrase (NIP-06 mnemonic)",
    advice=(
        "it derives this Nostr key and any wallet made from it: move to a new key, and move any "
        "funds to a new seed, now"
    ),
    help="A BIP-39 seed phrase (12-24 words of the English list with a valid checksum). NIP-06 "
    "derives a Nostr private key from it (m/44'/1237'/0'/0/0), and wallets derive Bitcoin keys "
    "from the same phrase: whoever saw it holds them all. Remove it from the file and every copy, "
    "move the Nostr account to a new key and any funds to a new seed. A public test vector? "
    'Allow it by npub (`allow = ["npub1..."]` under `[tool.nsecguard]`) or put '
    "`nsecguard: allow` in a comment on its first line.",
    chat_words="a seed phrase (BIP-39 / NIP-06 mnemonic)",
    chat_advice=KEY_CHAT_ADVICE.replace("private key (nsec or hex)", "private key or seed phrase"),
    noun="a seed phrase",
    action="that seed and every key made from it are compromised: move to a new key and a new seed",
    detectors=(DETECTOR,),
    replacement="[seed phrase removed]",
    env_name="NOSTR_SEED_PHRASE",
    secret_type="Nostr Mnemonic (BIP-39 seed phrase)",
    precision="high",
    is_key=True,
    samples=(
        Sample("nostr seed phrase: {mnemonic}", True, Confidence.HIGH, "named, in prose"),
        Sample('MNEMONIC="{MNEMONIC}"', True, Confidence.HIGH, "an env value, upper case"),
        Sample("{mnemonic_numbered}", True, Confidence.MEDIUM, "a numbered list, no name"),
        Sample("words = {mnemonic_json}", True, Confidence.MEDIUM, "a JSON array"),
        Sample("recovery words:\n{mnemonic_lines}\n", True, Confidence.HIGH, "one word a line"),
        Sample("my mnemonic: {mnemonic24}", True, Confidence.HIGH, "24 words"),
        Sample("mnemonic: {mnemonic_bad}", False, note="list words, a wrong checksum"),
        Sample(
            "the mnemonic is about the seed: you can find it above all others",
            False,
            note="prose of list words",
        ),
    ),
)
