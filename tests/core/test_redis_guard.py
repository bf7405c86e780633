"""The guard of each Redis use (core/redis_guard.py): a command cut at `COMMAND_SECONDS`, Redis
left alone after a slow failure only, every failure logged through the use's throttle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from localexa.server.core import redis_guard
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_guard import (
    REST_SECONDS,
    SLOW_FAILURE_SECONDS,
    RedisGuard,
    RedisHealth,
    RedisUnavailable,
)

T = TypeVar("T")


class Redis:
    """A guard on a clock the test moves, and the commands it ran (`calls`)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.calls: list[str] = []
        throttle = LogThrottle(logging.getLogger("localexa.test"), "the part", clock=self.clock)
        self.health = RedisHealth(clock=self.clock)
        self.guard = RedisGuard(throttle, self.health)

    def clock(self) -> float:
        return self.now

    async def run(self, call: Callable[[], Awaitable[T]], *, rested: bool = True) -> T:
        return await self.guard.run("the part failed (%s)", call, rested=rested)

    async def answered(self) -> str:
        self.calls.append("answered")
        return "value"

    async def refused(self) -> None:
        self.calls.append("refused")
        raise ConnectionError("refused")

    async def connect_timeout(self) -> None:
        self.now += SLOW_FAILURE_SECONDS + 0.01  # the error came after a while
        raise TimeoutError


async def test_a_refused_connection_leaves_redis_asked_at_the_next_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    redis = Redis()
    with pytest.raises(RedisUnavailable) as failed:
        await redis.run(redis.refused)
    assert failed.value.reason == "ConnectionError"
    assert not redis.guard.resting  # a fast failure cost nothing: Redis is asked again at once
    assert await redis.run(redis.answered) == "value"
    assert redis.calls == ["refused", "answered"]
    assert [r.getMessage() for r in caplog.records] == [
        "the part failed (ConnectionError)",
        "the part works again after 1 failed calls (0 of them not logged)",
    ]


async def test_a_slow_failure_rests_redis_and_only_a_revocation_asks_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    redis = Redis()
    with pytest.raises(RedisUnavailable):
        await redis.run(redis.connect_timeout)
    assert redis.guard.resting
    with pytest.raises(RedisUnavailable) as resting:
        await redis.run(redis.answered)
    assert resting.value.reason == "resting after a failure"
    assert redis.calls == []
    assert await redis.run(redis.answered, rested=False) == "value"
    redis.now += REST_SECONDS
    assert not redis.guard.resting
    assert await redis.run(redis.answered) == "value"
    assert redis.calls == ["answered", "answered"]
    assert [r.getMessage() for r in caplog.records] == [
        "the part failed (TimeoutError)",
        # the revocation's; the call that went without Redis while it rested counted
        "the part works again after 2 failed calls (1 of them not logged)",
    ]


async def test_a_command_with_no_answer_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_guard, "COMMAND_SECONDS", 0.05)
    redis = Redis()  # on its own clock: the cut is asyncio's, in real time
    never = asyncio.Event()

    with pytest.raises(RedisUnavailable) as cut:
        await asyncio.wait_for(redis.run(never.wait), 5)
    assert cut.value.reason == redis_guard.NO_ANSWER
    assert redis.guard.resting


async def test_a_revocation_redis_answered_ends_the_rest_for_every_use() -> None:
    """Redis answering a call made while it rested (a revocation) shows it is back: the other uses
    ask it again at once rather than going without it for the rest of `REST_SECONDS`."""
    redis = Redis()
    other_use = RedisGuard(LogThrottle(logging.getLogger("localexa.test"), "another part"), redis.health)
    with pytest.raises(RedisUnavailable):
        await redis.run(redis.connect_timeout)
    assert other_use.resting

    assert await redis.run(redis.answered, rested=False) == "value"

    assert not other_use.resting
    assert await other_use.run("another part failed (%s)", redis.answered) == "value"
    assert redis.calls == ["answered", "answered"]
