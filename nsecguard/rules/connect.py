"""The one detector of connection URIs: `bunker://` and `nostrconnect://` (NIP-46) and
`nostr+walletconnect://` (NIP-47), plain or percent-encoded inside another URL. It finds the
secrets of three rules (`bunker`, `nostrconnect`, `nwc`); the hex parts of a URI are judged
with the URI, so the hex finder skips the spans it takes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import Detector, Hit, Rule, Sample, Scan
from nsecguard.rules.filters import placeholder_reason

BUNKER = Kind.define("bunker-secret")
NOSTRCONNECT = Kind.define("nostrconnect-secret")
NWC = Kind.define("nwc-secret")

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
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_MARKS = (b"bunker://", b"nostrconnect://", b"walletconnect", b"bunker%3a", b"nostrconnect%3a")


def find(scan: Scan) -> Iterable[Hit]:
    data = scan.buf.data
    for m in _URI.finditer(data):
        scan.taken.append((m.start(), m.end()))
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
            secret = _unquote(p.group(1)).strip()
            if not secret:
                continue
            start, end = (offset + p.start(1), offset + p.end(1)) if offset >= 0 else (m.start(), m.end())
            if scheme in (b"walletconnect", b"walletauth"):
                yield _nwc_hit(secret, start, end)
                continue
            kind = BUNKER if scheme == b"bunker" else NOSTRCONNECT
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
    from nsecguard import keys

    reason = "secret= parameter of a nostr+walletconnect:// URI"
    if len(secret) == 64 and all(c in _HEX_DIGITS for c in secret):
        value = bytes.fromhex(secret.decode())
        if keys.is_valid_secret(value):
            pub = keys.xonly_pubkey(value)
            return Hit(NWC, Confidence.CERTAIN, start, end, pub, keys.fingerprint_pubkey(pub), reason)
    # a spending key is 64 hex digits: anything else is a template, a placeholder or a typo
    reason += " (not a valid key)"
    return Hit(NWC, Confidence.LOW, start, end, None, "", reason, secret=("nwc", secret))


DETECTOR = Detector(
    name="connection-uri",
    patterns=(rb"bunker://|nostrconnect://|walletconnect|bunker%3a|nostrconnect%3a",),
    caseless=True,
    find=find,
    fallback=lambda data, low: any(mark in low for mark in _MARKS),
    order=30,
)

SIGNER_CHAT_ADVICE = (
    "Anyone holding that connection string can ask your remote signer to sign for you. "
    "Revoke that connection in your signer (bunker) now and make a new one; "
    "your key itself did not leak."
)


def signer_rule(kind: Kind, scheme: str, samples: tuple[Sample, ...]) -> Rule:
    """The rule of a NIP-46 connection secret (`bunker`, `nostrconnect`): the same words but
    for the scheme, found by this module's detector."""
    return Rule(
        kind=kind,
        severity=Severity.HIGH,
        title=f"Remote-signer connection secret ({scheme}://, NIP-46)",
        advice="remove it and revoke the connection in your signer",
        help=f"The `secret=` of a `{scheme}://` {'remote-signer ' if scheme == 'bunker' else ''}URI (NIP-46) "
        "grants a signer connection: remove it and revoke the connection in your signer.",
        chat_words=f"a remote-signer secret ({scheme}://)",
        chat_advice=SIGNER_CHAT_ADVICE,
        noun="a remote-signer connection secret",
        action="revoke this connection in your signer",
        detectors=(DETECTOR,),
        secret_type=f"Nostr Remote Signer Secret ({scheme})",
        env_name="NOSTR_CONNECT_SECRET",
        samples=samples,
    )
