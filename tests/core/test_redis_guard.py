"""The guard of each Redis use (core/redis_guard.py): a command cut at `COMMAND_SECONDS`, Redis
left alone after a slow failure only, every failure logged through the use's throttle."""

from __future__ import annotations

import asyncio
import logging

import pytest

from localexa.server.core import redis_guard
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_guard import REST_SECONDS, SLOW_FAILURE_SECONDS, RedisGuard, RedisUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _guard(clock: Clock) -> RedisGuard:
    return RedisGuard(LogThrottle(logging.getLogger("localexa.test"), "the part", clock=clock), clock=clock)


async def test_a_refused_connection_leaves_redis_asked_at_the_next_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, calls = Clock(), []
    guard = _guard(clock)

    async def refused() -> None:
        calls.append("refused")
        raise ConnectionError("refused")

    async def answered() -> str:
        calls.append("answered")
        return "value"

    caplog.set_level(logging.WARNING)
    with pytest.raises(RedisUnavailable) as failed:
        await guard.run("the part failed (%s)", refused)
    assert failed.value.reason == "ConnectionError"
    assert not guard.resting  # a fast failure cost nothing: Redis is asked again at once
    assert await guard.run("the part failed (%s)", answered) == "value"
    assert calls == ["refused", "answered"]
    assert [r.getMessage() for r in caplog.records] == [
        "the part failed (ConnectionError)",
        "the part works again after 1 failed calls (0 of them not logged)",
    ]


async def test_a_slow_failure_rests_redis_and_only_a_revocation_asks_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, calls = Clock(), []
    guard = _guard(clock)

    async def connect_timeout() -> None:
        clock.now += SLOW_FAILURE_SECONDS + 0.01  # the error came after a while
        raise TimeoutError

    async def answered() -> str:
        calls.append("answered")
        return "value"

    caplog.set_level(logging.WARNING)
    with pytest.raises(RedisUnavailable):
        await guard.run("the part failed (%s)", connect_timeout)
    assert guard.resting
    with pytest.raises(RedisUnavailable) as resting:
        await guard.run("the part failed (%s)", answered)
    assert resting.value.reason == "resting after a failure"
    assert calls == []
    assert await guard.run("the part failed (%s)", answered, rested=False) == "value"
    clock.now += REST_SECONDS
    assert not guard.resting
    assert await guard.run("the part failed (%s)", answered) == "value"
    assert calls == ["answered", "answered"]
    assert [r.getMessage() for r in caplog.records] == [
        "the part failed (TimeoutError)",
        "the part works again after 1 failed calls (0 of them not logged)",  # the revocation's
    ]


async def test_a_command_with_no_answer_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_guard, "COMMAND_SECONDS", 0.05)
    guard = RedisGuard(LogThrottle(logging.getLogger("localexa.test"), "the part"))
    never = asyncio.Event()

    with pytest.raises(RedisUnavailable) as cut:
        await asyncio.wait_for(guard.run("the part failed (%s)", never.wait), 5)
    assert cut.value.reason == redis_guard.NO_ANSWER
    assert guard.resting
