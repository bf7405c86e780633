"""A load of the fault rules begun before a create must not hide the new fault afterwards.

Each process caches the active rules for 0.5 s (observe/faults.py `FaultStore`). A load that
began before `POST /_localexa/faults` committed carries the rules without the new fault; when it
finished after the create's invalidation it was kept as fresh, and for up to 0.5 s that process
let calls through that the fault it had just created should have answered.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.observe import repository
from localexa.server.observe.faults import FaultStore
from localexa.server.observe.schemas import FaultIn
from tests.slow_reads import SlowEngine


async def test_a_load_begun_before_a_create_does_not_hide_the_new_fault(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    store = FaultStore(engine, refresh_interval=60)  # only invalidations make it load again
    assert await store.active() == []
    store.invalidate()
    slow = SlowEngine(engine)
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
