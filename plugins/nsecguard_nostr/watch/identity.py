"""The sentinel's own key: from a file only its owner can read (mode 0600 or stricter) or from
stdin (`-`), never from the command line. Only its npub is ever shown."""

from __future__ import annotations

import os
import stat
import sys
from typing import TYPE_CHECKING

from nsecguard import bech32, keys
from nsecguard.errors import FatalError

if TYPE_CHECKING:
    from nostr_sdk import Keys


def _parse(text: str, source: str) -> bytes:
    value = text.strip()
    secret: bytes | None = None
    if value.lower().startswith("nsec1"):
        decoded = bech32.decode(value, hrp="nsec")
        secret = decoded.data if decoded is not None else None
    elif len(value) == 64:
        try:
            secret = bytes.fromhex(value)
        except ValueError:
            secret = None
    if secret is None or not keys.is_valid_secret(secret):
        # never quote the content: it may be a key with a typo
        raise FatalError(f"{source} does not hold a private key (an nsec1... or 64 hex digits on one line)")
    return secret


def read_secret(path: str) -> bytes:
    """The identity key's 32 bytes, from `path` (refused unless mode 0600 or stricter) or stdin."""
    if path == "-":
        return _parse(sys.stdin.readline(), "stdin")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise FatalError(f"cannot read the identity file {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FatalError(f"the identity file {path} is not a regular file")
        if st.st_mode & 0o077:
            raise FatalError(
                f"the identity file {path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}): "
                f"run `chmod 600 {path}`"
            )
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace", closefd=False) as f:
            text = f.read(4096)
    finally:
        os.close(fd)
    return _parse(text, f"the identity file {path}")


def load(path: str) -> Keys:
    """The identity as nostr-sdk `Keys`."""
    from nostr_sdk import Keys, SecretKey

    return Keys(SecretKey.from_bytes(read_secret(path)))
