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

- This process: a counter in memory.
- Other processes: with Redis (`LOCALEXA_REDIS_URL`), a shared counter, INCRed at both moves and
  read (one GET) before a cached answer is used. When Redis fails, calls go to the database.
- On PostgreSQL without Redis, another process could revoke unseen: the cache is off. A SQLite
  file is served by one process.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("localexa.lwa")

#: Tables whose UPDATE or DELETE may end a token (directly or through a cascade).
TOKEN_TABLES = ("lwa_tokens", "customers", "lwa_clients", "skills", "vendors")
_MAY_REVOKE = re.compile(
    r"^\s*(?:(?:UPDATE|DELETE)\b.*\b(?:" + "|".join(TOKEN_TABLES) + r")\b|DROP\b|ALTER\b|TRUNCATE\b)",
    re.IGNORECASE | re.DOTALL,
)
_DIRTY = "localexa_may_revoke"
_COMMITTED = "localexa_revoked_committed"
REDIS_KEY = "localexa:token-epoch"
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedToken:
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: datetime | None


Epoch = tuple[int, int]


class TokenCache:
    def __init__(self, *, enabled: bool, redis: Redis | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.enabled = enabled
        self._redis = redis
        self._max_entries = max_entries
        self._local = 0
        self._entries: dict[str, tuple[Epoch, CachedToken]] = {}

    async def epoch(self) -> Epoch | None:
        """The current epoch, or None when answers must not be cached or trusted now."""
        if not self.enabled:
            return None
        shared = 0
        if self._redis is not None:
            try:
                value = await self._redis.get(REDIS_KEY)
            except Exception as exc:  # Redis down: ask the database, cache nothing
                logger.warning("token epoch unavailable: %s", type(exc).__name__)
                return None
            shared = int(value or 0)
        return (self._local, shared)

    def get(self, token_hash: str, epoch: Epoch) -> CachedToken | None:
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] != epoch:
            return None
        return entry[1]

    def put(self, token_hash: str, epoch: Epoch, token: CachedToken) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest entry
        self._entries[token_hash] = (epoch, token)

    def __len__(self) -> int:
        return len(self._entries)

    def revoked(self) -> None:
        """A write that may have ended tokens committed (or is committing): forget every answer,
        here at once and, through Redis, in every other process."""
        self._local += 1
        self._entries.clear()
        if self._redis is None:
            return
        if not in_greenlet():  # a connection closed outside a request (garbage collection)
            self.enabled = False  # cannot tell the others in order: stop trusting cached answers
            logger.warning("token cache off: a revocation could not be shared through Redis")
            return
        try:
            await_only(self._redis.incr(REDIS_KEY))
        except Exception as exc:
            self.enabled = False
            logger.warning("token cache off: Redis refused the revocation (%s)", type(exc).__name__)


def may_revoke(statement: str) -> bool:
    """Whether committing this statement may have ended a token."""
    return _MAY_REVOKE.match(statement) is not None


def open_redis(redis_url: str | None) -> Redis | None:
    """The client of the shared token epoch (None without `LOCALEXA_REDIS_URL`)."""
    if not redis_url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(redis_url)


def watch_revocations(engine: AsyncEngine, cache: TokenCache) -> None:
    """Move the token epoch around every commit that may have revoked a token (module docstring)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if may_revoke(statement):
            conn.info[_DIRTY] = True

    @event.listens_for(sync_engine, "commit")
    def _on_commit(conn: Any) -> None:
        if conn.info.pop(_DIRTY, False):
            conn.info[_COMMITTED] = True
            cache.revoked()

    @event.listens_for(sync_engine, "rollback")
    def _on_rollback(conn: Any) -> None:
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
