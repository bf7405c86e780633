"""A follow-up's outcome whose row goes between its read and its update (the customer or skill
deleted through the admin API, which cascades the row) is dropped quietly: it was a failed
follow-up logged at ERROR with a traceback (StaleDataError; seen on PostgreSQL, 2026-12-07).
Its lease renewal, which then finds no row, stops it with an info line: it warned that the
follow-up lost its lease (admindelete F3).

The delete lands exactly there: the status read is wrapped to delete the skill through another
connection, committed, before the update. PostgreSQL only: on SQLite the follow-up's transaction
holds the file's write lock, so no delete can come between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from localexa.server.core.clock import as_utc
from localexa.server.directives import after_link
from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.directives.slow_skill import SlowSkill, slow_skill_served
from tests.factories import Admin
from tests.observe.helpers import ADMIN


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


@pytest.fixture
async def slow_skill() -> AsyncIterator[tuple[SlowSkill, str]]:
    async with slow_skill_served(1.0) as served:
        yield served


@pytest.mark.parametrize("deleted", ["skill", "customer"])
async def test_a_follow_up_whose_customer_or_skill_is_deleted_stops_without_a_lease_warning(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
    caplog: pytest.LogCaptureFixture,
    deleted: str,
) -> None:
    """The lease renewal of a follow-up whose row went with its customer or skill (the admin
    API's DELETE cascades it) found no lease and warned that the follow-up "lost its lease"
    (another process running it, or a relink), which was neither (admindelete F3).

    The renewal runs here right after the delete, while Discover waits for the skill: the
    keeper's own renewal (every third of a lease) may come first, and must not warn either."""
    skill, endpoint = slow_skill
    skill.release = asyncio.Event()
    made = await admin.skill(
        endpoint=endpoint,
        permissions=[ASYNC_EVENTS],
        account_linking=mylights.account_linking(),
    )
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    runner: AfterLinkRunner = app.state.after_link_runner
    caplog.set_level(logging.INFO, logger="localexa.directives")
    try:
        async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
            await post_link(http, token, made.skill_id, mylights)
            await asyncio.wait_for(skill.discover_arrived.wait(), 10)
            target = made.skill_id if deleted == "skill" else customer.user_id
            gone = await http.delete(f"/_localexa/{deleted}s/{target}", headers=ADMIN)
            assert gone.status_code == 204, gone.text
        await runner._renew()
        task = runner._tasks.get((customer.user_id, made.skill_id))
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
    finally:
        skill.release.set()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], caplog.text
    assert any(
        f"after-link follow-up for skill {made.skill_id} stopped: its data was deleted" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.INFO
    ), caplog.text
