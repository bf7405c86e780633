"""Cached token checks, with revocation honoured at once.

Every authenticated call checks its bearer token, and the answer for a live token (its client,
customer, scopes and expiry) only changes when a write revokes or deletes token rows: a replayed
authorization code revokes its grant; deleting a customer, client, skill or vendor, a reset and a
restore delete tokens, some through `ON DELETE CASCADE` that no Python code sees. So answers are
cached, each tagged with the *token epoch* read before the database was asked, and an entry only
serves while the epoch is unchanged. Expiry is never cached: the stored expiry is compared with
localexa's clock on every call, so moving the clock expires cached tokens too. Unknown, revoked
and expired tokens are never cached.

The epoch moves whenever a transaction that may have revoked a token commits. That is detected at
the engine (`watch_revocations`), for every statement of every code path: an UPDATE or DELETE
naming a table a token depends on, or any schema change. The epoch moves twice: when the commit
starts, and once it is done (the connection goes back to the pool, before the caller continues),
so an entry read while the commit was under way is not trusted either.

Two statements say they end no live token (execution option `ENDS_NO_LIVE_TOKEN`): the sweep's
DELETEs of access tokens that expired, and of tokens that were revoked, a day ago by the shared
clock (lwa/expired.py; no answer is cached for a revoked token). Moving the epoch for them made
every process forget every live answer at each sweep, and a Redis outage stopped the sweep (its
commit refused, as a revocation's is). An answer cached for such a token
while it lived is not trusted once its expiry has passed: the verifier forgets it and asks the
database (lwa/tokens.py), which says "expired" until the sweep deleted the row and "not valid"
after, in every process alike (the sweeping process's cached answer said "expired" for ever:
QA of 2026-12-06).

Another says it revokes refresh tokens only (`REVOKES_REFRESH_TOKENS_ONLY`): disabling a skill ends
its AcceptGrant grant (lwa/repository.py `end_skill_grants`), and no answer is cached for a refresh
token (the refresh grant reads the database). Moving the epoch for it refused every disable while
Redis was out of reach, and an enable-and-link that moved the customer to the other stage after
the skill's token server had taken the app's authCode (a 503 "Retry" that could only meet the
spent code; QA of 2026-12-07).

- This process: a counter in memory.
- Other processes: with Redis (`LOCALEXA_REDIS_URL`), a shared counter, INCRed at both moves and
  read (one GET) before a cached answer is used. When Redis fails, calls go to the database (a
  warning once per 30 s of outage, and one when Redis answers again: core/log_throttle.py).
- On PostgreSQL without Redis, another process could revoke unseen: the cache is off. A SQLite
  file is served by one process.

Redis failing must not let another process go on trusting an answer a revocation ended:
- the first move runs before the commit, and when Redis refuses it the commit does not happen
  (`RevocationNotShared`, a 503: nothing was revoked, so nothing is left unshared);
- a later move that fails is made by this process's next epoch read, before anything is trusted;
- a process forgets every cached answer whenever it opens a new Redis connection (Redis restarted,
  empty or from a snapshot, and its counter may be back at a value an old answer carries) and
  whenever it cannot read the counter;
- a counter that is gone while the connection stays (FLUSHDB, FLUSHALL, an evicted key) starts
  again from a random 62-bit base, never from 0: counting up from 0 again, it came back to a value
  another process's cached answer carried, and that process trusted a token revoked since. The
  process that finds it gone forgets its own answers too.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from localexa.server.core.errors import ServiceUnavailable
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.redis_guard import RedisGuard, RedisHealth, RedisUnavailable
from localexa.server.core.redis_pools import bounded_pool

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

logger = logging.getLogger("localexa.lwa")

#: Tables whose UPDATE or DELETE may end a token (directly or through a cascade).
TOKEN_TABLES = ("lwa_tokens", "customers", "lwa_clients", "skills", "vendors")
_MAY_REVOKE = re.compile(
    r"^\s*(?:(?:UPDATE|DELETE)\b.*\b(?:" + "|".join(TOKEN_TABLES) + r")\b|DROP\b|ALTER\b|TRUNCATE\b)",
    re.IGNORECASE | re.DOTALL,
)
#: Execution option of a statement that deletes only tokens past their expiry or already revoked
#: (module docstring).
ENDS_NO_LIVE_TOKEN = "localexa_ends_no_live_token"
#: Execution option of a statement that revokes refresh tokens and nothing else (module docstring).
REVOKES_REFRESH_TOKENS_ONLY = "localexa_revokes_refresh_tokens_only"
#: The options that say a statement ends no answer the cache may hold.
_ENDS_NO_CACHED_ANSWER = (ENDS_NO_LIVE_TOKEN, REVOKES_REFRESH_TOKENS_ONLY)
_DIRTY = "localexa_may_revoke"
_COMMITTED = "localexa_revoked_committed"
REDIS_KEY = "localexa:token-epoch"
MAX_ENTRIES = 10_000
#: INCR of a counter that, when missing, starts at ARGV[1] (a random base) rather than at 0.
_INCR_FROM_RANDOM_BASE = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('INCR', KEYS[1])
"""


