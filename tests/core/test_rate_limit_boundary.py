"""The sliding window counter at a window boundary (core/rate_limit.py `StrictSlidingWindowCounter`).

`limits` rounds the weighted count down, so right after a boundary the last window's calls
counted one less: a third call of "2/minute" went through when the three straddled a minute
(CI failed once on tests/events/test_gateway.py's throttling test). Time is fixed here, so each
case lands exactly where it means to.
"""

from __future__ import annotations

import time

import pytest

from localexa.server.core.rate_limit import WindowLimiter

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
