"""The detection engine: text in, findings out. Pure: no I/O, no global state.

Pass 1 (`candidates`) says which kinds of candidate a buffer holds at all. Pass 2 extracts
them exactly and validates each one: bech32 checksum (with one-typo repair), scalar range,
public-key derivation, the names around hex values, and proof by finding the derived public
key in the same text. Findings carry the owner's npub and a fingerprint, never the key.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from nsecguard import bech32, candidates, keys
from nsecguard.model import (
    DEFAULT_MIN_CONFIDENCE,
    KIND_SEVERITY,
    KIND_TITLE,
    Confidence,
    Finding,
    Kind,
)

if TYPE_CHECKING:
    from nsecguard.context import Memo

INLINE_ALLOW = (b"nsecguard: allow", b"nsecguard:allow")
MAX_BASE64_DEPTH = 2


class Options(NamedTuple):
    min_confidence: Confidence = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()  # npubs or fingerprints
    inline_allow: bool = True  # honour `nsecguard: allow` on the finding's line
    decode_base64: bool = True
    repair_typos: bool = True


DEFAULT_OPTIONS = Options()

# Told the raw span of every hit (the output boundary remembers them: nsecguard.output)
_hit_hook: Callable[[bytes, list[Hit]], None] | None = None


def set_hit_hook(hook: Callable[[bytes, list[Hit]], None] | None) -> None:
    """Register the one function told of every hit found by `find_hits` (None: no one)."""
    global _hit_hook
    _hit_hook = hook


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


# scrypt costs ~9 ms: an input may make this many (distinct secrets, reported), no more
MAX_SCRYPT_PER_INPUT = 64


class _Fingerprints:
    """Fingerprints of reported secrets that have no public key, for one input: each distinct
    secret costs one scrypt, and at most MAX_SCRYPT_PER_INPUT of them; beyond that (an input
    crafted to cost minutes) a keyed hash, unguessable but stable only within this process."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, bytes], str] = {}

    def of(self, hit: Hit) -> str:
        if hit.secret is None:
            return hit.fingerprint
        known = self._done.get(hit.secret)
        if known is None:
            label, value = hit.secret
            if len(self._done) < MAX_SCRYPT_PER_INPUT:
                known = keys.fingerprint_secret(label, value)
            else:
                known = keys.fingerprint_secret_fast(label, value)
            self._done[hit.secret] = known
        return known


