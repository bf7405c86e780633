"""A reset gives the journal's own SQLite file (`localexa-journal.db`) its emptied pages back, as
it does the state's (test_reset_shrinks_sqlite.py): a new journal file is made with
`auto_vacuum=INCREMENTAL` (db/engine.py) and the reset's delete frees its pages and checkpoints.
Before, the journal's file kept its peak size beside an empty journal."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.app import create_app
from localexa.server.db.engine import checkpoint
from localexa.server.observe.journal_store import journal_file
from localexa.server.observe.models import JournalEntry
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

#: ~0.75 KB of SQLite an entry: ~3 MB in all.
ENTRIES = 4000


def sizes(path: Path) -> tuple[int, int]:
    """The file's size and its `-wal`'s."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


async def grow(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "at": now,
            "direction": "inbound",
            "method": "GET",
            "path": f"/v1/bench/{i}",
            "latency_ms": 1.0,
            "request_headers": {},
            "response_headers": {},
            "response_body": "x" * 600,
        }
        for i in range(ENTRIES)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(JournalEntry), rows)


async def auto_vacuum(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar() or 0)


def journal_path(settings: Settings) -> Path:
    path = journal_file(str(settings.database_url))
    assert path is not None
    return path


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the journal's own SQLite file")


async def test_a_reset_shrinks_a_new_journal_file_back_at_once(
    sqlite_only: None, app: FastAPI, admin: Admin, client: httpx.AsyncClient, settings: Settings
) -> None:
    engine: AsyncEngine = app.state.journal.engine
    path = journal_path(settings)
    assert await auto_vacuum(engine) == 2  # INCREMENTAL
    await checkpoint(engine)
    empty, _ = sizes(path)
    await grow(engine)
    grown = sizes(path)
    assert grown[0] + grown[1] > 2_000_000, grown
    reset = await client.post("/_localexa/reset", headers=admin.headers)
    assert reset.status_code == 200, reset.text
    file_size, wal_size = sizes(path)
    assert file_size <= empty + 64 * 1024, (file_size, empty)
    assert wal_size == 0  # the checkpoint emptied the log too
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA freelist_count")).scalar() == 0


async def test_a_journal_file_made_before_keeps_its_mode_and_size(
    sqlite_only: None, settings: Settings
) -> None:
    """A journal file from before 2026-12-07 (`auto_vacuum` none) keeps its mode: its free pages
    are reused by later entries, as before."""
    path = journal_path(settings)
    with sqlite3.connect(path) as made_before:  # WAL first: the header is written, mode none
        made_before.execute("PRAGMA journal_mode=WAL")
    made_before.close()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        engine: AsyncEngine = app.state.journal.engine
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            assert await auto_vacuum(engine) == 0
            await grow(engine)
            await checkpoint(engine)
            grown, _ = sizes(path)
            assert grown > 2_000_000, grown
            headers = Admin(client, ADMIN_KEY).headers
            assert (await client.post("/_localexa/reset", headers=headers)).status_code == 200
            await checkpoint(engine)
            assert sizes(path)[0] == grown
            assert await auto_vacuum(engine) == 0
