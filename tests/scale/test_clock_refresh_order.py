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
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

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
