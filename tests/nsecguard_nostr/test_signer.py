"""The guarded signer around nostr-sdk's own signer: refuses or sanitizes, through nostr-sdk's
builders (which call the signer from Rust), and what it signs passes a real guarded LocalRelay."""

from __future__ import annotations

import json

import pytest
from nostr_helpers import TestKey, assert_no_key, new_key, rand_hex
from nostr_sdk import (
    EventBuilder,
    Keys,
    Kind,
    NostrSdkError,
    Tag,
    UnwrappedGift,
    nip04_decrypt,
    nip17_make_private_msg,
    nip17_make_private_msg_async,
)
from sdk_relay import client, local_relay, publish

from nsecguard_nostr.compose import DraftCheck
from nsecguard_nostr.sdk_policy import LeakWritePolicy
from nsecguard_nostr.signer import REFUSED, GuardedAsyncSigner, GuardedSigner, LeakRefused


def keys_of(k: TestKey) -> Keys:
    return Keys.parse(k.hex)


def test_refuses_through_nostr_sdk_with_the_warning_and_no_key() -> None:
    me = new_key()
    seen: list[DraftCheck] = []
    signer = GuardedSigner(keys_of(me), on_leak=seen.append)
    with pytest.raises(NostrSdkError) as exc:
        EventBuilder(Kind(1), f"backup {me.nsec}").finalize(signer)
    message = str(exc.value)
    assert REFUSED in message and "YOUR OWN PRIVATE KEY" in message and me.npub in message
    assert_no_key(message, me)
    assert len(seen) == 1 and seen[0].own_key and signer.last_check is seen[0]


def test_direct_call_raises_leak_refused_with_the_check() -> None:
    me, other = new_key(), new_key()
    signer = GuardedSigner(keys_of(me))
    unsigned = (
        EventBuilder(Kind(1), "hi")
        .tags([Tag.parse(["subject", other.nsec])])
        .finalize_unsigned(keys_of(me).public_key())
    )
    with pytest.raises(LeakRefused) as exc:
        signer.sign_event(unsigned)
    assert exc.value.check.findings[0].where == "tag subject"
    assert not exc.value.check.own_key
    assert_no_key(str(exc.value), me, other)


def test_clean_events_are_signed_unchanged() -> None:
    me = new_key()
    tags = [["e", rand_hex()], ["p", rand_hex()], ["t", "nostr"]]
    builder = EventBuilder(Kind(1), "gm, nsec1 keys stay private").tags([Tag.parse(t) for t in tags])
    unsigned = builder.finalize_unsigned(keys_of(me).public_key())
    event = unsigned.sign(GuardedSigner(keys_of(me)))
    assert event.verify()
    assert event.content() == "gm, nsec1 keys stay private" and [t.to_vec() for t in event.tags()] == tags
    assert event.id().to_hex() == json.loads(unsigned.ensure_id().as_json())["id"]


def test_sanitize_signs_the_safe_draft_with_a_new_id() -> None:
    me, other = new_key(), new_key()
    signer = GuardedSigner(keys_of(me), mode="sanitize")
    event = (
        EventBuilder(Kind(1), f"mine nostr:{me.nsec}, theirs {other.hex}")
        .tags([Tag.parse(["p", other.pubhex])])
        .finalize(signer)
    )
    assert event.verify() and event.author().to_hex() == me.pubhex
    assert event.content() == f"mine nostr:{me.npub}, theirs nostr:{other.npub}"
    assert [t.to_vec() for t in event.tags()] == [["p", other.pubhex], ["p", me.pubhex]]
    assert_no_key(event.as_json(), me, other)


def test_profile_is_sanitized_field_by_field() -> None:
    me = new_key()
    profile = {"name": "alice", "about": f"key: {me.nsec}", "lud16": "alice@wallet.example"}
    event = EventBuilder(Kind(0), json.dumps(profile)).finalize(GuardedSigner(keys_of(me), mode="sanitize"))
    assert json.loads(event.content()) == {**profile, "about": f"key: nostr:{me.npub}"}
    assert event.tags() == []


