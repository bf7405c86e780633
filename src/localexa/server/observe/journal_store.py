"""Where the journal is written: beside the state, never in its way.

SQLite has one writer at a time, and every transaction of localexa's SQLite engine takes the
write lock (db/engine.py); a journal batch in the state's file made the next request wait on
SQLite's busy handler (measured: median latency 2 ms → 15–25 ms). So on SQLite the journal lives
in its own file beside the database (`localexa.db` → `localexa-journal.db`), whose table this
module creates with the journal's cutoff. A file of an older localexa whose tables lack columns
that may be empty gets them added, entries kept; other changes make the table anew (the journal
is a bounded log, not state).
On PostgreSQL, rows of different tables do not block each other, so the journal shares the
database and its migrated `journal_entries` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Table, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateColumn

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
            if _add_missing_columns(connection, table, columns):
                continue
            table.drop(connection)
        table.create(connection)


def _add_missing_columns(connection: Connection, table: Table, columns: set[str]) -> bool:
    """Bring a journal file of an older localexa up to date in place, keeping its entries, when
    the newer table only adds columns that may be empty (what a newer release's journal
    typically does); False when it cannot (a column gone or renamed, or one that may not be
    empty): then the table is made anew and the old entries are lost, as a bounded log may."""
    missing = [c for c in table.columns if c.name not in columns]
    if not columns <= set(table.columns.keys()) or any(
        c.primary_key or (not c.nullable and c.server_default is None) for c in missing
    ):
        return False
    name = connection.dialect.identifier_preparer.format_table(table)
    for column in missing:
        spec = CreateColumn(column).compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE {name} ADD COLUMN {spec}"))
    added = {c.name for c in missing}
    for index in table.indexes:
        if any(c.name in added for c in index.columns):
            index.create(connection)
    return True


async def open_journal_engine(state_engine: AsyncEngine) -> AsyncEngine:
    """The engine the journal writes to (the state's own engine on PostgreSQL)."""
    path = journal_file(state_engine.url.render_as_string(hide_password=False))
    if path is None:
        return state_engine
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(_ensure_tables)
    return engine
