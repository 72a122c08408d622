"""BIP-39 seeds and BIP-32 private derivation on coincurve: just what NIP-06 needs.

`nip06_key(words)` is the private key at m/44'/1237'/0'/0/0 of a BIP-39 phrase (empty
passphrase). PBKDF2 is hashlib's (C, ~1 ms for 2048 rounds); each child step is one HMAC-SHA512
and, for a normal (non-hardened) step, one public-key computation.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

HARDENED = 0x80000000
NIP06_PATH = (44 | HARDENED, 1237 | HARDENED, 0 | HARDENED, 0, 0)  # m/44'/1237'/0'/0/0
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class DerivationError(ValueError):
    """A step gave an invalid key (odds about 1 in 2**127: BIP-32 says skip to the next index)."""


def seed(words: str, passphrase: str = "") -> bytes:
    """The BIP-39 seed of a phrase: PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + passphrase."""
    phrase = unicodedata.normalize("NFKD", words).encode()
    salt = ("mnemonic" + unicodedata.normalize("NFKD", passphrase)).encode()
    return hashlib.pbkdf2_hmac("sha512", phrase, salt, 2048)


def master(seed_bytes: bytes) -> tuple[bytes, bytes]:
    """(private key, chain code) of the BIP-32 master node."""
    i = hmac.digest(b"Bitcoin seed", seed_bytes, "sha512")
    key = int.from_bytes(i[:32], "big")
    if key == 0 or key >= _ORDER:
        raise DerivationError("invalid master key")
    return i[:32], i[32:]


def child(key: bytes, chain: bytes, index: int) -> tuple[bytes, bytes]:
    """CKDpriv: the child `index` (>= HARDENED: hardened) of the node (key, chain)."""
    if index >= HARDENED:
        data = b"\x00" + key + index.to_bytes(4, "big")
    else:
        from coincurve import PrivateKey

        data = PrivateKey(key).public_key.format(compressed=True) + index.to_bytes(4, "big")
    i = hmac.digest(chain, data, "sha512")
    tweak = int.from_bytes(i[:32], "big")
    derived = (tweak + int.from_bytes(key, "big")) % _ORDER
    if tweak >= _ORDER or derived == 0:
        raise DerivationError(f"invalid child at index {index}")
    return derived.to_bytes(32, "big"), i[32:]


def derive(seed_bytes: bytes, path: tuple[int, ...] = NIP06_PATH) -> bytes:
    """The private key at `path` below the master node of `seed_bytes`."""
    key, chain = master(seed_bytes)
    for index in path:
        key, chain = child(key, chain, index)
    return key


def nip06_key(words: str, account: int = 0) -> bytes:
    """The Nostr private key NIP-06 derives from a BIP-39 phrase (m/44'/1237'/<account>'/0/0)."""
    path = (44 | HARDENED, 1237 | HARDENED, account | HARDENED, 0, 0)
    return derive(seed(words), path)
