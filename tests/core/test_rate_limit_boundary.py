"""The sliding window counter at a window boundary (core/rate_limit.py `StrictSlidingWindowCounter`).

`limits` rounds the weighted count down, so right after a boundary the last window's calls
counted one less: a third call of "2/minute" went through when the three straddled a minute
(CI failed once on tests/events/test_gateway.py's throttling test). Time is fixed here, so each
case lands exactly where it means to.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from localexa.server.core.rate_limit import WindowLimiter
from tests.redis_probe import redis_or_skip

MINUTE = 60.0
#: A minute boundary (the windows of `limits`' memory storage are aligned to the epoch).
BOUNDARY = 29_000_000 * MINUTE


class FrozenTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    frozen = FrozenTime(BOUNDARY - 0.002)
    monkeypatch.setattr(time, "time", frozen)
    return frozen


async def test_calls_straddling_a_boundary_count_in_full(clock: FrozenTime) -> None:
    limiter = WindowLimiter.from_settings("2/minute", None)
    assert await limiter.hit("things.list", "user:a") is None
    assert await limiter.hit("things.list", "user:a") is None
    clock.now = BOUNDARY + 0.001
    assert await limiter.spent("things.list", "user:a") is not None
    assert await limiter.hit("things.list", "user:a") is not None


async def test_one_call_before_the_boundary_and_two_after(clock: FrozenTime) -> None:
    limiter = WindowLimiter.from_settings("2/minute", None)
    assert await limiter.hit("things.list", "user:a") is None
    clock.now = BOUNDARY + 0.001
    assert await limiter.hit("things.list", "user:a") is None
    assert await limiter.hit("things.list", "user:a") is not None


async def test_the_last_windows_calls_fade_with_its_overlap(clock: FrozenTime) -> None:
    limiter = WindowLimiter.from_settings("2/minute", None)
    for _ in range(2):
        assert await limiter.hit("things.list", "user:a") is None
    clock.now = BOUNDARY + MINUTE / 2 + 0.001  # half the last window still overlaps: 1 of 2 spent
    assert await limiter.hit("things.list", "user:a") is None
    assert await limiter.hit("things.list", "user:a") is not None
    clock.now = BOUNDARY + 2 * MINUTE + 0.001  # both windows gone
    assert await limiter.hit("things.list", "user:a") is None
    assert await limiter.hit("things.list", "other") is None


@pytest.fixture
async def redis_limiter() -> AsyncIterator[WindowLimiter]:
    limiter = WindowLimiter.from_settings("2 per 2 seconds", await redis_or_skip())
    await limiter.reset()
    try:
        yield limiter
    finally:
        await limiter.reset()
        await limiter.aclose()


async def test_in_redis_the_last_windows_calls_count_unrounded(redis_limiter: WindowLimiter) -> None:
    """Redis's windows start at a key's first call: 2.2 s after two calls of "2 per 2 seconds"
    the last window still overlaps by ~0.9, so 2 × 0.9 = 1.8 of 2 are spent (rounded down, 1: a
    third call went through). One script counts and decides (core/strict_window.py), in one round
    trip. The count is over 1 until 3 s after the first call: a later third call proves nothing."""
    assert getattr(redis_limiter._storage, "_localexa_counts_strictly", False)
    first = time.monotonic()
    assert await redis_limiter.hit("things.list", "user:r") is None
    assert await redis_limiter.hit("things.list", "user:r") is None
    await asyncio.sleep(2.2)
    refused = await redis_limiter.hit("things.list", "user:r")
    if time.monotonic() - first > 2.9:
        pytest.skip("the machine was too busy to place the third call within the overlap")
    assert refused is not None
    await asyncio.sleep(1.8)  # 4 s: nothing of the last window overlaps
    assert await redis_limiter.hit("things.list", "user:r") is None
