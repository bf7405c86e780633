"""A clock read that began before an advance must not undo it when it ends after it.

Several coroutines of one process refresh the clock (each request's middlewares, the evaluation
worker every ~1 s, the directive runtime). A read that began before an advance committed carries
the old offset; when it finished after the advance's own forced re-read, it put the old offset
back, and for up to the refresh interval that process judged and issued tokens by the clock
before the advance: under CPU load a token issued right after `POST /_localexa/clock` expired a
week early on the other process (tests/scale/test_two_processes_caches.py, a 401 for a 404).
"""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core import clock as clock_module
from localexa.server.core.clock import Clock
from tests.slow_reads import SlowEngine


async def test_a_read_begun_before_an_advance_does_not_put_the_old_offset_back(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    clock = Clock()
    await clock.refresh(engine, force=True)
    before = clock.offset_seconds
    slow = SlowEngine(engine)
    stale = asyncio.create_task(clock.refresh(cast(AsyncEngine, slow), force=True))
    await asyncio.wait_for(slow.read.wait(), 10)  # it holds the offset before the advance
    await clock.advance(engine, 3600)
    assert clock.offset_seconds == before + 3600
    slow.gate.set()
    await asyncio.wait_for(stale, 10)
    assert clock.offset_seconds == before + 3600
    # Later reads still count: an advance through another process is read by the next refresh.
    await Clock().advance(engine, 60)
    await clock.refresh(engine, force=True)
    assert clock.offset_seconds == before + 3660


class _DownEngine:
    """An engine whose database is down: every connection attempt fails (and is counted)."""

    #: As a PostgreSQL engine's: a connection that cannot be made is refused at `connect()`.
    dialect = SimpleNamespace(driver="asyncpg", name="postgresql")

    def __init__(self) -> None:
        self.attempts = 0

    def connect(self) -> Any:
        self.attempts += 1
        raise ConnectionRefusedError("the database is down")


async def test_with_the_database_down_the_clock_is_tried_once_per_interval() -> None:
    """Each request refreshes the clock twice (ClockRefreshMiddleware, then the journal's refresh
    before it stamps) and concurrent requests each do: a failed read used to leave the throttle
    open, so every one of them went to the database again."""
    clock = Clock(refresh_interval=60)
    down = _DownEngine()
    for _ in range(5):
        with contextlib.suppress(ConnectionRefusedError):
            await clock.refresh(cast(AsyncEngine, down))
    assert down.attempts == 1
    # A forced refresh (an advance through this process) still goes to the database.
    with contextlib.suppress(ConnectionRefusedError):
        await clock.refresh(cast(AsyncEngine, down), force=True)
    assert down.attempts == 2


async def test_a_call_past_the_interval_waits_for_the_read_under_way(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call that came while another coroutine's read was in flight used to skip its refresh and
    judge (and journal) by the offset read before: under CI load a call 0.65 s after a reset
    through another process was stamped ten days ahead (test_two_processes_caches.py).

    The clock's throttle runs on a stopped monotonic clock: on the real one, with a 0.05 s
    interval, a 60 ms stall between the read's start and the call (a loaded machine) put the call
    past the throttle, so it read for itself, and it was done."""
    mono = [1000.0]
    monkeypatch.setattr(clock_module, "time", SimpleNamespace(monotonic=lambda: mono[0]))
    engine: AsyncEngine = app.state.engine
    clock = Clock(refresh_interval=0.05)
    await clock.refresh(engine, force=True)
    before = clock.offset_seconds
    await Clock().advance(engine, 3600)  # through another process
    mono[0] += 0.1  # past the interval: the next refresh is due
    slow = SlowEngine(engine)
    under_way = asyncio.create_task(clock.refresh(cast(AsyncEngine, slow)))  # the worker's, say
    await asyncio.wait_for(slow.read.wait(), 10)  # it has read the advanced offset
    call = asyncio.create_task(clock.refresh(engine))  # a request's, within the throttle
    await asyncio.sleep(0.05)
    assert not call.done()  # it waits for the read under way rather than use the old offset
    slow.gate.set()
    await asyncio.wait_for(call, 10)
    assert clock.offset_seconds == before + 3600
    await asyncio.wait_for(under_way, 10)


async def test_a_call_within_the_interval_of_the_last_read_does_not_wait(app: FastAPI) -> None:
    """The hot path: a forced read under way (an advance's) does not hold calls whose offset was
    read moments ago."""
    engine: AsyncEngine = app.state.engine
    clock = Clock(refresh_interval=60)
    await clock.refresh(engine, force=True)
    slow = SlowEngine(engine)
    forced = asyncio.create_task(clock.refresh(cast(AsyncEngine, slow), force=True))
    await asyncio.wait_for(slow.read.wait(), 10)
    await asyncio.wait_for(clock.refresh(engine), 1)  # returns at once
    assert not forced.done()
    slow.gate.set()
    await asyncio.wait_for(forced, 10)
