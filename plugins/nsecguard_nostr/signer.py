"""A nostr-sdk signer that will not sign a leak: wrap any `NostrSigner` (a `Keys`, a client's own).

    signer = GuardedSigner(keys)                      # refuses: raises NostrSdkError
    signer = GuardedSigner(keys, mode="sanitize")     # signs the safe draft instead
    event = EventBuilder(Kind(1), text).tags(tags).finalize(signer)
    gift = nip17_make_private_msg(signer, receiver, text)   # the sealed message is checked too
    event = await unsigned.sign_async(GuardedAsyncSigner(bunker_signer))   # the async interface

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
    AsyncNostrSigner,
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


class _Guard:
    """The checks shared by the sync and async signers; `user` is the signer's public key (hex)."""

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

    def _found(self, check: DraftCheck) -> None:
        self.last_check = check
        if self.on_leak is not None:
            self.on_leak(check)
        if self.mode == "refuse":
            raise LeakRefused(check)

    def _check_event(self, data: dict[str, Any], user: str) -> DraftCheck | None:
        content = data.get("content")
        tags = data.get("tags")
        kind = data.get("kind")
        if not isinstance(content, str) or not isinstance(tags, list) or not isinstance(kind, int):
            return None
        check = check_draft(content, tags, kind, user)
        if check.clean:
            return None
        self._found(check)
        return check

    def _signable(self, unsigned: UnsignedEvent, user: str) -> UnsignedEvent:
        """`unsigned` when clean, the safe draft in sanitize mode; raises in refuse mode."""
        data = json.loads(unsigned.as_json())
        check = self._check_event(data, user)
        return unsigned if check is None else _rebuild(data, check)

    def _plaintext(self, content: str, user: str) -> str:
        """What to encrypt: `content` when clean, the safe text or rumor in sanitize mode."""
        if not self.check_encrypted:
            return content
        if content.startswith("{") and '"pubkey"' in content:  # a NIP-59 rumor
            try:
                data = json.loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("pubkey"), str):
                check = self._check_event(data, user)
                if check is None:
                    return content
                rumor: str = _rebuild(data, check).as_json()
                return rumor
        check = check_draft(content, [], 14, user)
        if check.clean:
            return content
        self._found(check)
        return check.content


class GuardedSigner(_Guard, NostrSigner):  # type: ignore[misc]  # nostr-sdk ships no type information
    """`inner` (a `NostrSigner`) with a compose-time check before every signature and encryption."""

    def _user(self) -> str:
        pubkey: str = self.inner.get_public_key().to_hex()
        return pubkey

    def get_public_key(self) -> PublicKey:
        return self.inner.get_public_key()

    def sign_event(self, unsigned_event: UnsignedEvent) -> Event:
        signed: Event = self.inner.sign_event(self._signable(unsigned_event, self._user()))
        return signed

    def nip04_encrypt(self, public_key: PublicKey, content: str) -> str:
        encrypted: str = self.inner.nip04_encrypt(public_key, self._plaintext(content, self._user()))
        return encrypted

    def nip04_decrypt(self, public_key: PublicKey, encrypted_content: str) -> str:
        decrypted: str = self.inner.nip04_decrypt(public_key, encrypted_content)
        return decrypted

    def nip44_encrypt(self, public_key: PublicKey, content: str) -> str:
        encrypted: str = self.inner.nip44_encrypt(public_key, self._plaintext(content, self._user()))
        return encrypted

    def nip44_decrypt(self, public_key: PublicKey, payload: str) -> str:
        decrypted: str = self.inner.nip44_decrypt(public_key, payload)
        return decrypted


class GuardedAsyncSigner(_Guard, AsyncNostrSigner):  # type: ignore[misc]
    """The same around an `AsyncNostrSigner` (a `Keys`, a NIP-46 `NostrConnect` bunker signer)."""

    async def _user(self) -> str:
        public_key = await self.inner.get_public_key_async()
        if public_key is None:
            raise NostrSdkError.Generic("the signer has no public key")
        pubkey: str = public_key.to_hex()
        return pubkey

    async def get_public_key_async(self) -> PublicKey | None:
        public_key: PublicKey | None = await self.inner.get_public_key_async()
        return public_key

    async def sign_event_async(self, unsigned_event: UnsignedEvent) -> Event | None:
        signed: Event | None = await self.inner.sign_event_async(
            self._signable(unsigned_event, await self._user())
        )
        return signed

    async def nip04_encrypt_async(self, public_key: PublicKey, content: str) -> str:
        plaintext = self._plaintext(content, await self._user())
        encrypted: str = await self.inner.nip04_encrypt_async(public_key, plaintext)
        return encrypted

    async def nip04_decrypt_async(self, public_key: PublicKey, encrypted_content: str) -> str:
        decrypted: str = await self.inner.nip04_decrypt_async(public_key, encrypted_content)
        return decrypted

    async def nip44_encrypt_async(self, public_key: PublicKey, content: str) -> str:
        plaintext = self._plaintext(content, await self._user())
        encrypted: str = await self.inner.nip44_encrypt_async(public_key, plaintext)
        return encrypted

    async def nip44_decrypt_async(self, public_key: PublicKey, payload: str) -> str:
        decrypted: str = await self.inner.nip44_decrypt_async(public_key, payload)
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
