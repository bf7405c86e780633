"""A load of the fault rules begun before a create must not hide the new fault afterwards.

Each process caches the active rules for 0.5 s (observe/faults.py `FaultStore`). A load that
began before `POST /_localexa/faults` committed carries the rules without the new fault; when it
finished after the create's invalidation it was kept as fresh, and for up to 0.5 s that process
let calls through that the fault it had just created should have answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.observe import repository
from localexa.server.observe.faults import FaultStore
from localexa.server.observe.schemas import FaultIn


class _SlowRead:
    """A connection whose statements answer only once `gate` opens (`read` is set when the rows
    have been read from the database, before the gate)."""

    def __init__(self, conn: AsyncConnection, read: asyncio.Event, gate: asyncio.Event) -> None:
        self._conn = conn
        self._read = read
        self._gate = gate

    async def execution_options(self, **options: Any) -> AsyncConnection:
        return await self._conn.execution_options(**options)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._conn.execute(*args, **kwargs)
        self._read.set()
        await self._gate.wait()
        return result


class _SlowEngine:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.read = asyncio.Event()
        self.gate = asyncio.Event()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[_SlowRead]:
        async with self.engine.connect() as conn:
            yield _SlowRead(conn, self.read, self.gate)


async def test_a_load_begun_before_a_create_does_not_hide_the_new_fault(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    store = FaultStore(engine, refresh_interval=60)  # only invalidations make it load again
    assert await store.active() == []
    store.invalidate()
    slow = _SlowEngine(engine)
    store._engine = cast(AsyncEngine, slow)  # the next load reads, then waits at the gate
    stale = asyncio.create_task(store.active())
    await asyncio.wait_for(slow.read.wait(), 10)  # it holds the rules from before the create
    store._engine = engine
    fault = FaultIn.model_validate({"path": "/v1/skills/*", "status": 503})
    fault_id = await store.create(fault.model_dump(by_alias=False), now=datetime.now(UTC))
    slow.gate.set()
    assert await asyncio.wait_for(stale, 10) == []  # that call began before the fault existed
    assert [rule.id for rule in await store.active()] == [fault_id]
    # And a load that no create overtook is kept: deleting in the database alone goes unseen
    # until the next invalidation or refresh.
    async with engine.begin() as conn:
        await repository.delete_fault(conn, fault_id)
    assert [rule.id for rule in await store.active()] == [fault_id]
