from __future__ import annotations

from typing import Any
from unittest.mock import Mock

import pytest
from immutabledict import immutabledict

from nsecguard_matrix.synapse_module import NsecGuardModule
from tests.nsecguard_matrix.conftest import Planted


def module() -> NsecGuardModule:
    return NsecGuardModule(NsecGuardModule.parse_config({}), Mock())


def ev(content: Any, type: str = "m.room.message") -> Any:
    return Mock(type=type, content=content, sender="@a:hs", room_id="!r:hs", event_id="$e")


async def test_refuses_a_key_in_an_immutable_content(planted: Planted) -> None:
    pytest.importorskip("synapse")
    key = planted.new()
    content = immutabledict(
        {"msgtype": "m.text", "body": "hi", "m.new_content": immutabledict({"body": key.nsec})}
    )
    code, extra = await module().check_event_for_spam(ev(content))
    assert code == "M_FORBIDDEN"
    assert key.npub in extra["error"] and not planted.found_in(str(extra))


async def test_passes_clean_encrypted_and_odd_events(planted: Planted) -> None:
    m = module()
    assert await m.check_event_for_spam(ev(immutabledict({"body": "hello"}))) == "NOT_SPAM"
    assert (
        await m.check_event_for_spam(ev({"ciphertext": planted.new().nsec}, "m.room.encrypted")) == "NOT_SPAM"
    )
    assert await m.check_event_for_spam(ev(None)) == "NOT_SPAM"


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        NsecGuardModule.parse_config({"min_confidence": "never"})
    with pytest.raises(ValueError, match="`colour`"):
        NsecGuardModule.parse_config({"colour": 1})


# ---- against a real Synapse with the module -------------------------------------------


async def test_a_real_synapse_refuses_secrets_wherever_a_client_can_put_them(
    guarded_synapse: Any, planted: Planted
) -> None:
    """Profile display names, membership display names, createRoom name and topic, kick
    reasons, custom state events, text uploads: each refused with the npub, never the key."""
    import io
    import os

    nio = pytest.importorskip("nio")
    from tests.nsecguard_matrix.conftest import uid
    from tests.nsecguard_matrix.test_integration import peer

    hs = guarded_synapse
    async with peer(hs, uid("alice")) as alice, peer(hs, uid("bob")) as bob:
        room = await alice.create_room([bob.user_id], bot_level=None)
        await bob.client.join(room)
        key = planted.new()
        refusals: list[Any] = [
            await alice.client.set_displayname(f"alice {key.nsec}"),
            await alice.client.room_put_state(
                room,
                "m.room.member",
                {"membership": "join", "displayname": key.nsec},
                state_key=alice.user_id,
            ),
            await alice.client.room_create(name=f"keys {key.nsec}"),
            await alice.client.room_create(topic=f"my key {key.nsec}"),
            await alice.client.room_kick(room, bob.user_id, reason=f"you saw {key.nsec}"),
            await alice.client.room_put_state(room, "org.example.custom", {"note": {"deep": key.nsec}}),
            await alice.client.room_put_state(room, "m.room.topic", {"topic": key.nsec}),
        ]
        data = f"backup\nnsec={key.nsec}\n".encode()
        upload, _keys = await alice.client.upload(
            lambda *_: io.BytesIO(data), content_type="text/plain", filename="backup.txt", filesize=len(data)
        )
        # Synapse answers a refused upload with its own words (400 "Bad content"), not the module's
        assert isinstance(upload, nio.UploadError) and not planted.found_in(str(upload.message))
        for resp in refusals:
            assert getattr(resp, "status_code", None) == "M_FORBIDDEN", resp
            assert key.npub in resp.message and "private key" in resp.message, resp
            assert not planted.found_in(str(resp.message))
        profile = await bob.client.get_displayname(alice.user_id)
        assert not planted.found_in(str(getattr(profile, "displayname", "")))
        # clean ones pass
        assert isinstance(await alice.client.set_displayname("Alice"), nio.ProfileSetDisplayNameResponse)
        assert isinstance(await alice.client.room_create(topic="no secrets"), nio.RoomCreateResponse)
        bunker = f"bunker://{planted.new().pubhex}?relay=wss://r.example&secret={os.urandom(8).hex()}"
        resp = await alice.client.room_send(room, "m.room.message", {"msgtype": "m.text", "body": bunker})
        assert resp.status_code == "M_FORBIDDEN" and "remote-signer secret" in resp.message
        assert "private key" not in resp.message
    log = hs.log_path.read_text(errors="replace")
    assert not planted.found_in(log), "a planted key reached Synapse's log"
