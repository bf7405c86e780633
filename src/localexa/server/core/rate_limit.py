"""Per-caller, per-operation rate limits: 429 with `Retry-After` (DESIGN.md "Rate limits").

Every Amazon API here lists "429 Too Many Requests: permitted rate limit exceeded" (seeds). The
budget is `settings.rate_limit` in the `limits` notation ("6000/minute", or several separated by
`;`), counted in a sliding window per (operation, caller). Counters live in memory by default and
in Redis when `settings.redis_url` is set, so several server processes share one budget.

Areas apply it with a dependency, declared AFTER the route's auth dependency so the caller is the
token's customer (or LWA client) rather than the token string or the client address:

    @router.get("/v1/things", dependencies=[...])
    async def things(principal: ..., _: None = rate_limited("things.list")) -> ...

If Redis cannot be reached (or is left alone after it hung: core/redis_guard.py) the call is
counted in this process's memory instead, against the same budget: a limiter outage must not take
every API down with it, nor lift every budget (the sign-in budget is what slows password guessing).
With N processes the budget is then N times as large, one per process, until Redis answers again;
Redis's counters then apply once more (the calls of the outage are not in them), and the memory's
are forgotten. A warning is
logged once per 30 s of outage, not per call, and once more when Redis answers again
(core/log_throttle.py).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from typing import Any, Protocol

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from localexa.server.core.errors import TooManyRequests
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_guard import RedisGuard, RedisHealth, RedisUnavailable
from localexa.server.core.redis_pools import bounded_pool

logger = logging.getLogger("localexa.rate_limit")


#: Operations that try a secret a person may have chosen (a password, an admin key set through
#: LOCALEXA_ADMIN_KEY): besides `rate_limit` they count against `sign_in_rate_limit`, so that
#: guessing is slow while an API's own budget stays large enough for load tests.
SIGN_IN_OPERATIONS = frozenset({"lwa.signin", "console.login", "admin.key"})
#: Of those, the ones that count wrong keys only (core/auth.py `require_admin_key`).
WRONG_KEY_OPERATIONS = frozenset({"admin.key"})


class Limiter(Protocol):
    async def hit(self, operation: str, caller: str) -> int | None:
        """Count one call; None when allowed, else the seconds to wait before retrying."""
        ...

    async def spent(self, operation: str, caller: str) -> int | None:
        """The seconds to wait when the budget is spent (counting nothing), else None."""
        ...

    async def reset(self) -> None:
        """Forget every counter (POST /_localexa/reset)."""
        ...

    async def aclose(self) -> None: ...


#: The Redis key prefix of the counters: their own, so that forgetting them (`reset`, which
#: deletes every key under the prefix) leaves the token cache's keys (`localexa:…`) alone.
REDIS_PREFIX = "localexa-rate"


#: Budgets of at most this many calls per period are counted exactly (WindowLimiter).
EXACT_UP_TO = 1000

#: What the warning says is done while the limiter's Redis fails.
COUNTED_HERE = "counting calls in this process only"


class _Strategies:
    """The two ways of counting (see WindowLimiter) over one storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.counter = SlidingWindowCounterRateLimiter(storage)
        self.exact = MovingWindowRateLimiter(storage)

    def for_item(self, item: RateLimitItem) -> RateLimiter:
        return self.exact if item.amount <= EXACT_UP_TO else self.counter


