"""The database out of reach, a connection to it lost, or its disk full: a 503, and a log line per
outage rather than one per call.

QA of 2026-12-06 (two processes on PostgreSQL under load, PostgreSQL stopped for 20-33 s): every
call answered 500 "An internal error occurred" and logged a traceback, ~16 MB of log per process;
only calls whose live connection broke got a 503. Connect failures came in every form: the
socket's own (`ConnectionRefusedError`, `OSError`, a timeout) unwrapped, asyncpg's
(`CannotConnectNowError` while PostgreSQL starts or stops, `TooManyConnectionsError`) wrapped by
SQLAlchemy. A SQLite file on a full disk ("database or disk is full") gave the same 500 per write.

Each engine now gets (`watch_outages`, from db/engine.py):
- every failure to connect raised as `DatabaseUnreachable`, whatever the driver raised: a 503 in
  the API's own shape with `Retry-After`, a message for the client that names nothing of the
  server, and a `str()` for the operator that names the database (its URL without the password,
  or the SQLite file) and the cause. A failed start says that one line (cli/start_failure.py);
- a SQLite write refused for a full disk raised as `DatabaseFull` (503, `Retry-After`); one
  refused because the file cannot be written (SQLITE_READONLY: made immutable, a read-only mount)
  as `DatabaseReadOnly`, and one failed by the disk (SQLITE_IOERR and its extended codes, or
  SQLITE_CANTOPEN for a file it needs) as `DatabaseIOError`, both alike (ops37 F1, 2026-12-07:
  they were 500s with a traceback per request);
- SQLite's write lock held by another connection past a write's wait raised as `DatabaseLocked`
  (503, `Retry-After`; before 2026-12-06 a 500 after 30 s of a stopped server, db/engine.py);
- one `LogThrottle` per kind (core/log_throttle.py, as for Redis): the first failure is logged,
  then at most one line per 30 s saying how many were left out, and one when it works again (a
  connection made; for a full disk, a read-only or failing one, a write that stored a row
  committed: `watch_writes`).

A connect failure before the engine ever connected is not logged here: the failing start says it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.errors import ServiceUnavailable
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.db.sequences import SequenceExhausted

logger = logging.getLogger("localexa.db")

#: Seconds a client is asked to wait: as for a deadlock (db/deadlocks.py). A restarted PostgreSQL
#: takes connections again within a second or two, and a lost connection is renewed at once.
RETRY_AFTER_SECONDS = 1
_RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}

#: SQLSTATEs of a connection PostgreSQL ended (class 08; admin or crash shutdown): the connection
#: is dead even when asyncpg has not marked it closed yet.
_ENDED = frozenset({"57P01", "57P02", "57P03"})
#: Marks, on the pool's record of a connection, a write commit that may show writes work again.
_PROBE = "localexa_write_after_full"
#: On the pool's record of a connection: its count of changed rows when its transaction began
#: during a write outage (`watch_writes`).
_CHANGES_AT_BEGIN = "localexa_changes_at_begin"


class DatabaseUnreachable(ServiceUnavailable):
    """No connection to the database could be made."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__("The database cannot be reached now. Retry the request.", headers=_RETRY_AFTER)
        self.where = where
        self.cause = cause

    def __str__(self) -> str:
        # What logs and a failed start show; the client gets `message`, which names no server.
        return f"the database at {self.where} cannot be reached ({self.cause})"


class DatabaseFull(ServiceUnavailable):
    """SQLite refused a write: the disk its file is on has no room left."""

    def __init__(self, where: str) -> None:
        super().__init__(
            "The database is full (its disk has no room left), so nothing can be stored now. "
            "Retry the request later.",
            headers=_RETRY_AFTER,
        )
        self.where = where

    def __str__(self) -> str:
        return f"the database at {self.where} is full: its disk has no room left"


