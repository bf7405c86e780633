"""A SQLite file whose disk is full: each write answers 503 in the API's shape with `Retry-After`,
the log says so once (naming the file) and once when a write commits again (db/outage.py).

QA of 2026-12-06: "database or disk is full" was a 500 "An internal error occurred" with a
traceback per write. The disk is made full here by `PRAGMA max_page_count` (the file may not grow
past the pages it has), which SQLite refuses with the same SQLITE_FULL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.factories import Admin

FULL = (
    "The database is full (its disk has no room left), so nothing can be stored now. Retry the request later."
)


def _warned(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    """Warnings and worse of loggers under `prefix` (another test may have left a logger of it
    at info: the access log's lines are not what is counted)."""
    return [r for r in caplog.records if r.name.startswith(prefix) and r.levelno >= logging.WARNING]


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the full disk is SQLite's: PostgreSQL has its own server to report it


class FullDisk:
    """Every new connection of the state's engine may not grow the file; `room()` lifts it."""

    def __init__(self, app: FastAPI) -> None:
        self._engine = app.state.engine.sync_engine
        self._async_engine = app.state.engine
        self.on = False

    def _no_growth(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    async def fill(self) -> None:
        event.listen(self._engine, "connect", self._no_growth)
        self.on = True
        await self._async_engine.dispose()  # every connection anew, with the limit

    async def room(self) -> None:
        if self.on:
            event.remove(self._engine, "connect", self._no_growth)
            self.on = False
            await self._async_engine.dispose()


@pytest.fixture
async def disk(app: FastAPI) -> AsyncIterator[FullDisk]:
    full = FullDisk(app)
    yield full
    await full.room()


async def test_writes_on_a_full_disk_answer_503_and_are_logged_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    disk: FullDisk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await admin.customer()
    await disk.fill()
    body = {"name": "Ada", "password": "correct horse", "region": "NA"}
    refused: list[httpx.Response] = []
    with caplog.at_level(logging.WARNING, logger="localexa"):
        for number in range(300):  # until a write needs a page the file may not add
            created = await client.post(
                "/_localexa/customers",
                json={**body, "email": f"full-{number}-{'x' * 200}@example.com"},
                headers=admin.headers,
            )
            if created.status_code != 201:
                refused.append(created)
            if len(refused) == 3:
                break
        # Reads go on: a GET's commit is no sign that writes work again.
        listed = await client.get("/_localexa/customers", headers=admin.headers)
        ready = await client.get("/_localexa/ready")
        during = _warned(caplog, "localexa")
        caplog.clear()
        await disk.room()
        again = await client.post(
            "/_localexa/customers", json={**body, "email": "room-again@example.com"}, headers=admin.headers
        )
        after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    assert len(refused) == 3, "no write was refused"
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.json() == {"message": FULL}
        assert response.headers["Retry-After"] == "1"
    assert listed.status_code == 200
    assert ready.status_code == 200  # reads work: /ready does not take the process out (README)
    assert not [r for r in during if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    database = app.state.settings.resolved_database_url().split("///", 1)[1]
    messages = [r.getMessage() for r in during]
    assert messages == [f"the database at {database} is full: its disk has no room left"], messages
    assert again.status_code == 201, again.text
    assert after == [
        f"writing to the database at {database} works again after 3 failed calls (2 of them not logged)"
    ], after


async def test_a_full_disk_is_not_said_to_work_again_by_writes_that_store_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    disk: FullDisk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ops37 F3 (2026-12-07): while the disk stayed full, "works again" was logged about once a
    second beside "is full": any commit of a transaction holding the write lock counted, and the
    background tasks (the evaluation worker's claim poll) commit such transactions that change
    nothing. Only a commit that stored a row says writes work again."""
    await admin.customer()
    await disk.fill()
    body = {"name": "Ada", "password": "correct horse", "region": "NA"}
    refused = 0
    with caplog.at_level(logging.WARNING, logger="localexa"):
        for number in range(300):
            created = await client.post(
                "/_localexa/customers",
                json={**body, "email": f"flap-{number}-{'x' * 200}@example.com"},
                headers=admin.headers,
            )
            if created.status_code != 201:
                assert created.status_code == 503, created.text
                refused += 1
                # A write transaction that stores nothing commits on a full disk too.
                async with app.state.engine.begin():
                    pass
            if refused == 3:
                break
        await asyncio.sleep(2.5)  # the background tasks' transactions while the disk stays full
        during = [r.getMessage() for r in _warned(caplog, "localexa.db")]
        caplog.clear()
        await disk.room()
        again = await client.post(
            "/_localexa/customers", json={**body, "email": "flap-again@example.com"}, headers=admin.headers
        )
        async with app.state.engine.begin():
            pass
        after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    assert refused == 3, "no write was refused"
    database = app.state.settings.resolved_database_url().split("///", 1)[1]
    assert during == [f"the database at {database} is full: its disk has no room left"], during
    assert again.status_code == 201, again.text
    assert after == [
        f"writing to the database at {database} works again after 3 failed calls (2 of them not logged)"
    ], after
