"""PostgreSQL cuts the journal writer's connection inside a batch's transaction (a restart, a
failover, an idle-kill): the batch is written once more on a new connection, not lost.

To land the cut inside the transaction, another connection holds the journal's cutoff table
locked; the writer's batch waits on that lock, its backend is terminated, and the lock released.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.observe.helpers import inbound_call, journal


async def _waiting_writer(conn: AsyncConnection) -> int:
    """The backend of the journal writer, once it waits on the held lock."""
    for _ in range(200):
        # pg_stat_activity is read once per transaction, and the lock's holder stays in its own.
        await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        found = (
            await conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        await asyncio.sleep(0.05)
    raise AssertionError("the journal writer never waited on the cutoff's lock")


async def test_a_batch_whose_connection_was_cut_is_written_on_a_new_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    engine = app.state.journal.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL test: SQLite has no connection to cut")
    holder_engine = create_async_engine(engine.url)
    try:
        async with holder_engine.connect() as holder:
            await holder.execute(text("LOCK TABLE journal_cutoff IN ACCESS EXCLUSIVE MODE"))
            app.state.journal.record(inbound_call("/v1/written-across-a-cut-connection"))
            writer = await _waiting_writer(holder)
            cut = await holder.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": writer})
            assert cut.scalar_one() is True
            await holder.rollback()  # releases the lock for the second attempt
    finally:
        await holder_engine.dispose()

    paths = [e["path"] for e in await journal(client)]
    assert paths.count("/v1/written-across-a-cut-connection") == 1