class WindowLimiter:
    """A limiter over a `limits` storage (memory or Redis), exact for small budgets.

    A budget of up to EXACT_UP_TO calls per period keeps each call's time (`limits`' moving
    window): never more than N calls in any period, and `Retry-After` is when the oldest of them
    leaves it. A larger one (the APIs' 6000/minute) keeps two counters per (operation, caller),
    this window's and the last one's weighted by how much of it still overlaps: O(1) per call,
    where the moving window's timestamps cost ~15 % of a cheap authenticated GET under load
    (bench/), and its rounding (one call more at a window boundary) is noise at that size. The
    counter alone let three calls of "2/minute" through when they straddled a minute: a test of
    the 429 failed about once per 60 s ÷ its duration (CI saw it; since 2026-12-06).
    """

    def __init__(
        self,
        limits: list[RateLimitItem],
        storage: Storage,
        closer: Any = None,
        *,
        sign_in_limits: list[RateLimitItem] | None = None,
        health: RedisHealth | None = None,
    ) -> None:
        self._limits = limits
        # Sign-in attempts (SIGN_IN_OPERATIONS) also count against their own, smaller budget;
        # wrong keys only against that one (the API's budget is not theirs to spend or check).
        self._wrong_key_limits = sign_in_limits or []
        self._sign_in_limits = limits + self._wrong_key_limits
        self._storage = storage
        self._strategies = _Strategies(storage)
        self._closer = closer
        #: Redis's commands are guarded; the memory storage's need no guard (the hot path).
        self._guard: RedisGuard | None = None
        #: Where calls are counted while Redis fails or rests: this process's memory.
        self._fallback: MemoryStorage | None = None
        if isinstance(storage, RedisStorage):
            self._guard = RedisGuard(LogThrottle(logger, "rate limit storage"), health)
            self._fallback = MemoryStorage()
        self._fallback_strategies = _Strategies(self._fallback) if self._fallback is not None else None
        #: Whether calls were counted in `_fallback` since Redis last answered.
        self._outage_counted = False

    @classmethod
    def from_settings(
        cls,
        rate_limit: str,
        redis_url: str | None,
        sign_in_rate_limit: str | None = None,
        *,
        health: RedisHealth | None = None,
    ) -> WindowLimiter:
        limits = parse_many(rate_limit)
        sign_in = parse_many(sign_in_rate_limit) if sign_in_rate_limit else None
        if not redis_url:
            return cls(limits, MemoryStorage(), sign_in_limits=sign_in)
        # Our own pool, so shutdown can close it (limits would otherwise leave sockets open), and
        # a bounded one (core/redis_pools.py).
        pool = bounded_pool(redis_url, "rate-limits")
        uri = redis_url if redis_url.startswith("async+") else "async+" + redis_url
        options: dict[str, Any] = {"connection_pool": pool}  # passed through to redis.asyncio.Redis
        storage = RedisStorage(uri, implementation="redispy", key_prefix=REDIS_PREFIX, **options)
        return cls(limits, storage, closer=pool, sign_in_limits=sign_in, health=health)

    def _items(self, operation: str) -> list[RateLimitItem]:
        if operation in WRONG_KEY_OPERATIONS:
            return self._wrong_key_limits
        return self._sign_in_limits if operation in SIGN_IN_OPERATIONS else self._limits

    async def hit(self, operation: str, caller: str) -> int | None:
        return await self._check(operation, caller, count=True)

    async def spent(self, operation: str, caller: str) -> int | None:
        """Whether the budget is spent, without counting a call: the seconds to wait, or None."""
        return await self._check(operation, caller, count=False)

    async def _check(self, operation: str, caller: str, *, count: bool) -> int | None:
        """With several budgets ("3/minute;10/hour") every one is tested before any is counted: a
        call one of them refused still spent the others, so waiting its `Retry-After` was not
        enough (re-verification of 2026-12-06). A call two racers both tested may still find a
        budget full when it counts; it is refused then, as with one budget."""
        # One budget (the usual case) is counted at once: one storage round trip per call.
        testing = not count or len(self._items(operation)) > 1

        async def refusals(strategies: _Strategies) -> list[int]:
            items = [(item, strategies.for_item(item)) for item in self._items(operation)]
            waits = [
                await self._wait(item, strategy, operation, caller, count=False)
                for item, strategy in items
                if testing
            ]
            refused = [wait for wait in waits if wait is not None]
            if count and not refused:
                for item, strategy in items:
                    if (wait := await self._wait(item, strategy, operation, caller, count=True)) is not None:
                        refused.append(wait)
                        break
            return refused

        if self._guard is None or self._fallback_strategies is None:
            refused = await refusals(self._strategies)
        else:
            try:
                refused = await self._guard.run(
                    f"rate limit storage failed (%s); {COUNTED_HERE}", lambda: refusals(self._strategies)
                )
            except RedisUnavailable:  # counted in this process's memory (module docstring)
                self._outage_counted = True
                refused = await refusals(self._fallback_strategies)
            else:
                if self._outage_counted:
                    # The memory is for an outage only: a reset through another process meanwhile
                    # emptied Redis, not this memory, and the next outage counted from this one's
                    # calls (review of 2026-12-07).
                    self._outage_counted = False
                    await self._fallback_strategies.storage.reset()
        return max(refused) if refused else None

    async def _wait(
        self, item: RateLimitItem, strategy: RateLimiter, operation: str, caller: str, *, count: bool
    ) -> int | None:
        """None when `item` has room for the call (counting it if `count`), else the seconds until
        it has: whole seconds strictly past the reset, as a call made exactly at it is refused."""
        if count:
            allowed = await strategy.hit(item, operation, caller)
        else:
            allowed = await strategy.test(item, operation, caller)
        if allowed:
            return None
        stats = await strategy.get_window_stats(item, operation, caller)
        return max(1, math.floor(stats.reset_time - time.time()) + 1)

    async def reset(self) -> None:
        """Forget every counter, so a test suite's reset leaves no budget spent by the test before
        (three wrong sign-ins, then a reset: the next test's first sign-in was a 429). With Redis
        this deletes the counters of every process sharing it (`KEYS localexa-rate:*`, then `DEL`:
        fine for the few keys a test server holds)."""
        if self._fallback is not None:
            await self._fallback.reset()
        if self._guard is None:
            await self._storage.reset()
            return
        # Redis failing: the counters expire on their own. Tried even while Redis rests.
        with contextlib.suppress(RedisUnavailable):
            await self._guard.run(
                "rate limit storage failed (%s); counters not reset", self._storage.reset, rested=False
            )

    async def aclose(self) -> None:
        if self._closer is not None:
            await self._closer.aclose()

    def counters_held(self) -> int:
        """Counters kept in this process's memory (metrics): the sliding counters' keys and the
        exact budgets' lists of call times; with Redis, those of the calls counted while it
        failed (until they expire or a reset)."""
        memory = self._fallback if self._fallback is not None else self._storage
        assert isinstance(memory, MemoryStorage)  # without Redis, the storage is memory
        return len(memory.storage) + len(memory.events)


