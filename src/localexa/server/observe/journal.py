"""The journal writer: a bounded queue on the request path, one background task writing batches.

`record()` never awaits and never raises, so journaling cannot slow or break a request; when the
queue is full the entry is dropped and counted (metric `localexa_journal_dropped_total`). The
writer redacts each `Exchange` (observe/exchange.py), inserts a batch in one transaction, and
trims the table to `settings.journal_retention` rows (each time 1 % of that was written).
`flush()` waits until everything queued so far is written (the journal API calls it before
reading); `discard_queued()` (reset) drops what is queued. A failed write is logged without its
content and the entries are lost, never retried into a loop; only a connection cut before the commit
(PostgreSQL restarted, failed over) gets one more attempt on a new connection.

Several processes share one journal, and each queues its own entries: a reset through one
process must also keep the others' queued entries out. So reset moves the journal's cutoff
(`journal_cutoff`, the wall-clock time at which the reset held the state's tables) in the
transaction that empties the journal, and every batch reads the cutoff in the transaction that
inserts it, leaving out the entries of calls answered before it (counted:
`localexa_journal_discarded_total`). The two transactions exclude each other: on PostgreSQL the
batch reads the row `FOR SHARE` and the reset updates it; on SQLite every write transaction holds
the file's write lock.

A call answered after the reset can still belong to the state before it: the Discover of an
after-link follow-up that another process began for a link the reset erased, answered late by a
slow skill. Such work runs under the state's generation it began in (observe/generation.py
`work_generation`); each entry keeps it, and a batch holding such entries reads the current
generation the same way, `FOR SHARE` in the transaction that inserts it, leaving out (and
counting) those of an older one. On every database, the calls of work that began before the
cutoff (an evaluation run claimed before a reset: `work_began`) are cut with it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.db.engine import checkpoint, read_only_connection, release_free_pages
from localexa.server.db.outage import is_outage
from localexa.server.lwa.models import LwaClient
from localexa.server.observe.exchange import Exchange, to_row
from localexa.server.observe.generation import read_generation, work_began, work_erased, work_generation
from localexa.server.observe.models import JournalCutoff, JournalEntry

logger = logging.getLogger("localexa.journal")

BATCH_SIZE = 200
QUEUE_SIZE = 20_000
FLUSH_TIMEOUT = 10.0
LINGER_SECONDS = 0.02
#: LWA clients whose skill the writer remembers; the oldest lookups go first past it. Only reset
#: and restore emptied the map, so a server that never resets (a shared one) kept one entry per
#: client that ever called, for good (tests/scale/test_no_leaks.py).
MAX_CLIENT_LOOKUPS = 10_000


class _Attempt:
    """How far one attempt at a batch's transaction got."""

    committing = False


