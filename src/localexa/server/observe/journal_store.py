"""Where the journal is written: beside the state, never in its way.

SQLite has one writer at a time, and every transaction of localexa's SQLite engine takes the
write lock (db/engine.py); a journal batch in the state's file made the next request wait on
SQLite's busy handler (measured: median latency 2 ms → 15–25 ms). So on SQLite the journal lives
in its own file beside the database (`localexa.db` → `localexa-journal.db`), whose table this
module creates with the journal's cutoff (and recreates when their columns change: the journal is
a bounded log, not state).
On PostgreSQL, rows of different tables do not block each other, so the journal shares the
database and its migrated `journal_entries` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.db.engine import create_engine
from localexa.server.observe.models import JournalCutoff, JournalEntry


def journal_file(database_url: str) -> Path | None:
    """The journal's own SQLite file, or None when the state is not in a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    state = Path(url.database)
    return state.with_name(f"{state.stem}-journal{state.suffix or '.db'}")


def _ensure_tables(connection: Connection) -> None:
    existing = inspect(connection)
    for model in (JournalEntry, JournalCutoff):
        table = cast(Table, model.__table__)
        if existing.has_table(table.name):
            columns = {c["name"] for c in existing.get_columns(table.name)}
            if columns == set(table.columns.keys()):
                continue
            table.drop(connection)
        table.create(connection)


async def open_journal_engine(state_engine: AsyncEngine) -> AsyncEngine:
    """The engine the journal writes to (the state's own engine on PostgreSQL)."""
    path = journal_file(state_engine.url.render_as_string(hide_password=False))
    if path is None:
        return state_engine
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(_ensure_tables)
    return engine
