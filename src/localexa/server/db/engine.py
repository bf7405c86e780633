"""Engine creation for the embedded SQLite file and for PostgreSQL.

SQLite runs in WAL mode with foreign keys on, so several connections (and processes) share the
file safely; every write waits for the lock (up to `WRITE_LOCK_TIMEOUT`, then 503) instead of
failing at once.

Locking on SQLite, and why it is done this way:
- A transaction that may write starts with `BEGIN IMMEDIATE`, so two writers never deadlock
  upgrading read locks. Within one process those transactions also take turns on an asyncio lock
  held from BEGIN until the connection goes back to the pool: waiting there costs nothing, while
  waiting in SQLite's busy handler means sleeping in steps of up to 100 ms after the lock is free
  (measured: 16 concurrent requests served ~150/s with p99 over 1 s). Between processes there is
  no busy handler at all (it slept on the loop's thread): `BEGIN IMMEDIATE` is tried again off
  the loop.
- A transaction that only reads starts with a plain `BEGIN`: in WAL mode readers never wait for
  a writer, nor a writer for them. Those are the transactions of GET and HEAD requests (safe
  methods, RFC 9110 §9.2.1: `ReadsOnlyMiddleware` in db/session.py marks the request's context)
  and of connections with the execution option `localexa_read_only` (the clock).

Connections that only read one statement (`reading()`: a token check that misses the cache, the
clock's and the faults' re-reads, the sign-out checks) run without a transaction on PostgreSQL
(autocommit): a transaction around one read bought nothing but its BEGIN and ROLLBACK, two round
trips to the server. The statement is still its transaction's first, so a refused stale plan is
run again as before (db/stale_plans.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import weakref
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from localexa.server.core import strict_json
from localexa.server.db.deadlocks import answer_deadlocks_with_503
from localexa.server.db.outage import DatabaseLocked, Outage, watch_outages, watch_writes, where_of
from localexa.server.db.sequences import answer_exhausted_sequences
from localexa.server.db.sqlite_file import FileIdentity
from localexa.server.db.stale_plans import recover_from_stale_plans

#: Execution option: this connection only reads (on SQLite its transactions take no write lock).
READ_ONLY = "localexa_read_only"
#: The driver name of localexa's SQLite URLs (`sqlite+localexa:///path`, db/inline_sqlite.py).
INLINE_DRIVER = "localexa"
#: How long a write transaction waits for the write lock: for the other writers of its process,
#: then for another process's (`_begin_immediate`). Past it: 503 (db/outage.py `DatabaseLocked`).
WRITE_LOCK_TIMEOUT = 30.0
#: Connections past the pool's 5 a SQLite engine opens while they are needed (`create_engine`).
SQLITE_MAX_OVERFLOW = 45
#: Bytes a SQLite `-wal` file keeps after the log restarts (`PRAGMA journal_size_limit`).
WAL_SIZE_LIMIT = 8 * 1024 * 1024
#: `PRAGMA auto_vacuum`'s answer for INCREMENTAL (`release_free_pages`).
_INCREMENTAL = 2
#: The longest pause between two tries of `BEGIN IMMEDIATE` while another process writes.
_LONGEST_PAUSE = 0.05
_HOLDS_LOCK = "localexa_holds_write_lock"
#: On the pool's record of a SQLite connection: its file could not be opened for writing.
_OPENED_READ_ONLY = "localexa_opened_read_only"
#: True while a safe-method request (GET, HEAD) is handled: its transactions only read.
reads_only: ContextVar[bool] = ContextVar("localexa_reads_only", default=False)


async def reading(conn: AsyncConnection) -> AsyncConnection:
    """Mark a new connection (nothing run on it yet) as one that only reads: on SQLite its
    transaction takes no write lock, on PostgreSQL it runs in autocommit (module docstring)."""
    # The connection's dialect is read from what the first call answers, the connection itself:
    # `conn` may be a wrapper that only forwards `execution_options` and `execute` (tests do).
    marked = await conn.execution_options(**{READ_ONLY: True})
    if marked.dialect.name == "postgresql":
        await marked.execution_options(isolation_level="AUTOCOMMIT")
    return marked


@contextlib.asynccontextmanager
async def read_only_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection that only reads (`reading`), given back to the pool without a trip round the loop.

    `async with engine.connect()` closes the connection in a task of its own (SQLAlchemy shields
    the close from cancellation): a trip through the loop's queue, behind every other request,
    with the connection still checked out. Under 16 concurrent GETs the faults' and the clock's
    re-reads (every 0.5 s) each held a connection through that trip while the next requests
    started theirs: SQLite's pool (5) opened and closed up to 12 more connections every half
    second (tests/core/test_pool_under_concurrency.py). On the inline SQLite driver the close
    never waits, so it runs in place; elsewhere it is a round trip (asyncpg's reset) and keeps
    SQLAlchemy's shielded close."""
    if engine.dialect.driver != INLINE_DRIVER:
        async with engine.connect() as conn:
            await reading(conn)
            yield conn
        return
    conn = await engine.connect()
    try:
        await reading(conn)
        yield conn
    finally:
        await conn.close()