_BECH32_VALID = bech32.CHARSET.encode()
_NSEC = re.compile(rb"(?i)nsec1(?=([0-9a-z]{58}))")
_NCRYPTSEC = re.compile(rb"(?i)ncryptsec1(?=([0-9a-z]{152}))")
_HEX_RUN = re.compile(rb"[0-9a-fA-F]{64,}")
_PUBKEY_BECH32 = re.compile(rb"(?i)n(?:pub|profile)1[02-9ac-hj-np-z]{58,}")
# the scheme's last word is enough (`nostr+walletconnect`, `amethyst+walletconnect`), and a
# pattern that starts with a literal keeps the search linear and fast
# ... and the URI itself may be percent-encoded inside another URL (`?nwc=nostr%2Bwalletconnect%3A…`)
_URI = re.compile(
    rb"(?i)(bunker|nostrconnect|walletconnect|walletauth)"
    rb"(?::(?://)?([^\s\"'<>`\]\)\x00-\x1f\x7f]*)|%3A(?:%2F%2F)?([A-Za-z0-9%._~+-]*))"
)
_SECRET_PARAM = re.compile(
    rb"(?i)(?:[?&;]|&amp;)secret=([^&#\s\"'<>`\\\x00-\x1f\x7f]*)"
)  # no control characters in a URI
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_B64_MARK = bytes(0x42 if i in _B64_ALPHABET else 0x2E for i in range(256))  # "B" or "."
_B64_NEEDLE = b"B" * 76
_B64_LINE = re.compile(rb"\r?\n[ \t]*([A-Za-z0-9+/]{1,76}={0,2})")
_NOSTR_MARKERS = (b"nostr", b"npub1", b"nsec", b"nip-", b"nip19", b"wss://", b"relay")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class _Buffer:
    """One buffer under scan, with the lazily computed facts several passes share."""

    def __init__(self, data: bytes, known: frozenset[bytes]) -> None:
        self.data = data
        self._known = known
        self._pubkeys: frozenset[bytes] | None = None
        self._nostr: bool | None = None
        self._lower: bytes | None = None
        self.memo: Memo | None = None  # what judging its hex values has learnt

    @property
    def pubkeys(self) -> frozenset[bytes]:
        """Every public key written in the buffer (hex, compressed hex, npub, nprofile)."""
        if self._pubkeys is None:
            found = set(self._known)
            for m in _HEX_RUN.finditer(self.data):
                run = m.group()
                if len(run) == 64:
                    found.add(bytes.fromhex(run.decode()))
                elif len(run) == 66 and run[:2] in (b"02", b"03"):
                    found.add(bytes.fromhex(run[2:].decode()))
            for m in _PUBKEY_BECH32.finditer(self.data):
                pub = _bech32_pubkey(m.group())
                if pub is not None:
                    found.add(pub)
            self._pubkeys = frozenset(found)
        return self._pubkeys

    @property
    def lower(self) -> bytes:
        """The buffer lowercased, made once (both questions below need it)."""
        if self._lower is None:
            self._lower = self.data.lower()
        return self._lower

    @property
    def has_bech32_pubkey(self) -> bool:
        """Does the text (or the caller) name a public key, as npub/nprofile or known key?"""
        return bool(self._known) or b"npub1" in self.lower or b"nprofile1" in self.lower

    @property
    def nostr(self) -> bool:
        if self._nostr is None:
            self._nostr = any(marker in self.lower for marker in _NOSTR_MARKERS)
        return self._nostr


def _bech32_pubkey(token: bytes) -> bytes | None:
    text = token.decode("ascii").lower()
    if text.startswith("npub1"):
        decoded = bech32.decode(text[:63], hrp="npub")
        return decoded.data if decoded and len(decoded.data) == 32 else None
    decoded = bech32.decode(text, hrp="nprofile")  # TLV: type 0 holds the pubkey
    if decoded is None:
        return None
    tlv = decoded.data
    i = 0
    while i + 2 <= len(tlv):
        kind, length = tlv[i], tlv[i + 1]
        if kind == 0 and length == 32:
            return tlv[i + 2 : i + 34]
        i += 2 + length
    return None


def find_hits(
    data: bytes, known_pubkeys: Iterable[bytes | str] = (), *, options: Options = DEFAULT_OPTIONS
) -> list[Hit]:
    """All secrets in `data`, validated, at any confidence, overlaps resolved."""
    hits = _resolve_overlaps(_scan(_Buffer(data, _pubkey_set(known_pubkeys)), options, 0, None))
    if hits and _hit_hook is not None:
        _hit_hook(data, hits)
    return hits


def _pubkey_set(known: Iterable[bytes | str]) -> frozenset[bytes]:
    """Public keys as 32 bytes, 64-hex strings or npubs; anything else is a TypeError."""
    if isinstance(known, str | bytes):
        raise TypeError("known_pubkeys must be a collection of public keys, not one value")
    out: set[bytes] = set()
    for value in known:
        if isinstance(value, bytes | bytearray) and len(value) == 32:
            out.add(bytes(value))
            continue
        if isinstance(value, str):
            if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
                out.add(bytes.fromhex(value))
                continue
            pub = keys.npub_to_pubkey(value.lower()) if value.lower().startswith("npub1") else None
            if pub is not None:
                out.add(pub)
                continue
        raise TypeError("known_pubkeys: each must be 32 bytes, 64 hex digits or an npub")
    return frozenset(out)


