"""A BIP-39 seed phrase (NIP-06 mnemonic): 12, 15, 18, 21 or 24 words of the English list with a
valid checksum, in prose, numbered lists, one word a line, JSON arrays or env values, any case.
The key NIP-06 derives from it (m/44'/1237'/0'/0/0) names its owner.

First pass: Hyperscan cannot hold "twelve list words in a row" (the 2048-word alternation is
past its pattern-size limit even twice over) and shape patterns (`(?:[a-z]{3,8} ){11}...`) keep
its automata busy through all prose, slowing the whole pass 2-3 times. So the first pass looks
for what stands around a leaked phrase instead, all of it literal-led (see docs/detection.md):
the words that name one (`mnemonic`, `seed phrase`, `recovery words`, `BIP-39`, `NIP-06`...), a
numbered list that starts `1. word 2. word`, and a bracketed list that starts with four quoted
short words. A bare phrase with none of these around it is not looked for.

The finder is linear: one tokenising regex over the buffer, one dict lookup a word, and
checksums only for runs of list words of a phrase's length (a run much longer than a phrase,
such as a word list, is tried line by line only). Each derivation costs ~2-4 ms (PBKDF2), so a
buffer derives at most MAX_DERIVATIONS keys; phrases beyond that are reported without an npub.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from nsecguard import keys
from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import KEY_CHAT_ADVICE, Detector, Hit, Rule, Sample, Scan, overlaps

KIND = Kind.define("mnemonic")
LENGTHS = (24, 21, 18, 15, 12)  # the phrase lengths BIP-39 allows, longest first
SLACK = 3  # list words a run may hold beside its phrase ("... seed: word word ...")
MAX_DERIVATIONS = 64  # PBKDF2 runs per buffer; more phrases are reported without an npub
LANGUAGE = "english"

# A word, or one character that breaks a run (anything not a letter and not a separator).
# Separators: white space, commas, quotes, brackets, and the numbering of a list (`1.`, `2)`).
_TOKEN = re.compile(rb"[a-z]+|[^a-z\s,;\"'`\[\](){}.:0-9]")
_NUMBERING = re.compile(rb"(?:^|(?<=[\s\"'\[(]))[0-9]{1,2}[.):]?[ \t]*$")
_CUE = re.compile(rb"mnemonic|seed|recovery|backup|secret (?:phrase|words)|passphrase|bip-?39|nip-?06|words")
_NOSTR_CUE = re.compile(rb"nostr|nip-?06|nsec|npub")
CUE_WINDOW = 160  # bytes before a phrase searched for a word naming it

# First-pass patterns (caseless; Hyperscan and `re` read them alike)
_NAMED = (
    rb"mnemonic|seed[ _-]?(?:phrase|words)|recovery[ _-]?(?:phrase|words|seed)|"
    rb"backup[ _-]?(?:phrase|words)|secret[ _-]?(?:phrase|words)|bip[ _-]?39|nip[ _-]?0?6\b"
)
_LISTED = rb"\b1[.)][ \t]*[a-z]{3,8}\b[ \t,]*\r?\n?[ \t]*2[.)][ \t]*[a-z]{3,8}\b"
_QUOTED = rb"[\[(][ \t\r\n]*[\"'][a-z]{3,8}[\"'](?:[ \t\r\n]*,[ \t\r\n]*[\"'][a-z]{3,8}[\"']){3}"
PATTERNS = (_NAMED, _LISTED, _QUOTED)
_FALLBACK = re.compile(b"|".join(b"(?:" + p + b")" for p in PATTERNS))


class Phrase(NamedTuple):
    start: int  # byte offsets of the first word (or its numbering) and the end of the last
    end: int
    words: tuple[str, ...]
    entropy: bytes
    whole: bool  # the run of list words is the phrase, nothing more


@lru_cache(maxsize=1)
def wordlist() -> dict[bytes, int]:
    """The BIP-39 English list (the `mnemonic` package's), word -> index."""
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
    digest = hashlib.sha256(entropy).digest()
    if digest[0] >> (8 - check_bits) != value & ((1 << check_bits) - 1):
        return None
    return entropy


def phrases(data: bytes) -> Iterator[Phrase]:
    """Every checksum-valid phrase in `data`, in order, none overlapping (linear time)."""
    index = wordlist()
    low = data.lower()
    run: list[tuple[int, int, int]] = []  # (start, end, word index)
    for m in _TOKEN.finditer(low):
        token = m.group()
        i = index.get(token)
        if i is not None:
            run.append((m.start(), m.end(), i))
            continue
        if len(run) >= LENGTHS[-1]:
            yield from _in_run(low, run)
        run = []
    if len(run) >= LENGTHS[-1]:
        yield from _in_run(low, run)


def _in_run(low: bytes, run: list[tuple[int, int, int]]) -> Iterator[Phrase]:
    if len(run) <= LENGTHS[0] + 2 * SLACK:
        yield from _windows(low, run, whole_if=len(run))
        return
    # a long run (a word list, lines of phrases): only a line that is a phrase by itself
    line: list[tuple[int, int, int]] = []
    for word in run:
        if line and b"\n" in low[line[-1][1] : word[0]]:
            if len(line) in LENGTHS:
                yield from _windows(low, line, whole_if=len(line))
            line = []
        line.append(word)
    if len(line) in LENGTHS:
        yield from _windows(low, line, whole_if=len(line))


def _windows(low: bytes, run: list[tuple[int, int, int]], whole_if: int) -> Iterator[Phrase]:
    """The longest valid phrase in a short run, then those in what is left on either side."""
    for n in LENGTHS:
        for at in range(len(run) - n + 1):
            entropy = entropy_of([w[2] for w in run[at : at + n]])
            if entropy is None:
                continue
            yield from _windows(low, run[:at], whole_if=-1)
            first, last = run[at], run[at + n - 1]
            start = first[0]
            numbering = _NUMBERING.search(low, max(0, start - 8), start)
            if numbering is not None:
                start = numbering.start()
            words = tuple(low[s:e].decode() for s, e, _ in run[at : at + n])
            yield Phrase(start, last[1], words, entropy, n == whole_if)
            yield from _windows(low, run[at + n :], whole_if=-1)
            return


def find(scan: Scan) -> Iterable[Hit]:
    from nsecguard.rules import bip32

    buf = scan.buf
    derived = 0
    for p in phrases(buf.data):
        if scan.taken and overlaps(scan.taken, p.start, p.end):
            continue
        before = buf.lower[max(0, p.start - CUE_WINDOW) : p.start]
        named = _CUE.search(before) is not None
        nostr = named and (_NOSTR_CUE.search(before) is not None or buf.nostr)
        pub: bytes | None = None
        if derived < MAX_DERIVATIONS:
            derived += 1
            try:
                pub = keys.xonly_pubkey(bip32.nip06_key(" ".join(p.words)))
            except bip32.DerivationError:
                pub = None
        if pub is not None and pub in buf.pubkeys:
            conf, reason = (
                Confidence.CERTAIN,
                "BIP-39 phrase whose NIP-06 key's public key appears in the same text",
            )
        elif nostr:
            conf, reason = (
                Confidence.CERTAIN if _NIP06.search(before) else Confidence.HIGH,
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


_NIP06 = re.compile(rb"nip-?06")
WALLET_REASON = "a BIP-39 seed phrase; it may also hold a Bitcoin wallet"

DETECTOR = Detector(
    name="mnemonic",
    patterns=PATTERNS,
    caseless=True,
    find=find,
    fallback=lambda data, low: _FALLBACK.search(low) is not None,
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
