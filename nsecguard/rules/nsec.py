"""`nsec1...`: a private key in bech32 (NIP-19), proven by its checksum, in any case, with one
slip repaired (a mistyped, dropped, extra or swapped character; line breaks and invisible
characters inside: see `nsecguard.slips`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import (
    KEY_CHAT_ADVICE,
    ROTATE_ADVICE,
    ROTATE_HELP,
    Detector,
    Hit,
    Rule,
    Sample,
    Scan,
    overlaps,
)

_VALID = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l"  # bech32.CHARSET (imported when needed)
_NSEC = re.compile(rb"(?i)nsec1(?=([0-9a-z]{58}))")
_ANY = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
MAX_SLIPS = 4096  # `nsec1`s per buffer tried for slips (each costs tens of microseconds)


def find(scan: Scan) -> Iterable[Hit]:
    found = list(_unbroken(scan.buf.data, scan.options.repair_typos))
    yield from found
    if scan.options.repair_typos:
        yield from _slipped(scan.buf.data, found)


def _unbroken(data: bytes, repair: bool) -> Iterable[Hit]:
    from nsecguard import bech32, keys

    for m in _NSEC.finditer(data):
        body = m.group(1).lower()
        if len(body.translate(None, _VALID)) > (1 if repair else 0):
            continue
        decoded = bech32.decode(b"nsec1" + body, repair=repair, hrp="nsec")
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
        yield Hit(KIND, conf, m.start(), end, pub, keys.fingerprint_pubkey(pub), reason, repaired)


def _key_char(data: bytes, at: int) -> bool:
    return at < len(data) and data[at] in _ANY


def _slipped(data: bytes, found: list[Hit]) -> Iterable[Hit]:
    """Keys one slip bent out of shape (see `slips`), tried at every `nsec1` not already part of
    a key."""
    from nsecguard import bech32, keys, slips

    spans = [(h.start, h.end) for h in found]
    tried = 0
    for start in slips.starts(data):
        if spans and overlaps(spans, start, start + 5):
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
        yield Hit(KIND, conf, start, slip.end, pub, fp, slip.how, repaired=not intact)


KIND = Kind.define("nsec")

DETECTOR = Detector(
    name="nsec",
    patterns=(rb"nsec1",),
    caseless=True,
    find=find,
    fallback=lambda data, low: b"nsec1" in low,
    order=10,
)

RULE = Rule(
    kind=KIND,
    severity=Severity.CRITICAL,
    title="Nostr private key (nsec)",
    advice=ROTATE_ADVICE,
    help="A bech32 `nsec1...` private key (NIP-19) with a valid checksum. " + ROTATE_HELP,
    chat_words="a Nostr private key (nsec)",
    chat_advice=KEY_CHAT_ADVICE,
    noun="a private key",
    action="that key is compromised: stop using it and move to a new key",
    detectors=(DETECTOR,),
    secret_type="Nostr Private Key (nsec)",
    is_key=True,
    samples=(
        Sample("{nsec}", True, Confidence.CERTAIN, "alone"),
        Sample("my key: {NSEC}!", True, Confidence.CERTAIN, "upper case"),
        Sample("login with nostr:{nsec}", True, Confidence.CERTAIN, "a nostr: URI"),
        Sample("{nsec_typo}", True, Confidence.MEDIUM, "one mistyped character"),
        Sample("{nsec_wrapped}", True, Confidence.CERTAIN, "wrapped across two lines"),
        Sample("{nsec_bad}", False, note="a broken checksum, two characters off"),
        Sample("the nsec1 prefix alone, nsec1abc", False, note="too short"),
    ),
)