class DatabaseReadOnly(ServiceUnavailable):
    """SQLite refused a write: its file (or the file's directory, or its `-wal`) cannot be written,
    as on a read-only mount or a file made immutable (`chattr +i`) under the server."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(
            "The database cannot be written (its file or disk is read-only), so nothing of this "
            "request was stored. Retry the request later.",
            headers=_RETRY_AFTER,
        )
        self.where = where
        self.cause = cause

    def __str__(self) -> str:
        return f"the database at {self.where} cannot be written: its file or disk is read-only ({self.cause})"


class DatabaseIOError(ServiceUnavailable):
    """SQLite's reads or writes of its file failed in the operating system: a failing disk, a
    filesystem remounted read-only after errors, a `-wal` made immutable under the server."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(
            "The database's disk failed to read or write it (an I/O error), so nothing of this "
            "request was stored. Retry the request later.",
            headers=_RETRY_AFTER,
        )
        self.where = where
        self.cause = cause

    def __str__(self) -> str:
        return f"the database at {self.where} cannot be read or written: an I/O error ({self.cause})"


class DatabaseLocked(ServiceUnavailable):
    """SQLite's write lock stayed with another connection (another process on the file, an
    operator's `sqlite3` shell) for as long as a write may wait (db/engine.py)."""

    def __init__(self, where: str) -> None:
        super().__init__(
            "The database is locked by another process, so nothing can be stored now. Retry the request.",
            headers=_RETRY_AFTER,
        )
        self.where = where

    def __str__(self) -> str:
        return f"the database at {self.where} is locked by another connection"


class ConnectionLost(ServiceUnavailable):
    """The database ended a connection a request was using (restart, failover, an idle kill)."""

    def __init__(self) -> None:
        super().__init__("The database connection was lost. Retry the request.", headers=_RETRY_AFTER)


