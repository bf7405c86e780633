"""A reset gives the SQLite file's emptied pages back (soak review F6): a new file is made with
`auto_vacuum=INCREMENTAL` (db/engine.py) and a reset frees its pages and checkpoints, so the file
is back to an empty state's size at once. Before, it kept its high-water size for ever (tens of MB
beside an empty state after a soak). A file made before keeps its mode, and its size."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from localexa.server.app import create_app
from localexa.server.db.engine import checkpoint
from localexa.server.lwa.models import Token
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

#: ~0.8 KB of SQLite a token: ~3 MB in all.
TOKENS = 4000


def database_file(settings: Settings) -> Path:
    return Path(str(settings.database_url).split("///", 1)[1])


def sizes(path: Path) -> tuple[int, int]:
    """The file's size and its `-wal`'s."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


async def grow(app: FastAPI, admin: Admin) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    now = datetime.now(UTC)
    rows = [
        {
            "token_hash": f"{i:064d}",
            "kind": "refresh",
            "client_id": client_id,
            "user_id": customer.user_id,
            "scopes": "profile postal_code " * 20,
            "grant_id": f"{i:064d}",
            "issued_at": now,
            "expires_at": None,
            "revoked": False,
            "public_client": False,
        }
        for i in range(TOKENS)
    ]
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(Token), rows)


async def auto_vacuum(app: FastAPI) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar() or 0)


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's file")


async def test_a_reset_shrinks_a_new_file_back_at_once(
    sqlite_only: None, app: FastAPI, admin: Admin, client: httpx.AsyncClient, settings: Settings
) -> None:
    path = database_file(settings)
    assert await auto_vacuum(app) == 2  # INCREMENTAL
    await checkpoint(app.state.engine)
    empty, _ = sizes(path)  # the schema's pages: ~280 KB
    await grow(app, admin)
    grown = sizes(path)
    assert grown[0] + grown[1] > 2_000_000, grown
    reset = await client.post("/_localexa/reset", headers=admin.headers)
    assert reset.status_code == 200, reset.text
    file_size, wal_size = sizes(path)
    assert file_size <= empty + 64 * 1024, (file_size, empty)
    assert wal_size == 0  # the checkpoint emptied the log too
    async with app.state.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA freelist_count")).scalar() == 0


async def test_a_file_made_before_keeps_its_mode_and_size(
    sqlite_only: None, settings: Settings, tmp_path: Path
) -> None:
    """A file from before 2026-12-07 (`auto_vacuum` none) cannot change its mode without a
    VACUUM, which localexa never runs: its free pages are reused by later rows, as before."""
    path = database_file(settings)
    with sqlite3.connect(path) as made_before:  # WAL first: the header is written, mode none
        made_before.execute("PRAGMA journal_mode=WAL")
    made_before.close()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            admin = Admin(client, ADMIN_KEY)
            assert await auto_vacuum(app) == 0
            await grow(app, admin)
            await checkpoint(app.state.engine)
            grown, _ = sizes(path)
            assert grown > 2_000_000, grown
            assert (await client.post("/_localexa/reset", headers=admin.headers)).status_code == 200
            await checkpoint(app.state.engine)
            assert sizes(path)[0] == grown
            assert await auto_vacuum(app) == 0