async def release_free_pages(conn: AsyncConnection) -> int:
    """SQLite: give the file's free pages back to the filesystem, in the caller's write
    transaction (a reset's); the pages given back. A file made with `auto_vacuum=INCREMENTAL`
    (every new one since 2026-12-07) shrinks once the log is checkpointed; an older one has
    nothing to give (`auto_vacuum` none): its free pages are reused by later rows, as before."""
    if conn.dialect.name != "sqlite":
        return 0
    database = (await conn.get_raw_connection()).driver_connection
    if database is None or database.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL:
        return 0
    free = int(database.execute("PRAGMA freelist_count").fetchone()[0])
    # Python's sqlite3 steps a statement to its first row only, and the pragma frees one page a
    # row: once per page (a few µs each; none for a small state, whose tables keep their pages).
    for _ in range(free):
        database.execute("PRAGMA incremental_vacuum").close()
    return free


async def checkpoint(engine: AsyncEngine) -> None:
    """SQLite: copy the write-ahead log into the file now and empty the log (`TRUNCATE`), so the
    pages `release_free_pages` gave back leave the file, and the log its peak, at once rather
    than at the next automatic checkpoint, which a reader under way may put off. It waits for no
    one (no busy handler): with a reader or writer under way it does what it can, and the next
    automatic checkpoint the rest. Outside any transaction."""
    async with engine.connect() as conn:
        database = (await conn.get_raw_connection()).driver_connection
        if database is not None:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _create_owner_only(url: str) -> None:
    """Create a new SQLite file readable by its owner only (0600), before SQLite creates it with
    the umask's 0644: it holds password hashes and sealed secrets. SQLite gives its `-wal` and
    `-shm` files the database file's mode. An existing file is left as it is."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    # An existing file stays as it is; a missing directory is SQLite's to report, as before.
    with contextlib.suppress(OSError):
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        _create_owner_only(url)
        # Statements run on the loop's thread, not through aiosqlite's worker (inline_sqlite.py).
        # Imported here: a process on PostgreSQL never loads sqlite3 or SQLAlchemy's SQLite
        # dialect (1.6 MB resident, README "Resident memory").
        from localexa.server.db.inline_sqlite import inline_url

        engine = create_async_engine(
            inline_url(url),
            # Writes waiting for another process's lock hold their connections (they wait in
            # their BEGIN): with 15 waiting, SQLAlchemy's default pool (5 + 10) had none left
            # for reads, and health answered only when the writes gave up (re-verification of
            # 2026-12-06). Past 5 they are opened on demand and closed on return, as before.
            pool_size=5,
            max_overflow=SQLITE_MAX_OVERFLOW,
            connect_args={"timeout": 30},
            json_serializer=strict_json.dumps,
            hide_parameters=True,
        )
        # A file it cannot open, or a full disk: 503s, logged once per outage (db/outage.py).
        outage = watch_outages(engine, url)
        _configure_sqlite(engine, make_url(url).database, outage)
        return engine
    # Enough steady connections for a busy process: connections past `pool_size` are closed on
    # return and opened again on the next burst (measured: reconnects on the hot path).
    # No pre-ping: it is a round trip on every checkout (measured: 20-35 % of the CPU of an
    # authenticated GET or a token refresh). Connections PostgreSQL has closed are dropped at
    # checkout instead (below); one that dies mid-request answers 503 and the pool renews itself.
    engine = create_async_engine(
        url, pool_size=20, max_overflow=20, json_serializer=strict_json.dumps, hide_parameters=True
    )
    _drop_closed_connections(engine)
    # Another process's schema change (a rolling upgrade's migration) makes cached plans stale.
    recover_from_stale_plans(engine)
    # A call PostgreSQL ends to settle a deadlock answers 503 (nothing of it was stored).
    answer_deadlocks_with_503(engine)
    # A table whose id sequence is at its end refuses its inserts: 503, the sequence in the log.
    answer_exhausted_sequences(engine, where_of(url))
    # A database it cannot connect to, or a connection it loses: 503s, logged once per outage.
    watch_outages(engine, url)
    return engine


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """The free half of a pre-ping: when PostgreSQL ends a backend (restart, failover, an idle
    kill) it says so on the socket and asyncpg marks the connection closed. Such a connection is
    discarded at checkout (DisconnectionError makes the pool connect anew), so no request is
    handed a connection that is known dead; only one dying mid-request still fails (a 503)."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        is_closed = getattr(driver, "is_closed", None)
        if is_closed is not None and is_closed():
            raise DisconnectionError("PostgreSQL closed this pooled connection")


