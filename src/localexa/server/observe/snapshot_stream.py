"""`POST /_localexa/snapshot`'s document, written as it is read: table by table, rows in batches.

Until 2026-12-07 the whole document was built in memory and then written: a state of 1.3 million
rows took minutes and over 2.2 GB of the server's memory for a 443 MB answer (bigstate review
F4). Now at most one batch of rows (`BATCH_ROWS`) and its JSON are held at a time, whatever the
state's size, and the first bytes leave at once.

The bytes are the ones the document built whole gave (Starlette's `JSONResponse`: compact
separators, UTF-8 as is, no NaN), key for key in the same order: rows in each table's primary-key
order, tables in `_state_tables()`'s (tests/observe/test_snapshot_stream.py compares the two).

One consistent read, as before: every batch of every table is read in one transaction, REPEATABLE
READ on PostgreSQL, one read transaction on SQLite (WAL: it sees the file as it was at its first
read, whatever is committed after), so a snapshot is never half before and half after a write.
On SQLite that transaction no longer takes the write lock: a snapshot held it to its end, and
every write of the server waited for it (or answered 503 after `WRITE_LOCK_TIMEOUT`).

Errors: the key check (409) and anything before the first byte answer as before. Once the answer
has begun, its status is sent: a failure while reading (the database gone, a query cancelled)
ends the connection without the chunked answer's last chunk (core/cut_answer.py), so the client
sees a cut answer (curl: "transfer closed with outstanding read data remaining"; httpx:
`RemoteProtocolError`), never a complete one. A cut document is never valid JSON (the outermost
object closes with its last byte), so restore refuses it (400 "The body is not valid JSON.").
The cut is logged in one line, how far the answer got and why: a warning without a traceback for
the database's errors, an error with it for anything else (a bug). It logged two tracebacks until
2026-12-07 (tests/observe/test_snapshot_cut.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio
from fastapi import FastAPI
from sqlalchemy import Row, Table, select, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.core.clock import iso
from localexa.server.core.cut_answer import AnswerCut
from localexa.server.core.errors import ServiceUnavailable
from localexa.server.db.engine import READ_ONLY
from localexa.server.db.outage import cause_of
from localexa.server.lwa.key_check import recorded_another_key
from localexa.server.lwa.key_confirmation import CANNOT_SNAPSHOT_UNDER_ANOTHER_KEY, SealedUnderAnotherKey
from localexa.server.observe.snapshot_rows import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, encode

logger = logging.getLogger("localexa.observe")

#: Rows read, encoded and written at a time (~1 MB of JSON for LWA tokens).
BATCH_ROWS = 2000


class _Sent:
    """How far an answer got, for the line that says where it was cut."""

    def __init__(self) -> None:
        self.tables = 0
        self.rows = 0
        self.bytes = 0
        self.reading: str | None = None


def _dumps(value: Any) -> str:
    """JSON exactly as Starlette's `JSONResponse` writes it (the document's bytes before streaming)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


async def open_snapshot(
    app: FastAPI,
    tables: list[Table],
    fingerprint: str,
    revision_of: Callable[[AsyncConnection], Awaitable[str | None]],
) -> AsyncIterator[bytes]:
    """The document's bytes, to stream. Raises `SealedUnderAnotherKey` (409) before any byte when
    this process is under another key than the database recorded. The connection and its
    transaction stay open until the iterator ends or is closed (the client went away)."""
    engine = app.state.engine
    conn = await engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        else:  # a plain BEGIN: a reader in WAL mode sees one version of the file, takes no lock
            await conn.execution_options(**{READ_ONLY: True})
        # In the snapshot's own view: the recorded key never changes once written.
        if await recorded_another_key(conn, app.state.box):
            raise SealedUnderAnotherKey(CANNOT_SNAPSHOT_UNDER_ANOTHER_KEY)
        head = {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "schemaRevision": await revision_of(conn),
            "keyFingerprint": fingerprint,
            "createdAt": iso(app.state.clock.now()),
        }
    except BaseException:
        await _close(conn)
        raise
    return _document(conn, head, tables)


async def _document(conn: AsyncConnection, head: dict[str, Any], tables: list[Table]) -> AsyncIterator[bytes]:
    sent = _Sent()
    try:
        async for chunk in _parts(conn, head, tables, sent):
            sent.bytes += len(chunk)
            yield chunk
    except Exception as exc:
        _log_cut(exc, sent, len(tables))
        raise AnswerCut("the snapshot was cut") from exc
    finally:
        await _close(conn)


async def _parts(
    conn: AsyncConnection, head: dict[str, Any], tables: list[Table], sent: _Sent
) -> AsyncIterator[bytes]:
    # `{"format":…,"createdAt":"…"` then `,"tables":{`: the head's own closing brace left out.
    yield (_dumps(head)[:-1] + ',"tables":{').encode()
    for number, table in enumerate(tables):
        sent.reading = table.name
        yield f"{',' if number else ''}{_dumps(table.name)}:[".encode()
        async for chunk, count in _rows(conn, table):
            sent.rows += count
            yield chunk
        yield b"]"
        sent.tables += 1
    sent.reading = None
    yield b"}}"


def _log_cut(exc: Exception, sent: _Sent, tables: int) -> None:
    """One line: how far the answer got and why it stopped. The database's errors (its connection
    lost, a query cancelled or refused) are no bug: no traceback (the engine logs a lost
    connection once per outage, db/outage.py). Anything else is one, logged with its traceback."""
    where = f" while reading {sent.reading}" if sent.reading else ""
    line = (
        f"snapshot cut after {sent.tables} of {tables} tables ({sent.rows} rows, {sent.bytes} bytes "
        f"written){where}: %s; the client got an incomplete answer, not valid JSON, which restore refuses"
    )
    if isinstance(exc, SQLAlchemyError | ServiceUnavailable):
        logger.warning(line, str(exc) if isinstance(exc, ServiceUnavailable) else cause_of(exc))
    else:
        logger.error(line, type(exc).__name__, exc_info=exc)


async def _rows(conn: AsyncConnection, table: Table) -> AsyncIterator[tuple[bytes, int]]:
    """The table's rows in primary-key order, `BATCH_ROWS` at a time, each batch after the last
    key of the one before (an index seek, not an OFFSET that reads every row it skips); with
    each batch's bytes, its count of rows."""
    key = list(table.primary_key.columns)
    if not key:  # every state table has one; a table without would be read whole, as before
        rows = (await conn.execute(select(table).order_by(*table.columns))).all()
        if rows:
            yield _encoded(rows).encode(), len(rows)
        return
    after: tuple[Any, ...] | None = None
    while True:
        query = select(table).order_by(*key).limit(BATCH_ROWS)
        if after is not None:
            query = query.where(key[0] > after[0] if len(key) == 1 else tuple_(*key) > tuple_(*after))
        rows = (await conn.execute(query)).all()
        if not rows:
            return
        yield (("," if after is not None else "") + _encoded(rows)).encode(), len(rows)
        if len(rows) < BATCH_ROWS:
            return
        last = rows[-1]._mapping
        after = tuple(last[column] for column in key)


def _encoded(rows: Sequence[Row[Any]]) -> str:
    """The rows as the whole table's list wrote them: the batch's list without its brackets."""
    return _dumps([{name: encode(value) for name, value in row._mapping.items()} for row in rows])[1:-1]


async def _close(conn: AsyncConnection) -> None:
    """Ends the read transaction and gives the connection back, even when the stream was
    cancelled (the client went away): shielded, or the cancellation would cut the close short."""
    with anyio.CancelScope(shield=True):
        await conn.close()