def _scan(buf: _Buffer, options: Options, depth: int, outer: _Outer | None) -> list[Hit]:
    mask = candidates.get_prefilter()(buf.data)
    if not mask:
        return []
    hits: list[Hit] = []
    if mask & candidates.NSEC:
        hits.extend(_nsecs(buf.data, options))
    if mask & candidates.NCRYPTSEC:
        hits.extend(_ncryptsecs(buf.data, options))
    taken: list[tuple[int, int]] = []  # URIs: their hex parts are judged with the URI
    if mask & candidates.URI:
        hits.extend(_uris(buf.data, taken))
    if mask & candidates.HEX:
        hits.extend(_hexes(buf, taken, outer))
    if mask & candidates.BYTES:
        hits.extend(_byte_arrays(buf))
    if mask & candidates.BASE64 and options.decode_base64 and depth < MAX_BASE64_DEPTH:
        hits.extend(_base64(buf, options, depth))
    return hits


def _nsecs(data: bytes, options: Options) -> Iterable[Hit]:
    found = list(_nsecs_unbroken(data, options))
    yield from found
    if options.repair_typos:
        yield from _nsecs_slipped(data, found)


MAX_SLIPS = 4096  # `nsec1`s per buffer tried for slips (each costs tens of microseconds)


def _nsecs_slipped(data: bytes, found: list[Hit]) -> Iterable[Hit]:
    """Keys one slip bent out of shape (see `slips`): a dropped, extra or swapped character, a
    character replaced by a space or a letter from another alphabet, a line break or invisible
    characters inside. Tried at every `nsec1` not already part of a key."""
    from nsecguard import slips

    spans = [(h.start, h.end) for h in found]
    tried = 0
    for start in slips.starts(data):
        if spans and _overlaps(spans, start, start + 5):
            continue
        tried += 1
        if tried > MAX_SLIPS:
            return
        slip = slips.find(data, start)
        if slip is None:
            continue
        decoded = bech32.decode(b"nsec1" + slip.body, hrp="nsec")
        if decoded is None or not keys.is_valid_secret(decoded.data):
            continue
        pub = keys.xonly_pubkey(decoded.data)
        intact = slip.how.endswith("valid checksum")  # nothing was changed: the key itself
        conf = Confidence.CERTAIN if intact else Confidence.MEDIUM
        fp = keys.fingerprint_pubkey(pub)
        yield Hit(Kind.NSEC, conf, start, slip.end, pub, fp, slip.how, repaired=not intact)


def _nsecs_unbroken(data: bytes, options: Options) -> Iterable[Hit]:
    for m in _NSEC.finditer(data):
        body = m.group(1).lower()
        invalid = len(body.translate(None, _BECH32_VALID))
        if invalid > (1 if options.repair_typos else 0):
            continue
        decoded = bech32.decode(b"nsec1" + body, repair=options.repair_typos, hrp="nsec")
        if decoded is None or not keys.is_valid_secret(decoded.data):
            continue
        pub = keys.xonly_pubkey(decoded.data)
        repaired = decoded.repaired_at >= 0
        if repaired:
            conf, reason = Confidence.MEDIUM, "nsec with one mistyped character, repaired by its checksum"
        elif decoded.bech32m:
            conf, reason = Confidence.CERTAIN, "nsec with a valid (bech32m) checksum"
        else:
            conf, reason = Confidence.CERTAIN, "nsec with a valid checksum"
        end = m.start() + 63
        if repaired and _key_char(data, end) and not _key_char(data, end + 1):
            # 59 characters, the last two repaired as one: an extra character, not a mistyped one
            end, reason = end + 1, "nsec with an extra character, repaired by its checksum"
        yield Hit(Kind.NSEC, conf, m.start(), end, pub, keys.fingerprint_pubkey(pub), reason, repaired)


