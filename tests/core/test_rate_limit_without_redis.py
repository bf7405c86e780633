"""While the limiter's Redis is down, hung or left alone after a failure, calls are counted in the
process's memory against the same budget (core/rate_limit.py): before, every call went through
unlimited, the sign-in budget's included, so an outage of Redis lifted the brake on guessing
passwords and admin keys. Redis's counters apply again once it answers.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from localexa.server.core.rate_limit import REDIS_PREFIX, WindowLimiter
from localexa.server.core.redis_guard import COMMAND_SECONDS, RedisHealth
from localexa.server.settings import Settings
from tests.core.tcp_relay import silent_redis as hung_redis
from tests.redis_probe import REDIS_URL, redis_or_skip


def _refusing_url() -> str:
    """A Redis URL whose port refuses connections (as Redis down): a port just let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
async def silent_redis() -> AsyncIterator[str]:
    async with hung_redis() as url:
        yield url


async def test_a_redis_that_is_down_leaves_each_budget_counted_in_memory() -> None:
    limiter = WindowLimiter.from_settings("3/minute", _refusing_url(), "2/minute", health=RedisHealth())
    try:
        assert [await limiter.hit("things.list", "user:a") for _ in range(3)] == [None, None, None]
        retry_after = await limiter.hit("things.list", "user:a")
        assert retry_after is not None
        assert 1 <= retry_after <= 60, retry_after
        assert await limiter.spent("things.list", "user:a") is not None
        assert await limiter.hit("things.list", "user:b") is None  # each caller its own budget
        # The sign-in budget (2/minute), which slows the guessing of passwords and admin keys.
        assert [await limiter.hit("lwa.signin", "addr:10.0.0.66") for _ in range(2)] == [None, None]
        assert await limiter.hit("lwa.signin", "addr:10.0.0.66") is not None
        assert limiter.counters_held() > 0

        await limiter.reset()  # POST /_localexa/reset forgets these counters too
        assert limiter.counters_held() == 0
        assert await limiter.hit("things.list", "user:a") is None
    finally:
        await limiter.aclose()


async def test_a_hung_redis_leaves_the_budget_counted_in_memory_after_one_cut(silent_redis: str) -> None:
    limiter = WindowLimiter.from_settings("2/minute", silent_redis, health=RedisHealth())
    try:
        began = time.monotonic()
        answers = [await limiter.hit("things.list", "user:a") for _ in range(3)]
        took = time.monotonic() - began
        # The first call waits out the cut, then Redis rests and the calls are counted here.
        assert answers[:2] == [None, None]
        assert answers[2] is not None
        assert took < 2 * COMMAND_SECONDS, took
    finally:
        await limiter.aclose()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RedisLimiter:
    """A limiter on the worker's Redis, on a clock the test moves, and a caller of its own."""

    limiter: WindowLimiter
    health: RedisHealth
    clock: _Clock
    redis: Redis
    caller: str

    async def counter_keys(self) -> list[bytes]:
        return [key async for key in self.redis.scan_iter(f"{REDIS_PREFIX}*{self.caller}*")]

    async def hits(self, count: int) -> list[int | None]:
        return [await self.limiter.hit("things.list", self.caller) for _ in range(count)]


@pytest.fixture
async def on_redis() -> AsyncIterator[RedisLimiter]:
    url = await redis_or_skip(REDIS_URL)
    clock = _Clock()
    health = RedisHealth(clock=clock)
    used = RedisLimiter(
        WindowLimiter.from_settings("2/minute", url, health=health),
        health,
        clock,
        Redis.from_url(url),
        f"user:limited-{time.time_ns()}",
    )
    try:
        yield used
    finally:
        keys = await used.counter_keys()
        if keys:
            await used.redis.delete(*keys)
        await used.redis.aclose()
        await used.limiter.aclose()


async def test_redis_counts_again_once_it_is_asked_again(on_redis: RedisLimiter) -> None:
    on_redis.health.rest("a test's outage")  # left alone: counted in memory
    assert await on_redis.hits(2) == [None, None]
    assert (await on_redis.hits(1))[0] is not None

    on_redis.clock.now += 60  # the rest is over: Redis's counters apply, which hold none of these calls
    assert await on_redis.hits(2) == [None, None]
    assert (await on_redis.hits(1))[0] is not None
    assert await on_redis.counter_keys(), "counted in Redis"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the limiter is the same on both


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_url": _refusing_url(), "sign_in_rate_limit": "3/minute"})


async def test_wrong_admin_keys_are_still_limited_with_redis_down(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.0.0.66", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as attacker:
        statuses = []
        for n in range(4):
            guess = {"X-Localexa-Admin-Key": f"guess-{n}"}
            statuses.append((await attacker.get("/_localexa/customers", headers=guess)).status_code)
    assert statuses == [401, 401, 401, 429]


async def test_an_outages_counts_are_forgotten_once_redis_answers(on_redis: RedisLimiter) -> None:
    """A reset through another process while Redis answered empties Redis, not this process's
    memory: the next outage counted from the last one's calls (review of 2026-12-07). The memory
    is for an outage only: forgotten when Redis answers again."""
    on_redis.health.rest("the first outage")
    assert (await on_redis.hits(3))[2] is not None
    on_redis.clock.now += 60  # Redis answers again
    assert await on_redis.hits(1) == [None]
    assert on_redis.limiter.counters_held() == 0
    await on_redis.redis.delete(*await on_redis.counter_keys())  # a reset through another process
    on_redis.health.rest("the second outage, within the minute")
    assert await on_redis.hits(2) == [None, None]
