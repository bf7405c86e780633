"""A query cancelled mid-flight on PostgreSQL (a follow-up stopped by a reset or superseded
link) invalidates its asyncpg connection; the rollback after it raised PendingRollbackError from
the token cache's rollback listener (it read `conn.info` of the invalid connection), so the stop
was logged as a failure with a traceback (QA under load, 2026-12-05)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI
from sqlalchemy import text


async def _cancel_a_query_then_go_on(app: FastAPI) -> None:
    async with app.state.sessions() as session:
        slow = asyncio.create_task(session.execute(text("SELECT pg_sleep(5)")))
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        await session.rollback()  # raised PendingRollbackError
    async with app.state.sessions() as session:  # the pool goes on
        assert (await session.execute(text("SELECT 1"))).scalar() == 1


async def test_a_rollback_after_a_cancelled_query_is_quiet(app: FastAPI, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("asyncpg's cancelled query")
    await _cancel_a_query_then_go_on(app)


async def test_a_cancelled_query_is_not_logged_as_a_lost_connection(
    app: FastAPI, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A cancellation is no outage: the relink that supersedes a follow-up, a reset, a test case's
    # time limit. SQLAlchemy drops the connection (its state is unknown), but each was logged as
    # "a connection to the database ... was lost: CancelledError", dozens under a relink storm,
    # and a real loss after them went into the throttle's count (review of hang-ups, 2026-12-07).
    if backend != "postgresql":
        pytest.skip("asyncpg's cancelled query")
    caplog.set_level(logging.WARNING, logger="localexa.db")
    await _cancel_a_query_then_go_on(app)
    assert [r.getMessage() for r in caplog.records if "was lost" in r.getMessage()] == []