def _random_base() -> int:
    """Where a new counter starts: far from any value a lost one reached (INCR stays in 64 bits)."""
    return secrets.randbits(62)


@dataclass(frozen=True)
class CachedToken:
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: datetime | None


Epoch = tuple[int, int]


class RevocationNotShared(ServiceUnavailable):
    """A write that may end tokens could not tell the other processes: it is not committed."""


class TokenCache:
    def __init__(
        self,
        *,
        enabled: bool,
        redis: Redis | None = None,
        max_entries: int = MAX_ENTRIES,
        health: RedisHealth | None = None,
    ) -> None:
        self.enabled = enabled
        self._redis = redis
        self._max_entries = max_entries
        self._local = 0
        self._entries: dict[str, tuple[Epoch, CachedToken]] = {}
        #: Revocations the shared counter may not have counted yet (Redis failed, or the request
        #: was cancelled, while a move was under way): one ticket each, dropped once a move made
        #: after it is in Redis. A flag cleared by whoever moved next lost one raised meanwhile,
        #: and a cancellation never raised it (review of 2026-12-07).
        self._unshared: set[int] = set()
        self._tickets = itertools.count()
        self._guard = RedisGuard(LogThrottle(logger, "the token epoch in Redis"), health)

    @classmethod
    def open(
        cls, *, redis_url: str | None, single_process: bool, health: RedisHealth | None = None
    ) -> TokenCache:
        """On when one process serves the database or Redis carries the epoch to the others."""
        cache = cls(enabled=single_process or bool(redis_url), health=health)
        cache._redis = open_redis(redis_url, on_new_connection=cache.forget)
        return cache

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def epoch(self) -> Epoch | None:
        """The current epoch, or None when answers must not be cached or trusted now."""
        if not self.enabled:
            return None
        shared = 0
        if self._redis is not None:
            redis = self._redis

            async def read() -> Any:
                pending = set(self._unshared)
                if pending:
                    await redis.eval(_INCR_FROM_RANDOM_BASE, 1, REDIS_KEY, _random_base())
                    self._unshared -= pending
                value = await redis.get(REDIS_KEY)
                if value is None:  # lost (FLUSHDB, eviction) or never counted: see the docstring
                    self.forget()
                    await redis.set(REDIS_KEY, _random_base(), nx=True)
                    value = await redis.get(REDIS_KEY)
                return value

            try:
                value = await self._guard.run("token epoch unavailable: %s", read)
            except RedisUnavailable:  # Redis down, hung or resting: ask the database, cache nothing
                # What was cached before the outage is not trusted after it: a revocation
                # elsewhere may have been refused or lost with a restarted Redis meanwhile.
                self.forget()
                return None
            shared = int(value or 0)
        return (self._local, shared)

    def forget(self) -> None:
        """Trust no answer cached so far (this process only)."""
        self._local += 1
        self._entries.clear()

    def get(self, token_hash: str, epoch: Epoch) -> CachedToken | None:
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] != epoch:
            return None
        return entry[1]

    def put(self, token_hash: str, epoch: Epoch, token: CachedToken) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest entry
        self._entries[token_hash] = (epoch, token)

    def discard(self, token_hash: str) -> None:
        """Forget one answer (a token found expired: lwa/tokens.py asks the database again)."""
        self._entries.pop(token_hash, None)

    def __len__(self) -> int:
        return len(self._entries)

    def revoked(self, *, before_commit: bool = False) -> None:
        """A write that may have ended tokens commits (`before_commit`) or has committed: forget
        every answer, here at once and, through Redis, in every other process."""
        self.forget()
        if self._redis is None:
            return
        ticket = next(self._tickets)
        self._unshared.add(ticket)  # until this move is in Redis (a failure or a cancellation leaves it)
        if in_greenlet():
            redis = self._redis
            try:
                # Tried even while Redis rests after a failure: refusing the write is the cost.
                await_only(
                    self._guard.run(
                        # Before the commit the write is refused, nothing revoked: the line said
                        # "not shared yet" of a reset that changed nothing (review36f N1).
                        "a change that could end tokens was refused, nothing was changed (Redis, "
                        "which tells the other processes, failed: %s)"
                        if before_commit
                        else "a revocation is not shared yet: %s",
                        lambda: redis.eval(_INCR_FROM_RANDOM_BASE, 1, REDIS_KEY, _random_base()),
                        rested=False,
                    )
                )
            except RedisUnavailable as exc:
                if before_commit:
                    self._unshared.discard(ticket)  # nothing is committed: nothing to share
                    raise RevocationNotShared(
                        "This change could end access tokens, and the other localexa processes could "
                        f"not be told (Redis: {exc.reason}); nothing was changed. Retry the request.",
                        headers={"Retry-After": "1"},  # as the database's 503s (db/outage.py)
                    ) from exc
            else:
                self._unshared.discard(ticket)
        # Outside a request (a connection closed by garbage collection) or Redis failing after
        # the commit: the ticket stays, and the next epoch read shares it before anything is
        # trusted.