class Journal:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        state_engine: AsyncEngine | None = None,
        retention: int,
        on_drop: Callable[[], None] | None = None,
        on_discard: Callable[[int], None] | None = None,
    ) -> None:
        self._engine = engine
        #: The state's database (for naming skills); the journal's own may differ (journal_store).
        self._state_engine = state_engine or engine
        self._retention = max(1, retention)
        #: Entries written since the last trim. Trimming walks `retention` index entries, so it
        #: runs once per 1 % of the retention written (the table exceeds it by at most that).
        self._since_trim = 0
        self._trim_every = max(1, self._retention // 100)
        #: (reset generation of this process, wall-clock time the call was answered, the state's
        #: generation of the work that made the call or None, the call)
        self._queue: asyncio.Queue[tuple[int, float, int | None, Exchange]] = asyncio.Queue(
            maxsize=QUEUE_SIZE
        )
        self._lock = asyncio.Lock()
        #: Set by `flush()`: the writer stops lingering, so a flush (a journal read, a shutdown)
        #: waits for the write only, not for the burst the linger waits for.
        self._hurry = asyncio.Event()
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self._on_drop = on_drop
        self._on_discard = on_discard
        #: LWA client id -> skill id of a messaging client ("" when the client is not one).
        self._skill_of_client: dict[str, str] = {}
        self.max_client_lookups = MAX_CLIENT_LOOKUPS
        # With the database out of reach every batch failed, and each of its entries again one by
        # one: a warning per call (QA of 2026-12-06). Once per 30 s now, and once when it writes.
        self._write_failures = LogThrottle(logger, "the journal's writer")
        self._skips = LogThrottle(logger, "the journal's entries")

    # hot path ---------------------------------------------------------------------------
    def record(self, exchange: Exchange) -> None:
        erased = work_erased.get()
        if erased is not None and erased.erased:
            return  # work of a state a reset or restore replaced, cut off by it (generation.py)
        try:
            answered, began = time.time(), work_began.get()
            # Work begun before a reset is cut with it, whenever its calls are answered.
            at = answered if began is None else min(answered, began)
            self._queue.put_nowait((self._generation, at, work_generation.get(), exchange))
        except asyncio.QueueFull:
            if self._on_drop is not None:
                self._on_drop()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def client_lookups(self) -> int:
        """LWA clients whose skill is remembered (metrics)."""
        return len(self._skill_of_client)

    @property
    def engine(self) -> AsyncEngine:
        """Where the entries are (read them through this engine)."""
        return self._engine

    # lifecycle ----------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Make sure the cutoff row exists, so that a reset's update of it has a row to lock."""
        with contextlib.suppress(IntegrityError):  # another process created it first
            async with self._engine.begin() as conn:
                if await conn.scalar(select(JournalCutoff.id).where(JournalCutoff.id == 1)) is None:
                    await conn.execute(insert(JournalCutoff).values(id=1, not_before=0.0))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="localexa-journal")

    async def stop(self) -> None:
        """Write what is queued, then stop the writer (shutdown)."""
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._engine is not self._state_engine:
            await self._engine.dispose()

    async def flush(self) -> None:
        """Return once every entry queued before this call is in the database."""
        if self._task is None or self._task.done():
            return
        self._hurry.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), FLUSH_TIMEOUT)

    def forget_lookups(self) -> None:
        """Forget which skill each LWA client belongs to (the clients changed: reset, restore)."""
        self._skill_of_client.clear()

    def discard_queued(self) -> None:
        """Forget queued entries and cached lookups (reset); call it inside `paused()`."""
        self._generation += 1
        self.forget_lookups()
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Hold the writer while the caller rewrites the tables (reset)."""
        async with self._lock:
            yield

    async def delete_all(self, *, not_before: float) -> None:
        """Delete every entry and keep out, in every process, those of calls answered before
        `not_before` (wall clock; reset passes its start); call it inside `paused()`. On
        SQLite the journal's own file gives the emptied pages back (a file made since
        2026-12-07), as the state's does: it kept its peak size beside an empty journal."""
        async with self._engine.begin() as conn:
            # The update first: it waits for batches being written (they hold the row) and makes
            # the ones after it read the new cutoff, so the delete sees every earlier entry.
            moved = await conn.execute(
                update(JournalCutoff).where(JournalCutoff.id == 1).values(not_before=not_before)
            )
            if not moved.rowcount:
                await conn.execute(insert(JournalCutoff).values(id=1, not_before=not_before))
            await conn.execute(delete(JournalEntry))
            released = await release_free_pages(conn)  # 0 on PostgreSQL and an older file
        if released:
            await checkpoint(self._engine)  # the file shrinks now, not at some later checkpoint

    # writer ---------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Linger a moment so a burst shares one transaction instead of one per call (unless a
            # flush is waiting for this batch).
            if not self._hurry.is_set():
                # `asyncio.timeout`, not `wait_for`: no task of its own for each batch.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(LINGER_SECONDS):
                        await self._hurry.wait()
            self._hurry.clear()
            while len(batch) < BATCH_SIZE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._lock:
                    current = [
                        (at, began, ex)
                        for generation, at, began, ex in batch
                        if generation == self._generation
                    ]
                    if current:
                        await self._write(current)
            except Exception as exc:  # the journal must never take the server down
                self._write_failures.failed(
                    "journal write of %d entries failed: %s", len(batch), type(exc).__name__
                )
            else:
                self._write_failures.succeeded()
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, exchanges: list[tuple[float, int | None, Exchange]]) -> None:
        rows: list[dict[str, Any]] = []
        #: When each row's call was answered (wall clock), for the cutoff; and the state's
        #: generation of the work that made it (None: any).
        answered: list[tuple[float, int | None]] = []
        wanted: dict[int, str] = {}
        for at, began, exchange in exchanges:
            try:
                row, who = to_row(exchange)
            except Exception as exc:  # one odd body must not lose the batch
                self._skips.failed("journal entry skipped: %s", type(exc).__name__)
                continue
            if who.skill is None and who.client_id:
                wanted[len(rows)] = who.client_id
            rows.append(row)
            answered.append((at, began))
        if not rows:
            return
        if wanted:
            await self._resolve_skills(rows, wanted)
        try:
            await self._insert(rows, answered)
        except Exception as exc:
            if len(rows) == 1 or is_outage(exc):
                raise  # a database out of reach refuses every row alike: the batch is lost
            # One row the database refuses must not lose the others: write them one by one.
            logger.warning(
                "journal batch of %d entries refused (%s); writing one by one", len(rows), type(exc).__name__
            )
            for row, when in zip(rows, answered, strict=True):
                try:
                    await self._insert([row], [when])
                except Exception as row_exc:
                    if is_outage(row_exc):
                        raise
                    self._skips.failed("journal entry skipped: %s", type(row_exc).__name__)

    async def _insert(self, rows: list[dict[str, Any]], answered: list[tuple[float, int | None]]) -> None:
        """One transaction; once more on a new connection when the first was cut before its commit.

        A restart, failover or idle-kill of PostgreSQL cuts the connection in hand: the pool
        replaces it, and a second attempt keeps the batch. Not when the cut came during the
        commit, which may have landed (the entries would be written twice).
        """
        for attempt in (1, 2):
            progress = _Attempt()
            try:
                await self._insert_once(rows, answered, progress)
                return
            except DBAPIError as exc:
                if attempt == 2 or progress.committing or not exc.connection_invalidated:
                    raise
                # Info, not a warning: nothing is lost yet, and the lost connection was logged (db/outage.py).
                logger.info("journal write lost its database connection; writing it again on a new one")

    async def _insert_once(
        self, rows: list[dict[str, Any]], answered: list[tuple[float, int | None]], progress: _Attempt
    ) -> None:
        async with self._engine.begin() as conn:
            not_before = await self._cutoff(conn)
            generation = None
            if any(began is not None for _, began in answered):
                hold = conn.dialect.name == "postgresql"
                generation = await read_generation(conn, hold=hold)
            kept = [
                row
                for row, (at, began) in zip(rows, answered, strict=True)
                if at >= not_before and began in (None, generation)
            ]
            if len(kept) < len(rows) and self._on_discard is not None:
                self._on_discard(len(rows) - len(kept))
            if not kept:
                return
            rows = kept
            await conn.execute(insert(JournalEntry), rows)
            self._since_trim += len(rows)
            if self._since_trim < self._trim_every:
                progress.committing = True  # what fails from here may have landed
                return
            self._since_trim = 0
            cutoff = (
                select(JournalEntry.id)
                .order_by(JournalEntry.id.desc())
                .offset(self._retention)
                .limit(1)
                .scalar_subquery()
            )
            await conn.execute(delete(JournalEntry).where(JournalEntry.id <= cutoff))
            progress.committing = True  # what fails from here may have landed

    async def _cutoff(self, conn: AsyncConnection) -> float:
        """The last reset's start; on PostgreSQL the row stays locked against a reset until commit."""
        query = select(JournalCutoff.not_before).where(JournalCutoff.id == 1)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(read=True)
        found = (await conn.execute(query)).scalar_one_or_none()
        return found if found is not None else 0.0

    async def _resolve_skills(self, rows: list[dict[str, Any]], wanted: dict[int, str]) -> None:
        """A skill's messaging client calls /v3/events and the Credential Locker: name its skill."""
        skill_of = {c: self._skill_of_client[c] for c in wanted.values() if c in self._skill_of_client}
        unknown = set(wanted.values()) - skill_of.keys()
        if unknown:
            # Only reads: on SQLite a transaction of the state's engine takes the file's write
            # lock unless it says so (db/engine.py), and the writer held it against every call of
            # the process while it looked the names up.
            async with read_only_connection(self._state_engine) as conn:
                found = (
                    await conn.execute(
                        select(LwaClient.client_id, LwaClient.skill_id).where(
                            LwaClient.client_id.in_(unknown)
                        )
                    )
                ).all()
            named = {client_id: skill_id or "" for client_id, skill_id in found}
            for client_id in unknown:
                skill_of[client_id] = self._skill_of_client[client_id] = named.get(client_id, "")
            while len(self._skill_of_client) > self.max_client_lookups:
                del self._skill_of_client[next(iter(self._skill_of_client))]  # the oldest lookup
        for index, client_id in wanted.items():
            rows[index]["skill"] = skill_of[client_id] or None
