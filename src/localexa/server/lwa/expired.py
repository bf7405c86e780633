"""The sweep: authorization codes and access tokens are deleted a day after they expire, and
tokens of every kind a day after they were revoked.

Nothing else deleted them (QA of 2026-12-06): a staging server with years of time travel held
129 codes, all expired, and ~530 access tokens expired years before, in tables that only grew
(a SQLite file of 4 KB became 1.6 MB) and in every snapshot, which then outgrew the restore body
cap. Such rows never authenticate again: an expired code is `invalid_grant`, an expired token
401 / `invalid_token`, deleted or not. Refresh tokens never expire (README "Login with Amazon"),
and a revoked one stayed for ever (soak review of 2026-12-07, F2): it goes a day after its
revocation (`lwa_tokens.revoked_at`, localexa's clock; migration 0012 stamped the rows revoked
before it with the upgrade's time). A live refresh token is never swept.

**The grace, `EXPIRED_GRACE` (1 day of localexa's clock).** Until a row is deleted, what reads
expired rows answers as documented: tokeninfo and the APIs say "The access token has expired."
(`EXPIRED_TOKEN`) rather than "is not valid.", and a used code replayed still revokes the tokens
of its grant (RFC 6749 §4.1.2) before it is refused as expired. A day is far past every expiry
localexa stamps (codes 5 minutes, access tokens an hour) and past the time travel a test does to
see them expire (`advanceSeconds` 301 or 3601), and keeps the tables at about a day's worth of
codes and access tokens (the latest day's plus up to `SWEEP_INTERVAL` more). After it, such a
token is an unknown one and a replayed code an unknown one: `invalid_grant` without revoking the
grant, whose tokens by then have expired too, apart from its refresh token.

A revoked refresh token answers as an unknown one before and after its deletion: `invalid_grant`
"The refresh token is not valid." (lwa/token_endpoint.py checks `revoked` with the unknown case).
One exception: a public client's (PKCE) refresh token refreshed without the secret is
`invalid_grant` while its revoked row is there and `invalid_client` ("The refresh_token grant
needs client authentication") once deleted, as any unknown token sent without the secret is.
Within the day the Credential Locker still reads the revoked refresh token to refuse the grant's
access tokens (a skill disabled); they have all expired within an hour of the revocation.

**When.** At start and then every `SWEEP_INTERVAL` seconds of wall time in each process (a
background task of the lifespan), and at once after `POST /_localexa/clock` moves the clock
(admin/routes.py), so time travel shows it. Never on a token request.

**Cost and locks.** One transaction per batch (`BATCH_SIZE` rows of each kind at most, so
usually one in all): read the shared clock's offset (`Clock.read_within`, so a reset or restore
that moved the clock back through another process is seen, and no token issued since is taken
for an old one), then one DELETE per kind through its index (lwa/repository.py
`_expired_batch`: `expires_at` for codes and access tokens, the partial index on `revoked_at`
for revoked tokens). On PostgreSQL the DELETE
skips rows other transactions hold (`FOR UPDATE SKIP LOCKED`): concurrent sweeps of several
processes, an exchange holding its code, a revocation, a refresh reading its token: none waits
for another. Its tables are
taken in the order a reset takes them (clock_state, lwa_authorization_codes, lwa_tokens:
observe/state.py), so a sweep and a reset never deadlock. On SQLite a batch holds the file's
write lock for its three DELETEs; other writers of the process go first between batches. The
DELETEs end no live token (an expired or an already revoked one), so they do not move the token
epoch (lwa/token_cache.py `ENDS_NO_LIVE_TOKEN`; no answer is cached for a revoked token).
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
from localexa.server.lwa.repository import (
    delete_expired_access_tokens,
    delete_expired_codes,
    delete_revoked_tokens,
)

logger = logging.getLogger("localexa.lwa")

#: How long after its expiry, or a token's revocation (localexa's clock), a row is kept (module
#: docstring).
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
    #: Tokens revoked more than the grace ago (refresh tokens mostly: module docstring).
    revoked_tokens: int = 0


async def sweep_expired(
    engine: AsyncEngine, clock: Clock, *, grace: timedelta = EXPIRED_GRACE, batch: int = BATCH_SIZE
) -> Swept:
    """Delete the codes and access tokens that expired, and the tokens that were revoked, more
    than `grace` ago by localexa's clock: at most `batch` rows of each kind per transaction,
    until fewer are left."""
    swept = Swept()
    while True:
        async with engine.begin() as conn:
            before = await _cutoff(conn, clock, grace)
            codes = await delete_expired_codes(conn, before=before, batch=batch)
            tokens = await delete_expired_access_tokens(conn, before=before, batch=batch)
            revoked = await delete_revoked_tokens(conn, before=before, batch=batch)
        swept = Swept(
            codes=swept.codes + codes,
            access_tokens=swept.access_tokens + tokens,
            revoked_tokens=swept.revoked_tokens + revoked,
        )
        if codes < batch and tokens < batch and revoked < batch:
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
                    "the sweep of expired and revoked LWA codes and tokens failed: %s", type(exc).__name__
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
        if swept.revoked_tokens:
            logger.info(
                "deleted %d LWA tokens revoked more than %s ago by localexa's clock",
                swept.revoked_tokens,
                hours,
            )
        if not (swept.codes or swept.access_tokens or swept.revoked_tokens):
            logger.debug(
                "no authorization code or access token expired, nor token revoked, more than %s ago", hours
            )
        if self._on_swept is not None:
            self._on_swept(swept)
        return swept

    async def _run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self.interval)