def where_of(url: str) -> str:
    """How logs name a database: a server's URL without user, password or query (which may hold
    one), a SQLite file's path. Without the user too: the log's redaction shows any `user@` of a
    URL as `[redacted]@` (observe/redaction.py), which read as if a secret had been there."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    # Built anew: `URL.set(password=None)` leaves the password as it is.
    shown = URL.create(parsed.drivername, host=parsed.host, port=parsed.port, database=parsed.database)
    return shown.render_as_string(hide_password=False)


def cause_of(exc: BaseException) -> str:
    """`Type: first line of its message`, for the driver's own exception: SQLAlchemy's wrappers
    (and its asyncpg adapter's) said only `OperationalError`."""
    shown = exc
    while shown.__cause__ is not None and type(shown).__module__.startswith("sqlalchemy"):
        shown = shown.__cause__
    lines = str(shown).strip().splitlines()
    return f"{type(shown).__name__}: {lines[0]}" if lines else type(shown).__name__


class DatabaseDamaged(ServiceUnavailable):
    """SQLite found its file damaged, or no SQLite database at all (SQLITE_CORRUPT, SQLITE_NOTADB):
    nothing a retry mends, so no Retry-After. At start, the one line names the file: the state's
    and the journal's said alike `file is not a database` (ops37 F7, 2026-12-07)."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(
            "The database file is damaged or is not a SQLite database, so this request could not "
            "be served. Restore it from a backup or a snapshot."
        )
        self.where = where
        self.cause = cause

    def __str__(self) -> str:
        return (
            f"the database at {self.where} is damaged or is not a SQLite database ({self.cause}): "
            "restore it from a backup (a snapshot restores into a new data dir), or move it away "
            "to start on a new one"
        )


class Outage:
    """One engine's database: how logs name it, and a throttle per kind of failure."""

    def __init__(self, where: str) -> None:
        self.where = where
        #: Failures to connect before the first success are a failing start, which reports them.
        self.connected = False
        self.unreachable = LogThrottle(logger, f"the database at {where}")
        self.lost = LogThrottle(logger, f"connections to the database at {where}")
        self.busy = LogThrottle(logger, f"the connection pool of the database at {where}")
        self.full = LogThrottle(logger, f"writing to the database at {where}")
        self.read_only = LogThrottle(logger, f"writing to the database at {where}")
        self.io_error = LogThrottle(logger, f"writing to the database at {where}")
        self.locked = LogThrottle(logger, f"the write lock of the database at {where}")
        self.damaged = LogThrottle(logger, f"the database file at {where}")
        self.replaced = LogThrottle(logger, f"the database file at {where}")

    @property
    def writes_failing(self) -> bool:
        """A full disk, a read-only file or an I/O error was logged and no write has stored since."""
        return self.full.failing or self.read_only.failing or self.io_error.failing

    def writes_work(self) -> None:
        """A write stored a row: each of those outages that was logged says it is over."""
        for throttle in (self.full, self.read_only, self.io_error):
            throttle.succeeded()


_outages: weakref.WeakKeyDictionary[Any, Outage] = weakref.WeakKeyDictionary()


def outage_of(engine: AsyncEngine) -> Outage | None:
    return _outages.get(engine.sync_engine)


def watch_outages(engine: AsyncEngine, url: str) -> Outage:
    """Raise `DatabaseUnreachable` for every failed connect and log outages throttled."""
    outage = _outages[engine.sync_engine] = Outage(where_of(url))

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            connection = dialect.connect(*cargs, **cparams)
        except Exception as exc:
            cause = cause_of(exc)
            if outage.connected:
                outage.unreachable.failed("the database at %s cannot be reached: %s", outage.where, cause)
            raise DatabaseUnreachable(outage.where, cause) from exc
        outage.connected = True
        outage.unreachable.succeeded()
        return connection

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        original = context.original_exception
        if _full(original):
            outage.full.failed("the database at %s is full: its disk has no room left", outage.where)
            raise DatabaseFull(outage.where) from (context.sqlalchemy_exception or original)
        if _read_only(original):
            read_only = DatabaseReadOnly(outage.where, _sqlite_cause(original))
            outage.read_only.failed("%s", read_only)
            raise read_only from (context.sqlalchemy_exception or original)
        if _damaged(original):
            damaged = DatabaseDamaged(outage.where, _sqlite_cause(original))
            outage.damaged.failed("%s", damaged)
            raise damaged from (context.sqlalchemy_exception or original)
        if _io_error(original):
            io_error = DatabaseIOError(outage.where, _sqlite_cause(original))
            outage.io_error.failed("%s", io_error)
            raise io_error from (context.sqlalchemy_exception or original)
        if _locked(original):
            # Not logged here: a write's BEGIN meets this while another process writes, and tries
            # again (db/engine.py); it logs when it gives up.
            raise DatabaseLocked(outage.where) from (context.sqlalchemy_exception or original)
        if not context.is_disconnect and _ended(original):
            context.is_disconnect = True  # the pool drops it; the request answers 503 (ConnectionLost)
        # A cancelled query (a superseded follow-up, a reset, a test case's time limit) is no loss:
        # SQLAlchemy drops its connection all the same, but it was logged as one, dozens of times
        # under a relink storm, and a real loss after them went into the throttle's count.
        cancelled = not isinstance(original, Exception)
        if context.is_disconnect and not context.is_pre_ping and not cancelled:
            outage.lost.failed(
                "a connection to the database at %s was lost: %s", outage.where, cause_of(original)
            )

    return outage


def watch_writes(engine: AsyncEngine, outage: Outage, writes: Callable[[Connection], bool]) -> None:
    """Say once that writes work again after a full disk, a read-only file or an I/O error: at
    the first write transaction that changed a row and whose commit succeeds (`writes` tells a
    write transaction; reads commit on a full disk too). The commit event comes before the
    commit, so the commit itself is wrapped; while nothing failed each costs three attribute tests.

    A write transaction that changed nothing commits on a full disk or a read-only file too
    (SQLite writes nothing for it): the evaluation worker's claim poll, once a second, said
    "works again" beside every "is full" (ops37 F3, 2026-12-07). The rows it changed are
    SQLite's `total_changes` of the connection, taken when the transaction begins."""

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if outage.writes_failing:
            conn.connection.info[_CHANGES_AT_BEGIN] = _changes(conn)

    @event.listens_for(engine.sync_engine, "commit")
    def _on_commit(conn: Connection) -> None:
        if not outage.writes_failing:
            return
        before = conn.connection.info.pop(_CHANGES_AT_BEGIN, None)
        if before is not None and writes(conn) and _changes(conn) > before:
            conn.connection.info[_PROBE] = True

    dialect: Any = engine.sync_engine.dialect  # this engine's own (create_async_engine makes one each)
    commit = dialect.do_commit

    def do_commit(connection: Any) -> None:  # the pool's proxy of the driver's connection
        if not outage.writes_failing:
            commit(connection)
            return
        probing = connection.info.pop(_PROBE, False)
        commit(connection)  # raising, the failure is counted (handle_error) and nothing more
        if probing:
            outage.writes_work()

    dialect.do_commit = do_commit


#: sqlite3.SQLITE_FULL, written out: a process on PostgreSQL never imports sqlite3 (db/engine.py).
_SQLITE_FULL = 13
#: sqlite3.SQLITE_BUSY (another connection holds the lock) and SQLITE_LOCKED (one of the same
#: connection's, or a shared-cache one).
_SQLITE_BUSY = frozenset({5, 6})
#: sqlite3.SQLITE_READONLY: a write on a connection that could open its file only for reading.
_SQLITE_READONLY = 8
#: sqlite3.SQLITE_IOERR (its extended codes say which call failed: SQLITE_IOERR_WRITE, ...) and
#: SQLITE_CANTOPEN (a file SQLite needs, its `-wal` or a temporary one, could not be opened).
_SQLITE_IO = frozenset({10, 14})


def _changes(conn: Connection) -> int:
    """Rows the connection's INSERT, UPDATE and DELETE statements changed since it was opened."""
    return int(getattr(conn.connection.dbapi_connection, "total_changes", 0))


def _sqlite_cause(exc: BaseException) -> str:
    """`SQLITE_IOERR_WRITE: disk I/O error`: the extended code's name says which call failed."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{name}: {exc}" if name else cause_of(exc)


def _full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL: "database or disk is full" (or past `max_page_count`). Extended
    codes keep the primary code in their low byte."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_FULL


def _read_only(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_READONLY


#: sqlite3.SQLITE_CORRUPT (a damaged page) and SQLITE_NOTADB (not a SQLite file at all).
_SQLITE_DAMAGED = frozenset({11, 26})


def _damaged(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _SQLITE_DAMAGED


def _io_error(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _SQLITE_IO


def _locked(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _SQLITE_BUSY


def _ended(exc: BaseException) -> bool:
    state = getattr(exc, "sqlstate", None)
    return isinstance(state, str) and (state.startswith("08") or state in _ENDED)


def outage_answer(exc: Exception, engine: AsyncEngine | None) -> ServiceUnavailable | None:
    """The 503 for an exception that reached the error handler because the database is out of
    reach (the engine logged it, throttled), or None. `DatabaseUnreachable` and `DatabaseFull`
    are localexa's own errors and answer as such."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ConnectionLost()
    if isinstance(exc, PoolTimeout):
        # Every pooled connection stayed busy for the pool's timeout: connects hanging on a
        # database that does not answer, or more load than the pool holds.
        outage = outage_of(engine) if engine is not None else None
        where = outage.where if outage is not None else "(unknown)"
        if outage is not None:
            outage.busy.failed("no connection to the database at %s came free in time", where)
        return DatabaseUnreachable(where, "no pooled connection came free in time")
    return None


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database is out of reach or refuses a whole kind of write (not one row)."""
    storage = DatabaseFull | DatabaseReadOnly | DatabaseIOError | DatabaseDamaged | SequenceExhausted
    return isinstance(exc, DatabaseUnreachable | storage | DatabaseLocked | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
