"""A follow-up's outcome whose row goes between its read and its update (the customer or skill
deleted through the admin API, which cascades the row) is dropped quietly: it was a failed
follow-up logged at ERROR with a traceback (StaleDataError; seen on PostgreSQL, 2026-12-07).

The delete lands exactly there: the status read is wrapped to delete the skill through another
connection, committed, before the update. PostgreSQL only: on SQLite the follow-up's transaction
holds the file's write lock, so no delete can come between.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from localexa.server.core.clock import as_utc
from localexa.server.directives import after_link
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from tests.factories import Admin


async def test_an_outcome_whose_row_was_deleted_meanwhile_is_dropped_quietly(
    app: FastAPI, admin: Admin, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock keeps the delete out until the follow-up commits")
    customer = await admin.customer()
    skill = await admin.skill()
    async with app.state.sessions() as session:
        now = as_utc(app.state.clock.now())
        session.add(
            AfterLinkStatus(
                customer_id=customer.user_id,
                skill_id=skill.skill_id,
                discovery_status="PENDING",
                accept_grant_status="NOT_REQUIRED",
                updated_at=now,
            )
        )
        await session.commit()

    read = DirectiveRepository.status
    other = create_async_engine(engine.url)

    async def read_then_deleted(self: DirectiveRepository, customer_id: str, skill_id: str) -> Any:
        row = await read(self, customer_id, skill_id)
        async with other.begin() as conn:  # the admin API's delete, committed meanwhile
            await conn.execute(text("DELETE FROM skills WHERE id = :id"), {"id": skill_id})
        return row

    monkeypatch.setattr(DirectiveRepository, "status", read_then_deleted)
    caplog.set_level(logging.INFO, logger="localexa.directives")
    try:
        await after_link._save(
            Runtime.of(app.state), customer.user_id, skill.skill_id, discovery_status="SENT"
        )
    finally:
        await other.dispose()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], caplog.text
    assert any("its customer or skill was deleted" in r.getMessage() for r in caplog.records)
