"""`limits`' sliding window counter without its rounding down (core/rate_limit.py uses it).

`limits` floors the weighted count (the last window's calls times the share of that window
still overlapping, plus this window's), so the first call after a window boundary found
2 × 0.99 = 1 of "2/minute" spent and went through: three calls in one second when the three
straddled a boundary (a test of the 429 failed about once per 60 s ÷ its duration; CI saw it).
A call is allowed only when the unrounded count plus its cost fits.

In Redis the count and the decision are one script, as `limits`' own is: its acquire script with
the floor taken out, registered in place of `limits`' (`count_strictly_in_redis`). Elsewhere (the
memory storage, or a `limits` whose Redis bridge has no such script) the strategy tests the
unrounded count first and then lets `limits` count the call: its floor only ever allows more, so
it refuses nothing the test let through but a call racing it.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from limits import RateLimitItem
from limits.aio.storage.base import SlidingWindowCounterSupport
from limits.aio.strategies import SlidingWindowCounterRateLimiter

logger = logging.getLogger("localexa.rate_limit")

#: `limits`' acquire_sliding_window.lua (5.x) without `math.floor` around the last window's share.
ACQUIRE_STRICTLY = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])

if amount > limit then
    return false
end

local current_ttl = tonumber(redis.call('pttl', KEYS[2]))

if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end

local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = tonumber(redis.call('pttl', KEYS[1])) or 0
local current_count = tonumber(redis.call('get', KEYS[2])) or 0

if previous_ttl <= 0 then
    previous_ttl = 0
end

if (previous_count * previous_ttl / expiry + current_count + amount) > limit then
    return false
end

if redis.call('exists', KEYS[2]) == 1 then
    redis.call('incrby', KEYS[2], amount)
else
    redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
end

return true
"""

#: Set on a storage whose own acquire no longer rounds down (`count_strictly_in_redis`).
_STRICT = "_localexa_counts_strictly"


def count_strictly_in_redis(storage: Any) -> bool:
    """Register ACQUIRE_STRICTLY as `storage`'s acquire script; False (and the two-step way) when
    this `limits` has no such script to replace."""
    bridge = getattr(storage, "bridge", None)
    if bridge is None or not hasattr(bridge, "SCRIPT_ACQUIRE_SLIDING_WINDOW"):
        logger.debug("limits has no Redis acquire script to replace; testing before counting")
        return False
    bridge.SCRIPT_ACQUIRE_SLIDING_WINDOW = ACQUIRE_STRICTLY
    bridge.register_scripts()
    setattr(storage, _STRICT, True)
    return True


class StrictSlidingWindowCounter(SlidingWindowCounterRateLimiter):
    """The sliding window counter, deciding on the unrounded count (module docstring)."""

    async def test(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        window = cast("SlidingWindowCounterSupport", self.storage)
        previous, previous_left, current, _ = await window.get_sliding_window(
            item.key_for(*identifiers), item.get_expiry()
        )
        return self._weighted_count(item, previous, previous_left, current) + cost <= item.amount

    async def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        if getattr(self.storage, _STRICT, False):
            return await super().hit(item, *identifiers, cost=cost)
        return await self.test(item, *identifiers, cost=cost) and await super().hit(
            item, *identifiers, cost=cost
        )
