"""One clock for every expiry: codes (5 min), access tokens (1 h), page tokens (24 h).

The admin API moves it forward (`POST /_localexa/clock`). The offset lives in the database so
every server process behind one database agrees; each process refreshes its copy at most every
`refresh_interval` seconds, and at once after it changes the offset itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Executable, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from localexa.server.core.errors import BadRequest
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.db.base import ClockState
from localexa.server.db.engine import read_only_connection

#: How far ahead of the wall clock advances may take it in all. Each advance is at most 10 years;
#: without a total, about 800 of them passed the year 9999 and every request failed (a 500:
#: Python's dates end there), and a token's expiry adds up to ~31 years more.
MAX_OFFSET_YEARS = 1000
MAX_OFFSET_SECONDS = MAX_OFFSET_YEARS * 365 * 86400

logger = logging.getLogger("localexa.clock")

#: The shared offset's read, built once (it runs on every token issued).
_READ_OFFSET = select(ClockState.offset_seconds).where(ClockState.id == 1)


class Clock:
    def __init__(self, offset_seconds: float = 0.0, refresh_interval: float = 0.5) -> None:
        self._offset = offset_seconds
        self._refresh_interval = refresh_interval
        self._refreshed_at = 0.0
        #: Reads of the offset begun so far, and which of them was applied last.
        self._reads_begun = 0
        self._read_applied = 0
        #: When the read applied last began, and the newest read still under way (done when it
        #: ends, however it ends).
        self._applied_at = 0.0
        self._in_flight: asyncio.Future[None] | None = None

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def now(self) -> datetime:
        """The current time as localexa sees it: wall clock plus every advance (UTC, aware)."""
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    async def refresh(self, engine: AsyncEngine, *, force: bool = False) -> bool:
        """Read the shared offset unless it was read moments ago (True when it read it now).

        Several coroutines refresh concurrently (each request, the evaluation worker, the
        directive runtime): a read that began before another one never replaces what the later one
        applied. Else a read that began before an advance and ended after the advance's own forced
        re-read put the old offset back, and the process issued and judged tokens by the clock
        before the advance until its next refresh."""
        mono = time.monotonic()
        if not force and mono - self._refreshed_at < self._refresh_interval:
            pending = self._in_flight
            if pending is not None and mono - self._applied_at >= self._refresh_interval:
                await _read_under_way(pending)  # checked here: no coroutine on the hot path
            return False
        # Throttled from the attempt, not from its success: with the database down, every
        # request's two refreshes (ClockRefreshMiddleware and the journal's, before it stamps) and
        # every concurrent request tried the database again; the request's own statements report
        # the outage. A read in flight also spares the others theirs.
        ticket, done = self._begin_read(mono)
        try:
            async with read_only_connection(engine) as conn:  # no SQLite write lock (db/engine.py)
                offset = (await conn.execute(_READ_OFFSET)).scalar()
            self._apply(ticket, offset, mono)
        finally:
            done.set_result(None)
        return True

    async def read_within(self, conn: AsyncConnection) -> None:
        """Read the shared offset now, on `conn`: a connection of the caller's own transaction.

        For what stamps an expiry inside a transaction anyway (the token endpoint, the admin token
        call): the forced `refresh` cost a second connection and transaction of its own, on
        PostgreSQL two more round trips (BEGIN, ROLLBACK), for the same read. At READ COMMITTED
        (and under SQLite's write lock) the read sees every advance committed before it, from
        any process, as the separate transaction did."""
        mono = time.monotonic()
        ticket, done = self._begin_read(mono)
        try:
            offset = (await conn.execute(_READ_OFFSET)).scalar()
            self._apply(ticket, offset, mono)
        finally:
            done.set_result(None)

    def _begin_read(self, mono: float) -> tuple[int, asyncio.Future[None]]:
        """The read's ticket, and the future its end sets (what throttled callers may wait for)."""
        self._refreshed_at = mono
        self._reads_begun += 1
        self._in_flight = done = asyncio.get_running_loop().create_future()
        return self._reads_begun, done

    def _apply(self, ticket: int, offset: object, mono: float) -> None:
        if ticket < self._read_applied:
            return  # a read begun later has applied what it read, at least as new as this
        self._read_applied = ticket
        self._offset = usable_offset(offset)
        self._refreshed_at = mono
        self._applied_at = mono

    async def advance(self, engine: AsyncEngine, seconds: float) -> datetime:
        """Move the shared clock forward by `seconds` and return the new now (`BadRequest` past
        `MAX_OFFSET_SECONDS` in all).

        Safe under concurrent advances from several processes: the row is created if missing
        without failing when another call creates it at the same moment, and the limit is part of
        the UPDATE itself, so two advances that each fit but not together cannot both pass. The
        answer is the offset this advance's own UPDATE set: read back after the commit, two
        concurrent advances of 1 h both answered +2 h, a time no order of the two gives
        (found by tests/scale/test_model_two_processes.py)."""
        async with engine.begin() as conn:
            await conn.execute(_create_row_once(engine.dialect.name))
            moved = (
                await conn.execute(
                    update(ClockState)
                    .where(ClockState.id == 1, ClockState.offset_seconds + seconds <= MAX_OFFSET_SECONDS)
                    .values(offset_seconds=ClockState.offset_seconds + seconds)
                    .returning(ClockState.offset_seconds)
                )
            ).scalar()
            if moved is None:
                raise BadRequest(
                    f"The clock cannot run more than {MAX_OFFSET_YEARS} years ahead of the wall clock "
                    "in all; POST /_localexa/reset starts it over."
                )
        await self.refresh(engine, force=True)  # this process now runs on the newest offset
        return datetime.now(UTC) + timedelta(seconds=usable_offset(moved))


async def _read_under_way(pending: asyncio.Future[None]) -> None:
    """Wait for the read under way, when what was applied last is older than the interval.

    Skipping it, a call that came while another task's read (the evaluation worker's, say) was
    in flight judged and journaled by the offset read before that: a call made 0.65 s after a
    reset through another process was stamped ten days ahead (the advance the reset had undone;
    tests/scale/test_two_processes_caches.py, once in CI). A failed read is the caller's own
    statements' to report, as a throttled one is."""
    if pending.done():
        return
    with contextlib.suppress(Exception):
        await asyncio.shield(pending)  # a cancelled caller leaves the read to the others


def _create_row_once(dialect: str) -> Executable:
    """INSERT of the clock's row at offset 0 that does nothing when it exists. Each database's
    own dialect module, imported on use: a PostgreSQL process never loads SQLite's."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(ClockState)
            .values(id=1, offset_seconds=0.0)
            .on_conflict_do_nothing(index_elements=["id"])
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (
        sqlite_insert(ClockState)
        .values(id=1, offset_seconds=0.0)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def offset_problem(offset: object) -> str | None:
    """Why a stored offset cannot be the clock's (None when it can)."""
    if not isinstance(offset, int | float) or isinstance(offset, bool) or not math.isfinite(offset):
        return "offset_seconds must be a finite number"
    if not 0 <= offset <= MAX_OFFSET_SECONDS:
        return f"offset_seconds must be 0 to {MAX_OFFSET_SECONDS} ({MAX_OFFSET_YEARS} years)"
    return None


def usable_offset(offset: object) -> float:
    """The stored offset, or 0 when it is one no advance could have made (a database written
    by hand, or by a restore of an older version that did not check): past the year 9999 every
    request failed, `/_localexa/health` and reset included, and restarting did not help."""
    if offset is None:
        return 0.0
    problem = offset_problem(offset)
    if problem is not None:
        logger.warning("the stored clock offset is ignored: %s (POST /_localexa/reset clears it)", problem)
        return 0.0
    return float(offset)  # type: ignore[arg-type]


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


class ClockRefreshMiddleware:
    """Before each request, re-read the shared clock offset (throttled by `Clock.refresh`), so an
    advance made through another server process counts here within `refresh_interval`.

    A read that fails (the database out of reach) never fails the request: it goes on with the
    offset read before, and its own statements report the outage, or not (a call that needs no
    database). Raised here, outside `UnexpectedErrorMiddleware`, the exception reached Starlette's
    outermost handler: a second traceback from uvicorn, the call counted as `unmatched`, and the
    keep-alive connection closed, so the client's next request on it got no answer at all
    (QA of 2026-12-06, with PostgreSQL stopped)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._failures = LogThrottle(logger, "the shared clock's re-read before requests")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope["app"].state
            clock: Clock | None = getattr(state, "clock", None)
            if clock is not None:
                try:
                    if await clock.refresh(state.engine):
                        self._failures.succeeded()  # a read made, not one skipped as recent
                except Exception as exc:
                    self._failures.failed(
                        "the shared clock offset was not re-read (requests go on with the one read "
                        "before): %s: %s",
                        type(exc).__name__,
                        exc,
                    )
        await self.app(scope, receive, send)