def test_private_messages_are_checked_inside_the_seal() -> None:
    me, friend = new_key(), new_key()
    with pytest.raises(NostrSdkError) as exc:
        nip17_make_private_msg(GuardedSigner(keys_of(me)), keys_of(friend).public_key(), f"here: {me.nsec}")
    assert REFUSED in str(exc.value)
    gift = nip17_make_private_msg(
        GuardedSigner(keys_of(me), mode="sanitize"), keys_of(friend).public_key(), f"here: {me.nsec}"
    )
    rumor = UnwrappedGift.from_gift_wrap(keys_of(friend), gift).rumor()
    assert rumor.kind().as_u16() == 14 and rumor.content() == f"here: nostr:{me.npub}"
    assert rumor.id() is not None  # the rebuilt rumor carries its id, as NIP-59 wants
    # a clean message goes through untouched
    gift = nip17_make_private_msg(GuardedSigner(keys_of(me)), keys_of(friend).public_key(), "lunch?")
    assert UnwrappedGift.from_gift_wrap(keys_of(friend), gift).rumor().content() == "lunch?"


def test_nip04_plaintext_is_checked_unless_told_not_to() -> None:
    me, friend = new_key(), new_key()
    with pytest.raises(LeakRefused):
        GuardedSigner(keys_of(me)).nip04_encrypt(keys_of(friend).public_key(), me.nsec)
    safe = GuardedSigner(keys_of(me), mode="sanitize").nip04_encrypt(keys_of(friend).public_key(), me.nsec)
    assert nip04_decrypt(keys_of(friend).secret_key(), keys_of(me).public_key(), safe) == f"nostr:{me.npub}"
    raw = GuardedSigner(keys_of(me), check_encrypted=False).nip04_encrypt(keys_of(friend).public_key(), "x")
    assert nip04_decrypt(keys_of(friend).secret_key(), keys_of(me).public_key(), raw) == "x"
    with pytest.raises(ValueError):
        GuardedSigner(keys_of(me), mode="ask")  # type: ignore[arg-type]


@pytest.mark.slow
async def test_what_the_guarded_signer_signs_passes_a_guarded_relay() -> None:
    """End to end: the raw signer's leak is refused by the relay; the sanitized one is accepted;
    the refusing signer publishes nothing."""
    me = new_key()
    draft = EventBuilder(Kind(1), f"gm {me.nsec}")
    async with local_relay(LeakWritePolicy()) as url, client(url) as c:
        ok, message = await publish(c, draft.finalize(keys_of(me)))
        assert not ok and message is not None and "your own private key" in message
        assert await publish(c, draft.finalize(GuardedSigner(keys_of(me), mode="sanitize"))) == (True, None)
        with pytest.raises(NostrSdkError):
            draft.finalize(GuardedSigner(keys_of(me)))


async def test_async_signer_refuses_and_sanitizes_through_nostr_sdk() -> None:
    me, friend = new_key(), new_key()
    keys = keys_of(me)
    unsigned = EventBuilder(Kind(1), f"hi {me.nsec}").finalize_unsigned(keys.public_key())
    with pytest.raises(NostrSdkError) as exc:
        await unsigned.sign_async(GuardedAsyncSigner(keys))
    assert REFUSED in str(exc.value) and me.npub in str(exc.value)
    assert_no_key(str(exc.value), me)
    event = await unsigned.sign_async(GuardedAsyncSigner(keys, mode="sanitize"))
    assert event.verify() and event.content() == f"hi nostr:{me.npub}"
    receiver = keys_of(friend).public_key()
    with pytest.raises(NostrSdkError):
        await nip17_make_private_msg_async(GuardedAsyncSigner(keys), receiver, f"x {me.nsec}")
    gift = await nip17_make_private_msg_async(GuardedAsyncSigner(keys, mode="sanitize"), receiver, "lunch?")
    assert UnwrappedGift.from_gift_wrap(keys_of(friend), gift).rumor().content() == "lunch?"
    assert (await GuardedAsyncSigner(keys).get_public_key_async()).to_hex() == me.pubhex
