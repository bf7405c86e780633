"""An asyncio SQLAlchemy dialect for SQLite that runs each statement on the event loop's thread.

Why not aiosqlite: it hands every call (execute, fetch, close, commit) to a worker thread and
back, and that hop, not SQLite, was what an authenticated GET spent its time on (measured with a
loop of one indexed SELECT: connect + query 1.5 ms on aiosqlite vs 0.25 ms here; a query on an
open connection 1.0 ms vs 0.09 ms; the bench's enablement status GET went from 107 to 382
requests per second, bench/HISTORY.md "Made faster"). An indexed SQLite read or a small write in
WAL mode takes microseconds, far less than the hop itself.

What makes running inline safe here (db/engine.py):
- readers never wait in WAL mode, and the writers of one process take turns on an asyncio lock
  BEFORE `BEGIN IMMEDIATE`; SQLite's busy handler (which would block the loop) is off, and a
  write meeting another process's lock tries again off the loop (db/engine.py);
- `synchronous=NORMAL` in WAL mode makes a commit a write to the WAL without fsync.

The dialect is pysqlite's (same types, same SQL) marked async. SQLAlchemy's asyncio layer needs
two things of an async driver, provided below: each execute must "await" (a completed no-op
coroutine: two greenlet switches, no trip through the loop), and cursors must offer
`_async_soft_close`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.util import await_only

from localexa.server.db.engine import INLINE_DRIVER

#: The driver name localexa's SQLite URLs are rewritten to (`sqlite+localexa:///path`).
DRIVER = INLINE_DRIVER


async def _awaited() -> None:
    """Completes at once: awaiting it tells SQLAlchemy's greenlet bridge the call was async."""


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """Rows are read synchronously; there is nothing left to release asynchronously."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    has_terminate = False
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs["factory"] = InlineConnection
        # Connections are used on the loop's thread only; the pool may close one from another
        # (garbage collection at exit), which sqlite3's same-thread check would refuse.
        kwargs["check_same_thread"] = False
        return args, kwargs

    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        cursor.execute(statement, parameters)
        await_only(_awaited())

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        cursor.execute(statement)
        await_only(_awaited())

    def do_executemany(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        cursor.executemany(statement, parameters)
        await_only(_awaited())


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")


def inline_url(url: str) -> str:
    """`sqlite:///…` or `sqlite+aiosqlite:///…` (what users and older configs name) → this dialect."""
    parsed = make_url(url)
    return parsed.set(drivername=f"sqlite+{DRIVER}").render_as_string(hide_password=False)