def caller_of(request: Request) -> str:
    """Who is calling: the authenticated customer through one client (an app, a skill), the
    client alone for tokens without a customer, else the client address.

    Per customer and client: a budget per customer alone was spent by any client of the
    customer's, refused calls included, so another vendor's skill could make a skill's (or the
    customer's own app's) calls 429 (authz37 F2); Amazon's limits are the skill's."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        user_id: str | None = principal.user_id
        return f"user:{user_id}:client:{principal.client_id}" if user_id else f"client:{principal.client_id}"
    host = request.client.host if request.client else "-"
    return f"addr:{host}"


def rate_limited(operation: str) -> Any:
    """A dependency that counts the call against `operation`'s budget; 429 when it is spent."""

    async def dependency(request: Request) -> None:
        limiter: Limiter = request.app.state.rate_limiter  # made by the lifespan (app.py)
        retry_after = await limiter.hit(operation, caller_of(request))
        if retry_after is not None:
            raise TooManyRequests(
                f"Rate limit exceeded for {operation}; retry after {retry_after} s.", retry_after=retry_after
            )

    return Depends(dependency)


async def forget_rate_limits(app: Any) -> None:
    """A reset hook (observe/state.py `on_reset`): a reset empties the rate limiter too."""
    limiter: Limiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is not None:
        await limiter.reset()
