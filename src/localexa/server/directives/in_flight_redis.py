"""Directives in flight in Redis, for the other processes behind the same database.

directives/in_flight.py holds what this process sends until its exchange is recorded; an early
answer the skill posts to another process's gateway found nothing there and was learned from at
once (a StateReport answering a TurnOn turned the lamp OFF in the other process: review of
2026-12-07). With `LOCALEXA_REDIS_URL` each directive in flight is also pushed here:

- one list per (customer, skill, correlationToken), under a key that is a SHA-256 of the three (a
  caller's correlationToken may be 4096 characters of anything), newest directive last (a caller
  may send two with one token at once: each removes its own copy when it is recorded);
- the directive REDACTED as it is recorded (directives/scrub.py `redact_message`: no scope token,
  no grant code or grantee token): secrets never go to Redis in clear. The gateway judges an
  answer against it as against the recorded one, which is redacted the same way;
- a TTL a little above the longest a directive may stay in flight (two deliveries around a token
  refresh, then the recording), re-armed at each push, so that a sender killed before it removed
  its copy leaves nothing for long.

Redis failing fails no directive and no event: the directive is still sent and held in its own
process, the event still judged against what the database and the receiving process know (the
per-process behaviour), and the outage is logged once per 30 s (core/log_throttle.py), as the
token epoch's and the rate limiter's are. A Redis that hangs costs a command at most
`COMMAND_SECONDS`, and after a failure Redis is left alone for `REST_SECONDS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_pools import bounded_pool
from localexa.server.directives.scrub import redact_message, sent_secrets

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("localexa.directives")

KEY_PREFIX = "localexa:in-flight:"
#: Seconds past the longest stay in flight before a copy left behind expires.
TTL_MARGIN_SECONDS = 5.0
#: A Redis that does not answer holds a directive or an event up this long at most per command,
#: the wait for a free pooled connection included (that alone was up to 5 s under a hung Redis:
#: review of 2026-12-07, 100 directives at once waited 3 s in the median). It is wall-clock time
#: of this process's event loop, so it also counts the time the loop is too busy to read an answer
#: that has arrived: under the soak's mix on a quiet machine a healthy local Redis took 11 ms in
#: the median, 245 ms at p99 and 366 ms at most (492 commands), and a cut at 0.25 s declared it
#: down every round (the copy not shared, a warning, Redis left alone 5 s; CI at 3f2623a).
COMMAND_SECONDS = 2.0
#: The socket's own timeout: not below `COMMAND_SECONDS`, which cuts a command off first.
SOCKET_TIMEOUT_SECONDS = COMMAND_SECONDS
#: After a failed command, Redis is not asked again for this long: a hung Redis costs one wait
#: per spell, not one per directive and per event.
REST_SECONDS = 5.0
#: What the warning says of a command cut off by `COMMAND_SECONDS` (no exception of its own).
NO_ANSWER = f"no answer within {COMMAND_SECONDS:g} s"


def ttl_seconds(directive_timeout: float, token_exchange_timeout: float) -> int:
    """A directive stays in flight for at most two deliveries (the second after a token refresh,
    directives/service.py) and its recording: a little above that."""
    return math.ceil(2 * directive_timeout + token_exchange_timeout + TTL_MARGIN_SECONDS)


def redis_key(customer_id: str, skill_id: str, correlation_token: str) -> str:
    named = json.dumps([customer_id, skill_id, correlation_token], ensure_ascii=True)
    return KEY_PREFIX + hashlib.sha256(named.encode()).hexdigest()


class SharedInFlight:
    """The Redis side of the in-flight registry; every method swallows (and logs) Redis errors."""

    def __init__(self, redis: Redis, ttl: int) -> None:
        self._redis = redis
        self._ttl = ttl
        self._outage = LogThrottle(logger, "the directives in flight in Redis")
        #: Until when (time.monotonic) Redis is left alone after a failure.
        self._rest_until = 0.0

    def _resting(self) -> bool:
        return time.monotonic() < self._rest_until

    def _failed(self, message: str, exc: BaseException | None) -> None:
        self._rest_until = time.monotonic() + REST_SECONDS
        self._outage.failed(message, type(exc).__name__ if exc is not None else NO_ANSWER)

    @classmethod
    def open(cls, redis_url: str, ttl: int) -> SharedInFlight:
        from redis.asyncio import Redis

        pool = bounded_pool(
            redis_url,
            "in-flight",
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        return cls(Redis.from_pool(pool), ttl)  # the client owns the pool and closes it with itself

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _command(
        self, failure_message: str, call: Callable[[], Awaitable[Any]], *, shield: bool = False
    ) -> tuple[bool, Any]:
        """Run one Redis command, cut at `COMMAND_SECONDS`: (True, its result), or (False, None)
        when Redis rests or the command failed (logged once, and Redis then rests)."""
        if self._resting():
            return False, None
        result: Any = None
        failure: BaseException | None = None
        with anyio.CancelScope(shield=shield), anyio.move_on_after(COMMAND_SECONDS) as scope:
            try:
                result = await call()
            except Exception as exc:
                failure = exc
        if failure is not None or scope.cancelled_caught:
            self._failed(failure_message, failure)
            return False, None
        self._outage.succeeded()
        return True, result

    async def hold(self, key: str, message: Mapping[str, Any]) -> str | None:
        """Push `message`, redacted; what was pushed (to `release` it), or None when Redis failed."""
        kept = json.dumps(redact_message(message, sent_secrets([message])), separators=(",", ":"))

        async def push() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, kept)
                pipe.expire(key, self._ttl)
                await pipe.execute()

        done, _ = await self._command("a directive in flight is not shared (Redis: %s)", push)
        return kept if done else None

    async def release(self, key: str, kept: str) -> None:
        """Remove one copy pushed by `hold` (its TTL removes it when this fails, or while Redis
        rests). Shielded: the request that sent the directive may be cancelled, and its copy must
        go all the same."""
        await self._command(
            "a directive in flight stays in Redis until its TTL (Redis: %s)",
            lambda: self._redis.lrem(key, 1, kept),
            shield=True,
        )

    async def newest(self, key: str) -> dict[str, Any] | None:
        """The newest directive held under `key` by any process, or None (also when Redis fails)."""
        done, kept = await self._command(
            "the directives in flight are not read (Redis: %s)", lambda: self._redis.lindex(key, -1)
        )
        if not done or kept is None:
            return None
        found = json.loads(kept)
        return found if isinstance(found, dict) else None
