"""A journal entry's id is never given twice, on SQLite as on PostgreSQL (QA of 2026-12-06).

SQLite gave an `INTEGER PRIMARY KEY` the highest id in the table plus one: a reset emptied the
journal, ids began at 1 again, and a `nextCursor` from before the reset returned the new
entries (PostgreSQL's identity kept counting: the old cursor found nothing). The ids are
AUTOINCREMENT now: in the journal's own file (observe/journal_store.py, which rebuilds an older
file keeping its entries) and in the state's table (migration 0011).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from localexa.server.db.engine import create_engine
from localexa.server.observe.journal_store import open_journal_engine
from tests.core.upgrade_data import migrate_to
from tests.observe.helpers import ADMIN, journal

_ENTRY = (
    "INSERT INTO journal_entries (id, at, direction, method, path, latency_ms, request_headers,"
    " response_headers, request_id) VALUES (:id, '2026-12-01 10:00:00', 'inbound', 'GET',"
    " '/_localexa/clock', 1.5, '{}', '{}', :request)"
)


async def _page(client: httpx.AsyncClient, **params: str | int) -> dict[str, Any]:
    response = await client.get("/_localexa/journal", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_cursor_from_before_a_reset_finds_none_of_the_new_entries(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        await client.get("/_localexa/clock", headers=ADMIN)
    before = await _page(client, limit=2)
    old_ids = [e["id"] for e in before["entries"]]
    cursor = before["nextCursor"]
    assert cursor
    assert (await client.post("/_localexa/reset", headers=ADMIN)).status_code == 200
    for _ in range(3):
        await client.get("/_localexa/clock", headers=ADMIN)
    new_ids = [e["id"] for e in await journal(client)]
    assert len(new_ids) == 3
    assert min(new_ids) > max(old_ids)  # never an id given before the reset
    assert (await _page(client, cursor=cursor))["entries"] == []


async def test_an_older_journal_file_gets_autoincrement_and_keeps_its_entries(tmp_path: Path) -> None:
    state = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    await (await open_journal_engine(state)).dispose()  # today's file, then made as an older one was
    old = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state-journal.db'}")
    async with old.begin() as conn:
        made = (
            await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'journal_entries'"))
        ).scalar_one()
        assert "AUTOINCREMENT" in made
        await conn.execute(text("DROP TABLE journal_entries"))
        await conn.execute(text(made.replace(" AUTOINCREMENT", "")))
        await conn.execute(text("CREATE INDEX ix_journal_entries_at ON journal_entries (at)"))
        for entry_id in (3, 4):
            await conn.execute(text(_ENTRY), {"id": entry_id, "request": f"req-{entry_id}"})
    await old.dispose()
    engine = await open_journal_engine(state)
    async with engine.begin() as conn:
        made = (
            await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'journal_entries'"))
        ).scalar_one()
        assert "AUTOINCREMENT" in made
        rows = (await conn.execute(text("SELECT id, request_id FROM journal_entries ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(3, "req-3"), (4, "req-4")]
        indexes = {r[1] for r in (await conn.execute(text("PRAGMA index_list(journal_entries)"))).all()}
        assert {"ix_journal_entries_at", "ix_journal_entries_skill"} <= indexes
        await conn.execute(text("DELETE FROM journal_entries"))  # as a reset does
        await conn.execute(
            text(
                "INSERT INTO journal_entries (at, direction, method, path, latency_ms, request_headers,"
                " response_headers) VALUES ('2026-12-02 10:00:00', 'inbound', 'GET', '/x', 1.0, '{}', '{}')"
            )
        )
        assert (await conn.execute(text("SELECT id FROM journal_entries"))).scalar_one() == 5
    await engine.dispose()
    engine = await open_journal_engine(state)  # a second start finds it done and changes nothing
    await engine.dispose()
    await state.dispose()


async def test_migration_0011_keeps_the_state_files_entries_and_never_reuses_an_id(tmp_path: Path) -> None:
    """The state's own journal table (the journal of an in-memory SQLite database) is rebuilt by
    the migration, entries kept."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    await migrate_to(url, "0010_after_link_leases")
    engine = create_engine(url)
    async with engine.begin() as conn:
        for entry_id in (7, 8):
            await conn.execute(text(_ENTRY), {"id": entry_id, "request": f"req-{entry_id}"})
    await engine.dispose()
    await migrate_to(url, "head")
    engine = create_engine(url)
    async with engine.begin() as conn:
        rows = (await conn.execute(text("SELECT id, request_id FROM journal_entries ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(7, "req-7"), (8, "req-8")]
        indexes = {r[1] for r in (await conn.execute(text("PRAGMA index_list(journal_entries)"))).all()}
        assert indexes == {f"ix_journal_entries_{c}" for c in ("at", "customer", "request_id", "skill")}
        await conn.execute(text("DELETE FROM journal_entries"))
        await conn.execute(text(_ENTRY), {"id": None, "request": "req-new"})
        assert (await conn.execute(text("SELECT id FROM journal_entries"))).scalar_one() == 9
    await engine.dispose()
