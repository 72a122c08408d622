"""One retry policy: Unavailable is tried again (honouring the server's wait), nothing else."""

from __future__ import annotations

import pytest

from nsecguard.chat.retry import RetryPolicy
from nsecguard.chat.transport import Refused, Unavailable


def test_delays_double_within_the_limit_and_honour_the_server() -> None:
    policy = RetryPolicy(first_delay=0.5, max_delay=3.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.delay(1, asked=2.5) == 2.5
    assert policy.delay(1, asked=60) == 3.0


async def test_unavailable_is_retried_until_it_passes() -> None:
    calls: list[int] = []

    async def step() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Unavailable("busy", retry_after=0.001)
        return "ok"

    assert await RetryPolicy(attempts=3, first_delay=0.001).run("x", step) == "ok"
    assert len(calls) == 3


async def test_the_last_unavailable_is_raised_and_refused_is_not_retried() -> None:
    calls: list[str] = []

    async def busy() -> None:
        calls.append("busy")
        raise Unavailable("busy")

    async def no() -> None:
        calls.append("no")
        raise Refused("no power")

    policy = RetryPolicy(attempts=2, first_delay=0.001)
    with pytest.raises(Unavailable):
        await policy.run("x", busy)
    with pytest.raises(Refused):
        await policy.run("x", no)
    assert calls == ["busy", "busy", "no"]
