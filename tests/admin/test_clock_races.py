"""Concurrent clock advances (as several processes' callers send them) all count, once each, and
the 1,000-year limit holds for their sum. On PostgreSQL the requests' transactions interleave; on
SQLite they queue on the writer lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from localexa.server.core.clock import MAX_OFFSET_SECONDS
from localexa.server.db.base import ClockState
from tests.factories import Admin

YEAR = 365 * 86400


async def _advance(client: httpx.AsyncClient, admin: Admin, seconds: float) -> int:
    answer = await client.post("/_localexa/clock", json={"advanceSeconds": seconds}, headers=admin.headers)
    return answer.status_code


async def _offset(app: FastAPI) -> float:
    async with app.state.engine.connect() as conn:
        return float((await conn.execute(select(ClockState.offset_seconds))).scalar_one())


async def test_first_advances_after_a_reset_all_count(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    assert (await client.post("/_localexa/reset", headers=admin.headers)).status_code == 200
    # No clock row exists now: every one of these may try to create it.
    statuses = await asyncio.gather(*(_advance(client, admin, 60) for _ in range(10)))
    assert statuses == [200] * 10
    assert await _offset(app) == 600


async def test_concurrent_advances_cannot_pass_the_limit_together(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    # One call moves at most 10 years: 99 of them and 5 more make 995.
    for _ in range(99):
        assert await _advance(client, admin, 10 * YEAR) == 200
    assert await _advance(client, admin, 5 * YEAR) == 200
    statuses = await asyncio.gather(*(_advance(client, admin, 3 * YEAR) for _ in range(10)))
    assert sorted(statuses) == [200] + [400] * 9
    assert await _offset(app) == 998 * YEAR <= MAX_OFFSET_SECONDS
    # The clock is still the moved one (an offset past the limit would be ignored as unusable,
    # putting the clock back at the wall clock's time).
    now = (await client.get("/_localexa/clock", headers=admin.headers)).json()["now"]
    assert int(now[:4]) >= 2900


async def test_each_concurrent_advance_answers_the_time_it_made(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """Ten advances of an hour at once answer ten different times, one to ten hours ahead: each
    the offset its own update set (read back after the commit, several answered the last one)."""
    started = datetime.now(UTC)
    answers = await asyncio.gather(
        *(
            client.post("/_localexa/clock", json={"advanceSeconds": 3600}, headers=admin.headers)
            for _ in range(10)
        )
    )
    assert [a.status_code for a in answers] == [200] * 10
    hours = sorted(
        round((datetime.fromisoformat(a.json()["now"]) - started).total_seconds() / 3600) for a in answers
    )
    assert hours == list(range(1, 11))
