"""A snapshot cut by the database half-way through its answer (PostgreSQL ends the connection, or
a query of it fails): one log line that says so, no traceback, and a cut answer the client can
tell from a whole one (observe/snapshot_stream.py).

Until 2026-12-07 such a cut logged two tracebacks at level error: the app's "unhandled error on
POST /_localexa/snapshot" (Starlette's "Caught handled exception, but response already started",
the database's error chained to it) and uvicorn's "Exception in ASGI application" (snapshot39
review F3).

Served over real HTTP (uvicorn on 127.0.0.1, as `localexa serve` does) on PostgreSQL: another
connection holds `discovered_endpoints` locked, so the snapshot's read of it waits with every
table before it sent; its backend is then ended (or its query cancelled) and the lock released.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.factories import Admin
from tests.observe.helpers import ADMIN
from tests.observe.test_snapshot_stream import fill
from tests.servers import serve_in_loop

#: The table the snapshot waits on; every table before it (12 of them) has been sent by then.
HELD = "discovered_endpoints"
#: What the line gives as the cause, for each way of cutting.
CAUSES = {
    "pg_terminate_backend": "ConnectionDoesNotExistError: connection was closed in the middle of operation",
    "pg_cancel_backend": "QueryCanceledError: canceling statement due to user request",
}


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(record is seen for seen in self.records):  # a record may pass both loggers
            self.records.append(record)


@contextmanager
def recording() -> Iterator[list[logging.LogRecord]]:
    """Every record of the app's loggers and of uvicorn's, once the test server has started (its
    logging config stops uvicorn's reaching the root logger and drops any handler they had;
    `localexa serve` sends them all to its one handler)."""
    handler = Records()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for named in loggers:
        named.addHandler(handler)
    try:
        yield handler.records
    finally:
        for named in loggers:
            named.removeHandler(handler)


async def _snapshot_waiting(conn: AsyncConnection) -> int:
    """The backend of the snapshot, once its read of the held table waits on the lock."""
    for _ in range(200):
        # pg_stat_activity is read once per transaction, and the lock's holder stays in its own.
        await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        found = (
            await conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE :held"
                ),
                {"held": f"%{HELD}%"},
            )
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        await asyncio.sleep(0.05)
    raise AssertionError("the snapshot never waited on the held table's lock")


async def _read_until_cut(answer: httpx.Response, received: bytearray) -> BaseException | None:
    try:
        async for chunk in answer.aiter_raw():
            received.extend(chunk)
    except httpx.TransportError as exc:
        return exc
    return None


async def _cut_snapshot(app: FastAPI, base_url: str, how: str) -> tuple[BaseException | None, bytes]:
    """A snapshot over HTTP whose read of `HELD` waits on a lock while `how` ends its backend (or
    cancels its query): how the client's read ended, and what it received."""
    holder_engine = create_async_engine(app.state.engine.url)
    received = bytearray()
    try:
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
            holder_engine.connect() as holder,
        ):
            await holder.execute(text(f"LOCK TABLE {HELD} IN ACCESS EXCLUSIVE MODE"))
            async with http.stream("POST", "/_localexa/snapshot", headers=ADMIN) as answer:
                assert answer.status_code == 200
                reading = asyncio.create_task(_read_until_cut(answer, received))
                snapshot = await _snapshot_waiting(holder)
                ended = await holder.execute(text(f"SELECT {how}(:pid)"), {"pid": snapshot})
                assert ended.scalar_one() is True
                await holder.rollback()  # the lock goes
                cut = await asyncio.wait_for(reading, 30)
    finally:
        await holder_engine.dispose()
    return cut, bytes(received)


@pytest.mark.parametrize("how", ["pg_terminate_backend", "pg_cancel_backend"])
async def test_a_snapshot_cut_by_postgresql_is_one_line_and_no_whole_document(
    app: FastAPI, admin: Admin, client: httpx.AsyncClient, backend: str, how: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL test: it ends the snapshot's connection, or cancels its query")
    await fill(app, admin)
    async with serve_in_loop(app) as base_url:
        with recording() as logged:
            cut, received = await _cut_snapshot(app, base_url, how)

    # The client sees a cut answer (the chunked body's last chunk never came), not a whole one.
    assert isinstance(cut, httpx.RemoteProtocolError), cut
    assert received.startswith(b'{"format":"localexa.snapshot","version":')
    assert b'"lwa_tokens":[' in received
    with pytest.raises(json.JSONDecodeError):
        json.loads(received)

    # One line, at warning, that says what happened; no traceback anywhere. A connection ended
    # also gives the engine's own line, once per outage whatever the request (db/outage.py).
    loud = [record for record in logged if record.levelno >= logging.WARNING]
    if how == "pg_terminate_backend":
        engine_lines = [record for record in loud if record.name == "localexa.db"]
        assert len(engine_lines) == 1, [record.getMessage() for record in loud]
        assert "was lost: ConnectionDoesNotExistError" in engine_lines[0].getMessage()
        loud.remove(engine_lines[0])
    assert len(loud) == 1, [record.getMessage() for record in loud]
    (line,) = loud
    assert (line.name, line.levelno, line.exc_info) == ("localexa.observe", logging.WARNING, None)
    message = line.getMessage()
    assert message.startswith("snapshot cut after 12 of 16 tables ("), message
    assert f" rows, {len(received)} bytes written) while reading {HELD}: {CAUSES[how]}" in message
    assert message.endswith("; the client got an incomplete answer, not valid JSON, which restore refuses")
    assert not any(record.exc_info for record in logged)
    assert not any("Traceback" in record.getMessage() for record in logged)

    # What it got does not restore, and restore says why in the admin API's own shape.
    refused = await client.post("/_localexa/restore", content=received, headers=ADMIN)
    assert refused.status_code == 400, refused.text
    assert refused.json() == {"message": "The body is not valid JSON."}


async def test_a_snapshot_cut_by_anything_else_is_one_error_with_its_traceback(
    app: FastAPI, admin: Admin, backend: str
) -> None:
    """Not the database's doing (here a value JSON cannot write, stored behind the app's back in
    a SQLite file): a bug to look at, so one line at error with the traceback, and only one."""
    if backend != "sqlite":
        pytest.skip("SQLite keeps a NaN in a JSON column; PostgreSQL's jsonb refuses it")
    await fill(app, admin)
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"UPDATE {HELD} SET state = 'NaN' WHERE endpoint_id = 'lamp-1-5'"))
    received = bytearray()
    async with serve_in_loop(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        with recording() as logged:
            async with http.stream("POST", "/_localexa/snapshot", headers=ADMIN) as answer:
                assert answer.status_code == 200
                cut = await _read_until_cut(answer, received)

    assert isinstance(cut, httpx.RemoteProtocolError), cut
    with pytest.raises(json.JSONDecodeError):
        json.loads(received)
    loud = [record for record in logged if record.levelno >= logging.WARNING]
    assert len(loud) == 1, [record.getMessage() for record in loud]
    (line,) = loud
    assert (line.name, line.levelno) == ("localexa.observe", logging.ERROR)
    assert line.getMessage().startswith("snapshot cut after 12 of 16 tables (")
    assert f"while reading {HELD}: ValueError;" in line.getMessage()
    assert line.exc_info
    assert isinstance(line.exc_info[1], ValueError)
