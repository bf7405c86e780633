"""The sweep: authorization codes and access tokens are deleted a day after they expire.

Nothing else deleted them (QA of 2026-12-06): a staging server with years of time travel held
129 codes, all expired, and ~530 access tokens expired years before, in tables that only grew
(a SQLite file of 4 KB became 1.6 MB) and in every snapshot, which then outgrew the restore body
cap. Such rows never authenticate again: an expired code is `invalid_grant`, an expired token
401 / `invalid_token`, deleted or not.

**The grace, `EXPIRED_GRACE` (1 day of localexa's clock).** Until a row is deleted, what reads
expired rows answers as documented: tokeninfo and the APIs say "The access token has expired."
(`EXPIRED_TOKEN`) rather than "is not valid.", and a used code replayed still revokes the tokens
of its grant (RFC 6749 §4.1.2) before it is refused as expired. A day is far past every expiry
localexa stamps (codes 5 minutes, access tokens an hour) and past the time travel a test does to
see them expire (`advanceSeconds` 301 or 3601), and keeps the tables at about a day's worth of
codes and access tokens (the latest day's plus up to `SWEEP_INTERVAL` more). After it, such a
token is an unknown one and a replayed code an unknown one: `invalid_grant` without revoking the
grant, whose tokens by then have expired too, apart from its refresh token. Refresh tokens are
never swept: they do not expire (README "Login with Amazon"); a revoked one stays, so refreshing
with it is `invalid_grant` as before.

**When.** At start and then every `SWEEP_INTERVAL` seconds of wall time in each process (a
background task of the lifespan), and at once after `POST /_localexa/clock` moves the clock
(admin/routes.py), so time travel shows it. Never on a token request.

**Cost and locks.** One transaction per batch (`BATCH_SIZE` rows of each table at most, so
usually one in all): read the shared clock's offset (`Clock.read_within`, so a reset or restore
that moved the clock back through another process is seen, and no token issued since is taken
for an old one), then one DELETE per table through the expiry's index (lwa/repository.py
`_expired_batch`). On PostgreSQL the DELETE
skips rows other transactions hold (`FOR UPDATE SKIP LOCKED`): concurrent sweeps of several
processes, an exchange holding its code, a revocation: none waits for another. Its tables are
taken in the order a reset takes them (clock_state, lwa_authorization_codes, lwa_tokens:
observe/state.py), so a sweep and a reset never deadlock. On SQLite a batch holds the file's
write lock for its two DELETEs; other writers of the process go first between batches. The DELETE ends
no live token, so it does not move the token epoch (lwa/token_cache.py `ENDS_NO_LIVE_TOKEN`).
A failed sweep is logged (its kind of failure only) and tried again at the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.core.clock import Clock
from localexa.server.lwa.repository import delete_expired_access_tokens, delete_expired_codes

logger = logging.getLogger("localexa.lwa")

#: How long after its expiry (localexa's clock) a code or access token is kept (module docstring).
EXPIRED_GRACE = timedelta(days=1)
#: Seconds of wall time between two sweeps of one process.
SWEEP_INTERVAL = 3600.0
#: Rows one transaction deletes at most.
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Swept:
    """Rows one sweep deleted."""

    codes: int = 0
    access_tokens: int = 0


async def sweep_expired(
    engine: AsyncEngine, clock: Clock, *, grace: timedelta = EXPIRED_GRACE, batch: int = BATCH_SIZE
) -> Swept:
    """Delete the codes and access tokens that expired more than `grace` ago by localexa's clock:
    at most `batch` rows of each table per transaction, until fewer are left."""
    swept = Swept()
    while True:
        async with engine.begin() as conn:
            before = await _cutoff(conn, clock, grace)
            codes = await delete_expired_codes(conn, before=before, batch=batch)
            tokens = await delete_expired_access_tokens(conn, before=before, batch=batch)
        swept = Swept(codes=swept.codes + codes, access_tokens=swept.access_tokens + tokens)
        if codes < batch and tokens < batch:
            return swept
        await asyncio.sleep(0)  # the writers queued meanwhile go first


async def _cutoff(conn: AsyncConnection, clock: Clock, grace: timedelta) -> datetime:
    """Expired before this: the shared clock as this transaction reads it, less the grace."""
    await clock.read_within(conn)
    return clock.now() - grace


class ExpiredSweeper:
    """Runs `sweep_expired` at start, every `interval` seconds, and when asked (`sweep`)."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        interval: float = SWEEP_INTERVAL,
        on_swept: Callable[[Swept], None] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.interval = interval
        self.grace = EXPIRED_GRACE
        self._on_swept = on_swept
        #: One sweep at a time in this process (the background one and an advance's).
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="localexa-expired-sweep")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def sweep(self) -> Swept | None:
        """Sweep now; None when it failed (logged, never raised: the next sweep tries again)."""
        async with self._lock:
            try:
                swept = await sweep_expired(self._engine, self._clock, grace=self.grace)
            except Exception as exc:  # the database down, a reset's locks: the next one tries again
                logger.warning(
                    "the sweep of expired LWA codes and access tokens failed: %s", type(exc).__name__
                )
                return None
        hours = f"{self.grace / timedelta(hours=1):g} h"
        if swept.codes or swept.access_tokens:
            logger.info(
                "deleted %d authorization codes and %d access tokens expired more than %s ago by "
                "localexa's clock",
                swept.codes,
                swept.access_tokens,
                hours,
            )
        else:
            logger.debug("no authorization code or access token expired more than %s ago", hours)
        if self._on_swept is not None:
            self._on_swept(swept)
        return swept

    async def _run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self.interval)
