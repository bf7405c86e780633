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
per-process behaviour), and the outage is logged once per 30 s. Each command goes through a
`RedisGuard` (core/redis_guard.py): a Redis that hangs holds a directive or an event up 2 s at
most, then is left alone for 5 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_guard import RedisGuard, RedisHealth, RedisUnavailable
from localexa.server.core.redis_pools import bounded_pool
from localexa.server.directives.scrub import redact_message, sent_secrets

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("localexa.directives")

KEY_PREFIX = "localexa:in-flight:"
#: Seconds past the longest stay in flight before a copy left behind expires.
TTL_MARGIN_SECONDS = 5.0


def ttl_seconds(directive_timeout: float, token_exchange_timeout: float) -> int:
    """A directive stays in flight for at most two deliveries (the second after a token refresh,
    directives/service.py) and its recording: a little above that."""
    return math.ceil(2 * directive_timeout + token_exchange_timeout + TTL_MARGIN_SECONDS)


def redis_key(customer_id: str, skill_id: str, correlation_token: str) -> str:
    named = json.dumps([customer_id, skill_id, correlation_token], ensure_ascii=True)
    return KEY_PREFIX + hashlib.sha256(named.encode()).hexdigest()


class SharedInFlight:
    """The Redis side of the in-flight registry; every method swallows (and logs) Redis errors."""

    def __init__(self, redis: Redis, ttl: int, health: RedisHealth | None = None) -> None:
        self._redis = redis
        self._ttl = ttl
        self._guard = RedisGuard(LogThrottle(logger, "the directives in flight in Redis"), health)

    @classmethod
    def open(cls, redis_url: str, ttl: int, health: RedisHealth | None = None) -> SharedInFlight:
        from redis.asyncio import Redis

        # The client owns the pool and closes it with itself.
        return cls(Redis.from_pool(bounded_pool(redis_url, "in-flight")), ttl, health)

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def hold(self, key: str, message: Mapping[str, Any]) -> str | None:
        """Push `message`, redacted; what was pushed (to `release` it), or None when Redis failed."""
        kept = json.dumps(redact_message(message, sent_secrets([message])), separators=(",", ":"))

        async def push() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, kept)
                pipe.expire(key, self._ttl)
                await pipe.execute()

        try:
            await self._guard.run("a directive in flight is not shared (Redis: %s)", push)
        except RedisUnavailable:
            return None
        return kept

    async def release(self, key: str, kept: str) -> None:
        """Remove one copy pushed by `hold` (its TTL removes it when this fails, or while Redis
        rests). Shielded: the request that sent the directive may be cancelled, and its copy must
        go all the same."""
        with contextlib.suppress(RedisUnavailable):
            await self._guard.run(
                "a directive in flight stays in Redis until its TTL (Redis: %s)",
                lambda: self._redis.lrem(key, 1, kept),
                shield=True,
            )

    async def newest(self, key: str) -> dict[str, Any] | None:
        """The newest directive held under `key` by any process, or None (also when Redis fails)."""
        try:
            kept = await self._guard.run(
                "the directives in flight are not read (Redis: %s)", lambda: self._redis.lindex(key, -1)
            )
        except RedisUnavailable:
            return None
        if kept is None:
            return None
        found = json.loads(kept)
        return found if isinstance(found, dict) else None
