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