def may_revoke(statement: str) -> bool:
    """Whether committing this statement may have ended a token."""
    return _MAY_REVOKE.match(statement) is not None


def open_redis(redis_url: str | None, *, on_new_connection: Callable[[], None]) -> Redis | None:
    """The client of the shared token epoch (None without `LOCALEXA_REDIS_URL`);
    `on_new_connection` runs each time it connects (first time included)."""
    if not redis_url:
        return None
    from redis.asyncio import Redis

    # Bounded (core/redis_pools.py); the client owns the pool and closes it with itself.
    return Redis.from_pool(bounded_pool(redis_url, "token-epoch", on_new_connection=on_new_connection))


def watch_revocations(engine: AsyncEngine, cache: TokenCache) -> None:
    """Move the token epoch around every commit that may have revoked a token (module docstring)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _on_execute(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, *_: Any) -> None:
        if may_revoke(statement) and not (
            context is not None and any(context.execution_options.get(o) for o in _ENDS_NO_CACHED_ANSWER)
        ):
            conn.info[_DIRTY] = True

    @event.listens_for(sync_engine, "commit")
    def _on_commit(conn: Any) -> None:
        # Runs before the database commits: raising here (RevocationNotShared) stops the commit.
        if conn.info.pop(_DIRTY, False):
            cache.revoked(before_commit=True)
            conn.info[_COMMITTED] = True

    @event.listens_for(sync_engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        # A connection a cancelled query invalidated has no `info` to read (PendingRollbackError,
        # which turned a follow-up's quiet stop into a logged failure): nothing of it commits.
        if conn.invalidated:
            return
        conn.info.pop(_DIRTY, None)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A connection that committed and goes on with a new transaction: the commit is done.
        if conn.info.pop(_COMMITTED, False):
            cache.revoked()

    @event.listens_for(sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_COMMITTED, False):
            cache.revoked()