async def _acquire_within(lock: asyncio.Lock, seconds: float) -> None:
    """`lock.acquire()` with a deadline. Not `asyncio.wait_for`, which wraps the acquire in a new
    task and so always goes round the loop, even for a free lock: every write transaction (and
    every journal batch) paid a task and a trip through the loop's queue behind other requests.
    A free lock is taken here without leaving the coroutine."""
    async with asyncio.timeout(seconds):
        await lock.acquire()


#: The writers' lock of each SQLite file, per event loop. Engines of one process on one file (two
#: apps served by one process, a test's second app) queue on one lock: statements run on the
#: loop's thread (inline_sqlite.py), so a second engine's `BEGIN IMMEDIATE` waiting in SQLite's
#: busy handler stopped the loop, and with it the first engine's transaction that held the file:
#: every such wait lasted the whole 30 s busy timeout. Per loop, since an asyncio lock belongs to
#: the loop it first waits on.
_file_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _writable(database: str | None) -> bool:
    """Whether the SQLite file can be written (an in-memory database can, and a file not made yet,
    which SQLite creates for writing or fails to connect to).

    Asked with `access(2)`, which opens nothing: the first version opened and closed the file,
    and closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    own included (SQLite's documented pitfall), so two processes on one file wrote past each
    other's locks (an after-link follow-up's lease renewal was lost: CI of 2026-12-07). access(2)
    answers EROFS on a read-only mount and EPERM for an immutable file, root or not."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return True
    if not os.path.exists(database):
        return True
    return os.access(database, os.W_OK)


def _writers_of(database: str | None, own: asyncio.Lock) -> asyncio.Lock:
    """The lock the writers of `database` take in the running loop (`own` for an in-memory one)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return own
    locks = _file_writers.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(os.path.realpath(database), own)


