"""Concurrent requests do not pile up SQLite connections (db/engine.py `read_only_connection`).

The faults' and the clock's re-reads (at most every 0.5 s) used `async with engine.connect()`,
whose exit closes the connection in a task of its own: a trip round the loop with the connection
still checked out, during which every other request that found the cache stale checked out one
more. Under 16 concurrent GETs SQLite's pool (5 kept) opened and closed up to 12 more connections
every half second (bench.memory: 103.6 MB resident after 100,000 GETs, 100.6 MB without them).
On SQLite's inline driver nothing of such a read waits, so a GET needs one connection at a time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.factories import Admin

SMAPI_SCOPE = "alexa::ask:skills:readwrite"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sixteen_concurrent_gets_hold_at_most_two_connections_at_once(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, [SMAPI_SCOPE])
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/v1/skills/{skill.skill_id}/stages/development/enablement"
    assert (await client.put(path, headers=headers)).status_code == 204

    pool = app.state.engine.sync_engine.pool
    held = {"now": 0, "most": 0}

    def on_checkout(*_: Any) -> None:
        held["now"] += 1
        held["most"] = max(held["most"], held["now"])

    def on_checkin(*_: Any) -> None:
        held["now"] -= 1

    event.listen(pool, "checkout", on_checkout)
    event.listen(pool, "checkin", on_checkin)
    try:
        for _ in range(3):
            # Both throttled caches stale, as every 0.5 s under load: each GET re-reads them.
            await asyncio.sleep(0.6)
            app.state.faults.invalidate()
            answers = await asyncio.gather(*(client.get(path, headers=headers) for _ in range(16)))
            assert [a.status_code for a in answers] == [204] * 16
    finally:
        event.remove(pool, "checkout", on_checkout)
        event.remove(pool, "checkin", on_checkin)
    # One for the request's own session, one for a re-read within it; never one per request.
    assert held["most"] <= 2, held
    assert pool.overflow() <= 0, pool.status()
