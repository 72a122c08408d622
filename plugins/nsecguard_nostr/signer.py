"""A nostr-sdk signer that will not sign a leak: wrap any `NostrSigner` (a `Keys`, a client's own).

    signer = GuardedSigner(keys)                      # refuses: raises NostrSdkError
    signer = GuardedSigner(keys, mode="sanitize")     # signs the safe draft instead
    event = EventBuilder(Kind(1), text).tags(tags).finalize(signer)
    gift = nip17_make_private_msg(signer, receiver, text)   # the sealed message is checked too

Every event goes through `compose.check_draft` (content, tags, kind-0 fields; the signer's own
public key tells the user's key from someone else's). In `refuse` mode a leak raises `LeakRefused`
(a `NostrSdkError.Generic`, so it crosses nostr-sdk's Rust code and reaches the caller of
`finalize`/`sign`/`nip17_make_private_msg` as `NostrSdkError`); its message is the warning, which
names keys by npub only. In `sanitize` mode the event is rebuilt from the safe draft (each key
swapped for its `nostr:npub1...` mention, `p` tags added) with a new id, then signed.

Plaintext handed to `nip04_encrypt`/`nip44_encrypt` is checked as well (`check_encrypted`): a key
sent in a private message is a key given to its recipient and to any device that holds the
conversation. A NIP-59 seal's plaintext is the rumor event (a NIP-17 kind 14): it is checked, and
sanitized, as an event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from nostr_sdk import (
    Event,
    EventBuilder,
    Kind,
    NostrSdkError,
    NostrSigner,
    PublicKey,
    Tag,
    Timestamp,
    UnsignedEvent,
)

from nsecguard_nostr.compose import DraftCheck, check_draft

Mode = Literal["refuse", "sanitize"]
REFUSED = "nsecguard refused to sign: "


class LeakRefused(NostrSdkError.Generic):  # type: ignore[misc]  # nostr-sdk ships no type information
    """The event (or message) would leak a secret. `check` holds the findings and the safe draft."""

    def __init__(self, check: DraftCheck) -> None:
        super().__init__(REFUSED + (check.warning or "this would leak a secret"))
        self.check = check


class GuardedSigner(NostrSigner):  # type: ignore[misc]
    """`inner` with a compose-time check before every signature and every encryption."""

    def __init__(
        self,
        inner: Any,
        *,
        mode: Mode = "refuse",
        check_encrypted: bool = True,
        on_leak: Callable[[DraftCheck], None] | None = None,
    ) -> None:
        if mode not in ("refuse", "sanitize"):
            raise ValueError("mode is refuse or sanitize")
        self.inner = inner
        self.mode = mode
        self.check_encrypted = check_encrypted
        self.on_leak = on_leak
        self.last_check: DraftCheck | None = None  # the last check that found something

    # -- the checks ------------------------------------------------------------------------------

    def _user(self) -> str:
        pubkey: str = self.inner.get_public_key().to_hex()
        return pubkey

    def _found(self, check: DraftCheck) -> None:
        self.last_check = check
        if self.on_leak is not None:
            self.on_leak(check)
        if self.mode == "refuse":
            raise LeakRefused(check)

    def _check_event(self, data: dict[str, Any]) -> DraftCheck | None:
        content = data.get("content")
        tags = data.get("tags")
        kind = data.get("kind")
        if not isinstance(content, str) or not isinstance(tags, list) or not isinstance(kind, int):
            return None
        check = check_draft(content, tags, kind, self._user())
        if check.clean:
            return None
        self._found(check)
        return check

    def _checked_plaintext(self, content: str) -> str:
        if not self.check_encrypted:
            return content
        if content.startswith("{") and '"pubkey"' in content:  # a NIP-59 rumor
            try:
                data = json.loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("pubkey"), str):
                check = self._check_event(data)
                if check is None:
                    return content
                rumor: str = _rebuild(data, check).as_json()
                return rumor
        check = check_draft(content, [], 14, self._user())
        if check.clean:
            return content
        self._found(check)
        return check.content

    # -- NostrSigner -----------------------------------------------------------------------------

    def get_public_key(self) -> PublicKey:
        return self.inner.get_public_key()

    def sign_event(self, unsigned_event: UnsignedEvent) -> Event:
        data = json.loads(unsigned_event.as_json())
        check = self._check_event(data)
        if check is not None:
            unsigned_event = _rebuild(data, check)
        signed: Event = self.inner.sign_event(unsigned_event)
        return signed

    def nip04_encrypt(self, public_key: PublicKey, content: str) -> str:
        encrypted: str = self.inner.nip04_encrypt(public_key, self._checked_plaintext(content))
        return encrypted

    def nip04_decrypt(self, public_key: PublicKey, encrypted_content: str) -> str:
        decrypted: str = self.inner.nip04_decrypt(public_key, encrypted_content)
        return decrypted

    def nip44_encrypt(self, public_key: PublicKey, content: str) -> str:
        encrypted: str = self.inner.nip44_encrypt(public_key, self._checked_plaintext(content))
        return encrypted

    def nip44_decrypt(self, public_key: PublicKey, payload: str) -> str:
        decrypted: str = self.inner.nip44_decrypt(public_key, payload)
        return decrypted


def _rebuild(data: dict[str, Any], check: DraftCheck) -> UnsignedEvent:
    """The safe draft as an unsigned event of the same author, kind and time (a new id)."""
    builder = EventBuilder(Kind(int(data["kind"])), check.content).tags(
        [Tag.parse(tag) for tag in check.safe_tags]
    )
    created_at = data.get("created_at")
    if isinstance(created_at, int):
        builder = builder.custom_created_at(Timestamp.from_secs(created_at))
    unsigned: UnsignedEvent = builder.finalize_unsigned(PublicKey.parse(str(data["pubkey"]))).ensure_id()
    return unsigned
