"""secp256k1 private keys: validity, x-only public key derivation, npub, fingerprint.

The only module that does elliptic-curve work. libsecp256k1 (through coincurve's bindings)
is imported on first use, so commands that find nothing never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from nsecguard import bech32

CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_FINGERPRINT_DOMAIN = b"nsecguard/fingerprint/v1\x00"


def is_valid_secret(secret: bytes) -> bool:
    """A 32-byte string is a usable private key when 1 <= d < n."""
    return len(secret) == 32 and 0 < int.from_bytes(secret, "big") < CURVE_ORDER


_SMALL = 1 << 32


def well_known(secret: bytes) -> str | None:
    """What a scalar that is no one's secret is: the tiny values test vectors use (1, 2, ...),
    the curve order minus a tiny value, one byte repeated, or the bytes 1, 2, 3... in order.
    None for anything else."""
    d = int.from_bytes(secret, "big")
    if d < _SMALL:
        return f"the scalar {d}"
    if CURVE_ORDER - d < _SMALL:
        return f"the curve order minus {CURVE_ORDER - d}"
    if len(set(secret)) == 1:
        return f"the byte {secret[0]:#04x} repeated"
    if all(secret[i + 1] - secret[i] == 1 for i in range(len(secret) - 1)):
        return "consecutive bytes"
    return None


@lru_cache(maxsize=1)
def _deriver() -> Callable[[bytes], bytes]:
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    ctx = GLOBAL_CONTEXT.ctx
    wipe = bytes(ffi.sizeof("secp256k1_keypair"))

    def derive(secret: bytes) -> bytes:
        # Buffers are made per call: libsecp256k1 runs without the GIL, so buffers shared
        # between threads would mix one key's public key into another's.
        keypair = ffi.new("secp256k1_keypair *")
        xonly = ffi.new("secp256k1_xonly_pubkey *")
        out = ffi.new("unsigned char[32]")
        try:
            if not lib.secp256k1_keypair_create(ctx, keypair, secret):
                raise ValueError("not a valid secp256k1 private key")
            lib.secp256k1_keypair_xonly_pub(ctx, xonly, ffi.NULL, keypair)
            lib.secp256k1_xonly_pubkey_serialize(ctx, out, xonly)
            return bytes(out)
        finally:
            ffi.memmove(keypair, wipe, len(wipe))  # the keypair holds the secret: leave none behind

    return derive


def xonly_pubkey(secret: bytes) -> bytes:
    """The BIP-340 x-only public key (a Nostr pubkey) of a valid private key."""
    if not is_valid_secret(secret):
        raise ValueError("not a valid secp256k1 private key")
    return _deriver()(secret)


def npub(pubkey: bytes) -> str:
    return bech32.encode("npub", pubkey)


def npub_to_pubkey(value: str) -> bytes | None:
    decoded = bech32.decode(value, hrp="npub")
    if decoded is None or len(decoded.data) != 32:
        return None
    return decoded.data


def fingerprint_pubkey(pubkey: bytes) -> str:
    """A stable identity for a leaked key, computed from its public key only."""
    import hashlib

    return hashlib.sha256(_FINGERPRINT_DOMAIN + pubkey).hexdigest()[:24]


def fingerprint_secret(label: str, secret: bytes) -> str:
    """Identity of a secret that has no public key (a bunker token, an ncryptsec).

    scrypt makes a short token impractical to recover by guessing from its fingerprint."""
    import hashlib

    digest = hashlib.scrypt(secret, salt=_FINGERPRINT_DOMAIN + label.encode(), n=1 << 12, r=8, p=1)
    return digest.hex()[:24]


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    import os

    return os.urandom(32)


def fingerprint_secret_fast(label: str, secret: bytes) -> str:
    """Identity of a secret when an input holds too many to scrypt them all: a hash keyed by a
    random per-process key, so it cannot be guessed from, but is the same only within one run."""
    import hashlib
    import hmac

    mac = hmac.new(_process_key(), _FINGERPRINT_DOMAIN + label.encode() + b"\x00" + secret, hashlib.sha256)
    return "r" + mac.hexdigest()[:23]