def _key_char(data: bytes, at: int) -> bool:
    return at < len(data) and data[at] in _BECH32_ANY


_BECH32_ANY = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _ncryptsecs(data: bytes, options: Options) -> Iterable[Hit]:
    for m in _NCRYPTSEC.finditer(data):
        body = m.group(1).lower()
        if len(body.translate(None, _BECH32_VALID)) > (1 if options.repair_typos else 0):
            continue
        decoded = bech32.decode(b"ncryptsec1" + body, repair=options.repair_typos, hrp="ncryptsec")
        if decoded is None or len(decoded.data) != 91 or decoded.data[0] != 0x02:
            continue
        repaired = decoded.repaired_at >= 0
        conf = Confidence.MEDIUM if repaired else Confidence.CERTAIN
        reason = "NIP-49 encrypted key" + (", one mistyped character repaired" if repaired else "")
        secret = ("ncryptsec", decoded.data)
        yield Hit(Kind.NCRYPTSEC, conf, m.start(), m.start() + 162, None, "", reason, repaired, secret=secret)


def _uris(data: bytes, taken: list[tuple[int, int]]) -> Iterable[Hit]:
    for m in _URI.finditer(data):
        taken.append((m.start(), m.end()))
        scheme = m.group(1).lower()
        body, offset = m.group(2), m.start(2)
        if body is None:  # the whole URI percent-encoded, inside another URL
            body, offset = _unquote(m.group(3)), -1
        target = body.split(b"?", 1)[0]
        params = list(_SECRET_PARAM.finditer(body))
        if not params and b"%" in body:  # the whole query percent-encoded
            body = _unquote(body)
            params = list(_SECRET_PARAM.finditer(body))
            offset = -1
        for p in params:
            raw = p.group(1)
            secret = _unquote(raw).strip()
            if not secret:
                continue
            start, end = (offset + p.start(1), offset + p.end(1)) if offset >= 0 else (m.start(), m.end())
            if scheme in (b"walletconnect", b"walletauth"):
                yield _nwc_hit(secret, start, end)
            else:
                kind = Kind.BUNKER if scheme == b"bunker" else Kind.NOSTRCONNECT
                material = (kind.value, target.lower() + b"\0" + secret)
                reason = f"secret= parameter of a {scheme.decode()}:// URI"
                why = placeholder_reason(secret)
                if why is not None:
                    conf, reason = Confidence.LOW, reason + f" (looks like a placeholder: {why})"
                else:
                    conf = Confidence.HIGH
                yield Hit(kind, conf, start, end, None, "", reason, secret=material)


def _unquote(value: bytes) -> bytes:
    if b"%" not in value:
        return value
    import urllib.parse

    return urllib.parse.unquote_to_bytes(value)


def _nwc_hit(secret: bytes, start: int, end: int) -> Hit:
    reason = "secret= parameter of a nostr+walletconnect:// URI"
    if len(secret) == 64 and all(c in _HEX_DIGITS for c in secret):
        value = bytes.fromhex(secret.decode())
        if keys.is_valid_secret(value):
            pub = keys.xonly_pubkey(value)
            return Hit(Kind.NWC, Confidence.CERTAIN, start, end, pub, keys.fingerprint_pubkey(pub), reason)
    # a spending key is 64 hex digits: anything else is a template, a placeholder or a typo
    reason += " (not a valid key)"
    return Hit(Kind.NWC, Confidence.LOW, start, end, None, "", reason, secret=("nwc", secret))


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