def _configure_sqlite(engine: AsyncEngine, database: str | None, outage: Outage) -> None:
    own = asyncio.Lock()
    # The file deleted or replaced under the server: 503s, not writes into a lost file (ops37 F2).
    identity = FileIdentity(database)
    #: The open connections that may be read-only (`_on_connect`).
    read_only_alive: weakref.WeakSet[Any] = weakref.WeakSet()
    # A transaction holding the writers' lock is a write: its commit says a full disk has room again.
    watch_writes(engine, outage, lambda conn: bool(conn.connection.info.get(_HOLDS_LOCK)))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # The driver must not open transactions itself: `_on_begin` does, with the right lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # A new file gives the pages of deleted rows back (`release_free_pages`, after a reset):
        # it kept its high-water size (soak review F6). Only a file without a page takes the
        # setting, so it comes before WAL mode, which writes the file's header; an existing file
        # keeps its mode (changing it takes a VACUUM, which localexa never runs). Asked only of
        # an empty file: setting it opens a write transaction, on every connection (a read-only
        # file refused its connections, and writers of other connections met a lock).
        if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # No busy handler: it sleeps on the loop's thread (statements run inline, inline_sqlite.py),
        # and another process holding the write lock stopped the whole server for up to 30 s (QA
        # of 2026-12-06). A write's BEGIN tries again off the loop instead (`_begin_immediate`);
        # readers never wait in WAL mode.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 512 KiB of page cache per connection, not SQLite's 2 MiB: the OS caches the file anyway,
        # and the pools of two engines (state and journal) kept 1-2 MB more resident (bench/).
        cursor.execute("PRAGMA cache_size=-512")
        # SQLite reuses its `-wal` file and never shrinks it: after a reset or a large restore it
        # stayed at its peak (27 MB beside an empty state) until the server stopped. With a
        # limit it is cut back at the first commit after the log restarts (soak38 F1).
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.close()
        identity.remember()
        # SQLite opens a file it cannot write read-only, and the connection stays so: after a
        # read-only mount or `chattr +i` was lifted, each such pooled connection refused every
        # write (503) until a restart. SQLite also shares the `-shm` it could open only
        # read-only among all of the process's connections to the file until the last one
        # closes: a connection opened while such a one lives is read-only too, though the file
        # can be written by then. Both are closed when given back (`_on_checkin`), never pooled,
        # so once the file can be written the first moment none is in use ends it.
        if read_only_alive or not _writable(database):
            record.info[_OPENED_READ_ONLY] = True
            read_only_alive.add(dbapi_connection)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        identity.check(outage)
        if reads_only.get() or conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        info = conn.connection.info
        acquired = False
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT
        if not info.get(_HOLDS_LOCK) and in_greenlet():
            writers = _writers_of(database, own)
            try:
                await_only(_acquire_within(writers, WRITE_LOCK_TIMEOUT))
            except TimeoutError:  # the writer ahead waited as long for another process
                raise DatabaseLocked(outage.where) from None
            info[_HOLDS_LOCK] = writers  # the lock to release when the transaction is over
            acquired = True
        try:
            _begin_immediate(conn, deadline, outage)
        except BaseException:
            if acquired:
                _release(info)
            raise

    def _begin_immediate(conn: Any, deadline: float, outage: Outage) -> None:
        """Take the write lock at BEGIN, so two writers never deadlock upgrading read locks. While
        another process holds it, try again after a pause that lets the loop serve others."""
        pause = 0.002
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except DatabaseLocked:  # SQLITE_BUSY (db/outage.py)
                if not in_greenlet() or time.monotonic() + pause > deadline:
                    outage.locked.failed(
                        "the database at %s stayed locked by another connection for %g s",
                        outage.where,
                        WRITE_LOCK_TIMEOUT,
                    )
                    raise
                await_only(asyncio.sleep(pause))
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            if outage.locked.failing:
                outage.locked.succeeded()
            return

    def _release(info: dict[str, Any]) -> None:
        writers = info.pop(_HOLDS_LOCK, None)
        if writers is not None and writers.locked():
            writers.release()

    # The transaction is over once the connection is back in the pool (rolled back on return) or
    # gone: let the next writer of this process in. (Each listener has its event's exact signature.)
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        _release(record.info)

    @event.listens_for(pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            _release(record.info)
            if record.info.get(_OPENED_READ_ONLY):
                record.invalidate()  # closed now; the record connects anew when next taken

    @event.listens_for(pool, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _release(record.info)

    @event.listens_for(pool, "close")
    def _on_close(dbapi_connection: Any, record: Any) -> None:
        _release(record.info)
        read_only_alive.discard(dbapi_connection)
