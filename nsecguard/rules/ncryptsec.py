"""`ncryptsec1...`: a password-encrypted private key (NIP-49), proven by its checksum and
version byte. Reported, never decrypted; its fingerprint costs one scrypt, only when reported."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import Detector, Hit, Rule, Sample, Scan

_VALID = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l"  # bech32.CHARSET (imported when needed)
_NCRYPTSEC = re.compile(rb"(?i)ncryptsec1(?=([0-9a-z]{152}))")


def find(scan: Scan) -> Iterable[Hit]:
    from nsecguard import bech32

    repair = scan.options.repair_typos
    for m in _NCRYPTSEC.finditer(scan.buf.data):
        body = m.group(1).lower()
        if len(body.translate(None, _VALID)) > (1 if repair else 0):
            continue
        decoded = bech32.decode(b"ncryptsec1" + body, repair=repair, hrp="ncryptsec")
        if decoded is None or len(decoded.data) != 91 or decoded.data[0] != 0x02:
            continue
        repaired = decoded.repaired_at >= 0
        conf = Confidence.MEDIUM if repaired else Confidence.CERTAIN
        reason = "NIP-49 encrypted key" + (", one mistyped character repaired" if repaired else "")
        secret = ("ncryptsec", decoded.data)
        yield Hit(KIND, conf, m.start(), m.start() + 162, None, "", reason, repaired, secret=secret)


KIND = Kind.define("ncryptsec")

DETECTOR = Detector(
    name="ncryptsec",
    patterns=(rb"ncryptsec1",),
    caseless=True,
    find=find,
    fallback=lambda data, low: b"ncryptsec1" in low,
    order=20,
)

RULE = Rule(
    kind=KIND,
    severity=Severity.MEDIUM,
    title="Encrypted Nostr private key (ncryptsec, NIP-49)",
    advice=(
        "remove it; anyone can try passwords against it offline, so move to a new key if the password is weak"
    ),
    help="A password-encrypted private key (`ncryptsec1...`, NIP-49). Anyone holding it "
    "can guess passwords offline: remove it, and move to a new key if the password is weak.",
    chat_words="an encrypted Nostr private key (ncryptsec)",
    chat_advice=(
        "That encrypted key is only as safe as its password now: anyone who saved the message can "
        "try passwords offline for ever. Move to a new key soon, and at once if the password is weak."
    ),
    noun="an encrypted private key (ncryptsec)",
    action="anyone can guess passwords against it offline: move to a new key if the password is weak",
    detectors=(DETECTOR,),
    replacement="[encrypted key removed]",
    env_name="NOSTR_NCRYPTSEC",
    secret_type="Nostr Encrypted Private Key (ncryptsec)",
    samples=(
        Sample("backup: {ncryptsec}", True, Confidence.CERTAIN),
        Sample("{NCRYPTSEC}", True, Confidence.CERTAIN, "upper case"),
        Sample("ncryptsec1 is the NIP-49 prefix", False, note="the prefix alone"),
    ),
)