# Named false-positive filters for connection secrets, cheapest first (as detect-secrets names
# its filters): the first that matches says why the value is taken for a placeholder.
_PLACEHOLDER_FILTERS: tuple[tuple[str, Callable[[bytes, bytes], bool]], ...] = (
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
    for name, test in _PLACEHOLDER_FILTERS:
        if test(secret, low):
            return name
    return None


class _Outer(NamedTuple):
    """Where an encoded token stood, so names around it count for what it decodes to."""

    buf: _Buffer
    start: int
    end: int


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Does [start, end) overlap one of `spans` (sorted, not overlapping each other)?"""
    i = bisect.bisect_right(spans, (start, 1 << 62)) - 1
    return (i >= 0 and spans[i][1] > start) or (i + 1 < len(spans) and spans[i + 1][0] < end)


def _hexes(buf: _Buffer, taken: list[tuple[int, int]], outer: _Outer | None) -> Iterable[Hit]:
    from nsecguard import context  # only buffers with 64-hex values need it

    data = buf.data
    memo = buf.memo = buf.memo or context.Memo()
    found: list[tuple[int, int, bytes, Confidence | None, str]] = []
    for m in _HEX_RUN.finditer(data):
        if m.end() - m.start() != 64:
            continue  # a window of a longer run: a signature, a compressed pubkey, a blob
        start, end = m.start(), m.end()
        if taken and _overlaps(taken, start, end):
            continue  # part of a URI already judged
        value = bytes.fromhex(m.group().decode())
        if not keys.is_valid_secret(value):
            continue
        if start >= 2 and data[start - 2 : start] in (b"0x", b"0X"):
            start -= 2
        conf, reason = context.judge(data, start, end, buf.nostr, memo)
        if conf is None and reason != context.VETOED and outer is not None:
            outer_memo = outer.buf.memo = outer.buf.memo or context.Memo()
            conf, reason = context.judge(outer.buf.data, outer.start, outer.end, outer.buf.nostr, outer_memo)
        found.append((start, end, value, conf, reason))
    # Proof: a value's public key stands in the same text, whatever the value is called. Deriving
    # costs ~30 µs (and loading libsecp256k1 the first time), so a text whose every 64-hex value is
    # named as a hash or an id (a lock file, a checksum list) with no npub in it is not tried; a
    # value named as a public key is what a proof is made of, so it never stops the attempt.
    pubkeys = buf.pubkeys
    try_proof = buf.has_bech32_pubkey or any(reason != context.VETOED for *_, reason in found)
    # Proof goes by value, not by place: a proven value is a key where its own context allows
    # (an id in an event, then `nak key public <it>`: the id is not the leak); only a value
    # named as something else everywhere is reported wherever it stands.
    permitted = {v for _, _, v, _, r in found if r not in (context.VETOED, context.NAMED_PUBLIC)}
    derived: dict[bytes, bytes] = {}
    for start, end, value, conf, reason in found:
        pub: bytes | None = derived.get(value)
        if try_proof and (len(pubkeys) > 1 or (pubkeys and value not in pubkeys)):
            if pub is None:
                pub = derived[value] = keys.xonly_pubkey(value)
            if pub in pubkeys:
                if value in permitted and reason in (context.VETOED, context.NAMED_PUBLIC):
                    continue  # named as an id here, and a key elsewhere: reported there
                known = keys.well_known(value)
                if known is not None:
                    conf, reason = Confidence.LOW, f"well-known: {known}, no one's secret"
                else:
                    conf, reason = Confidence.CERTAIN, "its public key appears in the same text"
                yield Hit(Kind.HEX, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason)
                continue
        if conf is None:
            continue
        known = keys.well_known(value)
        if known is not None:
            conf, reason = Confidence.LOW, f"well-known: {known}, no one's secret"
        pub = pub or keys.xonly_pubkey(value)
        yield Hit(Kind.HEX, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason)


_BYTE_ARRAY = re.compile(candidates.BYTE_ARRAY)
_BYTE_VALUE = re.compile(rb"0[xX]([0-9a-fA-F]{1,2})|[0-9]{1,3}")
# what stands between a name and its array: `Uint8Array(32) [`, `[u8; 32] = [`, `[]byte{`,
# `new Uint8Array([`, `bytes([`, `vec![`
_ARRAY_DRESS = re.compile(
    rb"(?:new\s+)?Uint8Array(?:\.from)?\s*\(\s*\d*\s*\)?|\[u8;\s*\d+\]|\[\]byte|\bvec!|"
    rb"\b(?:bytes|bytearray|Buffer\.from)\s*\(|&"
)


def _byte_arrays(buf: _Buffer) -> Iterable[Hit]:
    """A key written as its 32 bytes: named as a private key, or proven by its public key."""
    from nsecguard import context

    data = buf.data
    for m in _BYTE_ARRAY.finditer(data):
        found = list(_BYTE_VALUE.finditer(data, m.start(), m.end()))
        numbers = [int(v[1], 16) if v[1] else int(v[0]) for v in found]
        if len(numbers) != 32 or max(numbers) > 255:
            continue
        value = bytes(numbers)
        if not keys.is_valid_secret(value):
            continue
        start, end = found[0].start(), found[-1].end()  # the numbers, not the brackets
        line_start = data.rfind(b"\n", max(0, m.start() - 160), m.start()) + 1
        label = _ARRAY_DRESS.sub(b" ", data[max(line_start, m.start() - 160) : m.start()])
        verdict = context.judge_phrase(label)
        named = verdict in (context.Verdict.STRONG, context.Verdict.WEAK)
        if not named and not buf.pubkeys:
            continue  # numbers with no name, and no public key to prove them by (~30 µs a try)
        pub = keys.xonly_pubkey(value)
        if pub in buf.pubkeys:
            conf, reason = Confidence.CERTAIN, "its public key appears in the same text"
        elif verdict is context.Verdict.STRONG:
            conf, reason = Confidence.HIGH, "32 bytes named as a private key"
        elif verdict is context.Verdict.WEAK:
            conf = Confidence.MEDIUM if buf.nostr else Confidence.LOW
            reason = "32 bytes named as a secret"
        else:
            continue
        yield Hit(Kind.HEX, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason, encoding="bytes")


_PRINTABLE = bytes(range(32, 127)) + b"\t\n\r"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _b64decode(token: bytes) -> bytes | None:
    import binascii

    token = token.rstrip(b"=")
    try:
        return binascii.a2b_base64(token + b"=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None


def _mostly_printable(data: bytes) -> bool:
    return len(data.translate(None, _PRINTABLE)) <= 0.1 * len(data)


def _base64(buf: _Buffer, options: Options, depth: int) -> Iterable[Hit]:
    """Decode plausible base64 tokens and scan inside. Binary payloads (images, archives) are
    dropped after decoding their first bytes, so long blobs cost little."""
    for start, end, token in _b64_tokens(buf.data):
        compact = token.translate(_TO_STANDARD)
        head = _b64decode(compact[:120])
        if head is None or not _mostly_printable(head):
            continue
        decoded = _b64decode(compact)
        if decoded is None or not _mostly_printable(decoded):
            continue
        inner = _Buffer(decoded, buf.pubkeys)
        for hit in _scan(inner, options, depth + 1, _Outer(buf, start, end)):
            reason = hit.reason + ", inside base64"
            yield hit._replace(start=start, end=end, encoding="base64", reason=reason)


def _b64_tokens(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Base64 tokens long enough to hold a key: one run of 84+ characters, or a block wrapped
    at 76 columns (as `base64` and MIME write it), joined. Runs are found with C-speed bytes
    methods (a regex here cost more than the rest of a tree scan)."""
    marked = data.translate(_B64_MARK)
    pos = 0
    while (start := marked.find(_B64_NEEDLE, pos)) >= 0:
        end = marked.find(b".", start + len(_B64_NEEDLE))
        end = len(data) if end < 0 else end
        while end < len(data) and data[end] == 0x3D and end - start < 4096:  # "=" padding
            end += 1
        pos = end
        token = data[start:end]
        if len(token.rstrip(b"=")) == 76:
            parts = [token]
            while (line := _B64_LINE.match(data, pos)) is not None:
                parts.append(line.group(1))
                pos = line.end()
                if len(line.group(1)) < 76:
                    break
            token, end = b"".join(parts), pos
        if len(token) >= 84:
            yield start, end, token


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Where hits overlap (a bunker secret that is an nsec), keep the more certain one, and
    let the kept hits cover the whole overlapping stretch between them: nothing of a token
    that holds a key is left outside every hit. Hits rarely overlap: one sweep finds the
    clusters, and only those are decided (in O(n log n), however many hits one holds)."""
    hits = sorted(hits, key=lambda h: h.start)
    out: list[Hit] = []
    cluster: list[Hit] = []
    cluster_start = cluster_end = -1
    for hit in [*hits, None]:
        if hit is not None and hit.start < cluster_end:
            cluster.append(hit)
            cluster_end = max(cluster_end, hit.end)
            continue
        if len(cluster) == 1:
            out.append(cluster[0])
        elif cluster:
            out.extend(_decide(cluster, cluster_start, cluster_end))
        if hit is not None:
            cluster, cluster_start, cluster_end = [hit], hit.start, hit.end
    return out


def _decide(cluster: list[Hit], start: int, end: int) -> list[Hit]:
    """The hits to keep of one cluster, their spans stretched to tile [start, end)."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    ends: list[int] = []
    kept: list[Hit] = []
    for c in sorted(cluster, key=lambda h: (-h.confidence, h.pubkey is None, h.start)):
        i = bisect.bisect_left(starts, c.start)
        if (i > 0 and ends[i - 1] > c.start) or (i < len(starts) and starts[i] < c.end):
            continue
        starts.insert(i, c.start)
        ends.insert(i, c.end)
        kept.insert(i, c)
    # the cluster's union is one unbroken stretch: each kept hit reaches to the next one's start
    bounds = [start, *starts[1:], end]
    return [h._replace(start=bounds[i], end=bounds[i + 1]) for i, h in enumerate(kept)]


class _Lines:
    """Line, column and inline-allow of offsets, for buffers that have findings. Every query
    costs O(log lines) plus the distance from the previous query on the same line (queries come
    in increasing order), so thousands of findings on one minified line stay linear."""

    def __init__(self, data: bytes, first_column: int = 0) -> None:
        self.data = data
        self.first_column = first_column  # characters of the first line before `data` starts
        self._starts: list[int] | None = None
        self._cursor = (-1, 0, 0)  # (line index, offset, column) of the last query
        self._allowed: dict[int, bool] = {}

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self.data.find
            pos = find(b"\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._starts = starts
        return self._starts

    def _index(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def locate(self, offset: int) -> tuple[int, int]:
        index = self._index(offset)
        line_start = self.starts[index]
        last_index, last_offset, last_column = self._cursor
        if last_index == index and last_offset <= offset:
            begin, column = last_offset, last_column  # continue along the same line
        else:
            begin, column = line_start, 1 + (self.first_column if index == 0 else 0)
        column += len(self.data[begin:offset].decode("utf-8", "replace"))
        self._cursor = (index, offset, column)
        return index + 1, column

    def allowed(self, offset: int) -> bool:
        """Does the offset's line carry an inline `nsecguard: allow`? (Answered once a line.)"""
        index = self._index(offset)
        known = self._allowed.get(index)
        if known is None:
            start = self.starts[index]
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.data)
            known = any(self.data.find(tag, start, end) >= 0 for tag in INLINE_ALLOW)
            self._allowed[index] = known
        return known


def message_for(kind: Kind, npub: str | None) -> str:
    owner = f" of {npub}" if npub else ""
    if kind is Kind.NCRYPTSEC:
        return (
            f"{KIND_TITLE[kind]}{owner}: remove it; anyone can try passwords against it offline, "
            "so move to a new key if the password is weak"
        )
    if kind in (Kind.BUNKER, Kind.NOSTRCONNECT):
        return f"{KIND_TITLE[kind]}: remove it and revoke the connection in your signer"
    if kind is Kind.NWC:
        return f"{KIND_TITLE[kind]}{owner}: remove it and revoke this connection in your wallet now"
    return f"{KIND_TITLE[kind]}{owner}: remove it and move to a new key; a leaked key is compromised for good"


def to_findings(
    data: bytes,
    hits: Iterable[Hit],
    *,
    path: str,
    options: Options = DEFAULT_OPTIONS,
    line_offset: int = 0,
    first_column: int = 0,
) -> list[Finding]:
    lines = _Lines(data, first_column)
    fingerprints = _Fingerprints()
    out: list[Finding] = []
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.confidence < options.min_confidence:
            continue
        npub = keys.npub(hit.pubkey) if hit.pubkey is not None else None
        fingerprint = fingerprints.of(hit)
        if options.allow and (npub in options.allow or fingerprint in options.allow):
            continue
        if options.inline_allow and lines.allowed(hit.start):
            continue
        line, column = lines.locate(hit.start)
        out.append(
            Finding(
                kind=hit.kind,
                confidence=hit.confidence,
                severity=KIND_SEVERITY[hit.kind],
                path=path,
                line=line + line_offset,
                column=column,
                npub=npub,
                fingerprint=fingerprint,
                message=message_for(hit.kind, npub),
                reason=hit.reason,
                encoding=hit.encoding,
                repaired=hit.repaired,
                start=hit.start,
                end=hit.end,
                pubkey=hit.pubkey.hex() if hit.pubkey is not None else None,
            )
        )
    return out


def scan_bytes(
    data: bytes,
    *,
    path: str = "-",
    options: Options = DEFAULT_OPTIONS,
    known_pubkeys: Iterable[bytes | str] = (),
) -> list[Finding]:
    """Findings in one buffer. `known_pubkeys` are public keys known to stand near the text
    (an event's author, its `p` tags): a hex value deriving to one of them is proven a key."""
    hits = find_hits(data, known_pubkeys, options=options)
    return to_findings(data, hits, path=path, options=options) if hits else []


def scan_text(
    text: str | bytes,
    *,
    path: str = "-",
    options: Options = DEFAULT_OPTIONS,
    known_pubkeys: Iterable[bytes | str] = (),
) -> list[Finding]:
    """Findings in a text. For a `str`, `start`/`end` are character offsets into it."""
    if isinstance(text, bytes):
        return scan_bytes(text, path=path, options=options, known_pubkeys=known_pubkeys)
    data = text.encode("utf-8", "surrogatepass")
    found = scan_bytes(data, path=path, options=options, known_pubkeys=known_pubkeys)
    if text.isascii() or not found:
        return found
    to_char = _CharOffsets(data)
    return [f.moved(start=to_char(f.start), end=to_char(f.end)) for f in found]


class _CharOffsets:
    """Byte offsets into UTF-8 `data` as character offsets. Queries mostly come in increasing
    order (findings sorted by start, each end soon after): each decodes only the distance from
    the nearest earlier query, so many findings cost one pass over the text, not one each."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._known: list[tuple[int, int]] = [(0, 0)]  # (byte offset, char offset), sorted

    def __call__(self, offset: int) -> int:
        known = self._known
        i = bisect.bisect_right(known, (offset, 1 << 62)) - 1
        base, chars = known[i]
        chars += len(self.data[base:offset].decode("utf-8", "surrogatepass"))
        if i == len(known) - 1:
            known.append((offset, chars))
        return chars


def _installed_hook() -> Callable[[bytes, list[Hit]], None] | None:
    from nsecguard import output  # light: the boundary installed before the engine was needed

    return output.hit_hook()


_hit_hook = _installed_hook()
