"""The XMPP building blocks on a real Prosody 0.12: mod_muc_moderation from prosody-modules
retracts a message for everyone and replaces it in the room archive (MAM)."""

from __future__ import annotations

import pytest

from tests.nsecguard_xmpp.conftest import Inbox, Online, archive, join, uid

pytestmark = pytest.mark.slow


async def test_moderator_retracts_for_everyone_and_from_the_archive(online: Online) -> None:
    from nsecguard_xmpp.client import is_retraction, is_tombstone, moderate, stanza_id

    owner, user, observer = await online("owner"), await online("user"), await online("obs")
    room = f"{uid('room')}@muc.localhost"
    await join(owner, room, "owner")  # creates the room: owner, so moderator
    await join(user, room, "user")
    seen = Inbox(observer)
    await join(observer, room, "obs")
    owner_inbox = Inbox(owner)

    user.send_message(mto=room, mbody="a secret line", mtype="groupchat")
    got = await owner_inbox.wait(lambda m: m["body"] == "a secret line")
    target = stanza_id(got, room)
    assert target

    await moderate(owner, room, target, "test retraction")
    notice = await seen.wait(lambda m: is_retraction(m) is not None)
    assert is_retraction(notice) == target

    stored = await archive(observer, room)
    bodies = [m["body"] for m in stored]
    assert "a secret line" not in bodies
    assert any(is_tombstone(m) for m in stored)

    # a newcomer's join history has no trace of the body either
    late = await online("late")
    _, _, _, history = await join(late, room, "late", maxstanzas=50)
    assert "a secret line" not in [m["body"] for m in history]


async def test_a_plain_participant_is_refused(online: Online) -> None:
    from nsecguard_xmpp.client import ModerationError, moderate, stanza_id

    owner, user = await online("owner"), await online("user")
    room = f"{uid('room')}@muc.localhost"
    await join(owner, room, "owner")
    await join(user, room, "user")
    inbox = Inbox(user)
    owner.send_message(mto=room, mbody="hello", mtype="groupchat")
    got = await inbox.wait(lambda m: m["body"] == "hello")
    target = stanza_id(got, room)
    assert target
    with pytest.raises(ModerationError) as err:
        await moderate(user, room, target, "no power")
    assert err.value.condition == "forbidden"
