"""The request's database session (db/session.py): it commits, rolls back and closes inside the
request's own task, and a request cancelled mid-write still rolls back and returns its connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.db.base import ClockState
from localexa.server.db.session import SessionDep
from tests.factories import Admin


def checked_out(engine: AsyncEngine) -> int:
    pool: Any = engine.sync_engine.pool
    return int(pool.checkedout())


async def checked_out_once_settled(engine: AsyncEngine, within: float = 2.0) -> int:
    """The pool's checked-out count once it reaches 0, or after `within` seconds. The app's
    background work (the journal's batches, the clock's refresh, workers) borrows connections for
    a moment too, so a count of 1 right after a request can be theirs (seen on PostgreSQL); a
    connection the request itself leaked stays out."""
    for _ in range(int(within / 0.02)):
        if not checked_out(engine):
            break
        await asyncio.sleep(0.02)
    return checked_out(engine)


class TaskCounter:
    """Counts the tasks the installing task creates while installed. httpx's ASGITransport runs
    the app in the caller's task, so these are the requests' own; the app's background work (the
    journal's batches, the clock's refresh: SQLAlchemy closes each of their connections in a task
    of its own) runs in other tasks and is not counted (it was, once, under a loaded machine)."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def __enter__(self) -> TaskCounter:
        loop = asyncio.get_running_loop()
        self._previous = loop.get_task_factory()
        owner = asyncio.current_task()

        def factory(
            loop: asyncio.AbstractEventLoop,
            coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any],
            **kw: Any,
        ) -> asyncio.Task[Any]:
            if asyncio.current_task(loop) is owner:
                self.created.append(getattr(coro, "__qualname__", repr(coro)))
            # Python 3.12+ types Task's coroutine as a Coroutine only (no generator-based ones).
            return asyncio.Task(cast(Coroutine[Any, Any, Any], coro), loop=loop, **kw)

        loop.set_task_factory(factory)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.get_running_loop().set_task_factory(self._previous)


async def test_a_request_ends_its_session_without_a_task_of_its_own(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """AsyncSession's `async with` closes in a new task (a trip round the loop per request);
    the session dependency closes in the request's task, as FastAPI shields that exit anyway."""
    customer = await admin.customer()
    seen: list[list[str]] = []
    # Three tries: a request that makes a task makes it every time, while the app's background
    # work (a poll closing its connection) may start one in the same window now and then (seen
    # once in CI on PostgreSQL: `AsyncConnection.close`).
    for attempt in range(3):
        with TaskCounter() as tasks:
            got = await client.get(f"/_localexa/customers/{customer.user_id}", headers=admin.headers)
            made = await client.post(
                "/_localexa/customers",
                json={
                    "name": "Bo",
                    "email": f"bo{attempt}@example.com",
                    "password": "pw-pw-pw-pw",
                    "region": "NA",
                },
                headers=admin.headers,
            )
            missing = await client.get("/_localexa/customers/amzn1.account.NOPE", headers=admin.headers)
        assert (got.status_code, made.status_code, missing.status_code) == (200, 201, 404)
        seen.append(list(tasks.created))
        if not tasks.created:
            break
    assert seen[-1] == [], seen
    assert await checked_out_once_settled(app.state.engine) == 0


async def test_a_request_cancelled_mid_write_rolls_back_and_returns_its_connection(app: FastAPI) -> None:
    """Uses the app's real engine and session factory, behind a route that writes, then waits."""
    written = asyncio.Event()
    probe = FastAPI()
    probe.state.sessions = app.state.sessions

    @probe.post("/write-then-wait")
    async def write_then_wait(session: SessionDep) -> None:
        session.add(ClockState(id=7, offset_seconds=12345.0))  # the clock's own row is id 1
        await session.flush()
        written.set()
        await asyncio.Event().wait()  # until cancelled

    engine: AsyncEngine = app.state.engine
    transport = httpx.ASGITransport(app=probe)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
        request = asyncio.create_task(http.post("/write-then-wait"))
        await asyncio.wait_for(written.wait(), 10)
        assert checked_out(engine) >= 1  # the request's (background work may hold another)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
    assert await checked_out_once_settled(engine) == 0
    async with engine.connect() as conn:
        kept = (await conn.execute(select(func.count()).where(ClockState.id == 7))).scalar_one()
    assert kept == 0
