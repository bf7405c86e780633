"""Which console sessions were signed out, so a saved cookie cannot be replayed after sign-out.

The session cookie is signed, not stored: without a record of sign-outs it would stay valid until
it expires (MAX_AGE_SECONDS). Each session carries a random id; sign-out records it here until the
cookie could have expired anyway.

- This process: a dict in memory.
- Other processes: with Redis (`LOCALEXA_REDIS_URL`, as several processes run), a key per signed-out
  session with the same lifetime, read when a signed-in cookie arrives. If Redis cannot be reached,
  a warning is logged and only this process's record counts (as the rate limits go through then).

A SQLite file is served by one process, so memory is enough there while it runs; a restart forgets
sign-outs (a table in the database would keep them: that needs a migration).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("localexa.console")

REDIS_PREFIX = "localexa:console-signed-out:"
_REDIS_TIMEOUT_SECONDS = 2.0
_Answer = TypeVar("_Answer")


class SignOuts:
    def __init__(self, *, lifetime_seconds: int, redis_url: str | None = None) -> None:
        self._lifetime = lifetime_seconds
        self._redis_url = redis_url
        self._local: dict[str, float] = {}  # session id -> monotonic time the record may go

    async def record(self, session_id: str) -> None:
        now = time.monotonic()
        # Records of cookies that have expired by now are of no use: drop them as new ones come.
        self._local = {sid: until for sid, until in self._local.items() if until > now}
        self._local[session_id] = now + self._lifetime
        await self._shared(lambda redis: redis.set(_redis_key(session_id), b"1", ex=self._lifetime))

    async def signed_out(self, session_id: str) -> bool:
        until = self._local.get(session_id)
        if until is not None and until > time.monotonic():
            return True
        shared = await self._shared(lambda redis: redis.exists(_redis_key(session_id)))
        return bool(shared)

    async def _shared(self, call: Callable[[Redis], Awaitable[_Answer]]) -> _Answer | None:
        if not self._redis_url:
            return None
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        # A client per call: console pages are few, and the app's shutdown (which this module does
        # not own) would otherwise have to close a long-lived one.
        client = Redis.from_url(
            self._redis_url,
            socket_timeout=_REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        )
        try:
            return await call(client)
        except (RedisError, OSError) as exc:
            logger.warning("console sign-outs: Redis is unreachable (%s); only this process's count", exc)
            return None
        finally:
            await client.aclose()


def _redis_key(session_id: str) -> str:
    # The id itself stays out of Redis: whoever reads Redis learns nothing to put in a cookie.
    return REDIS_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()
