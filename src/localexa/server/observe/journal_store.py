"""Where the journal is written: beside the state, never in its way.

SQLite has one writer at a time, and every transaction of localexa's SQLite engine takes the
write lock (db/engine.py); a journal batch in the state's file made the next request wait on
SQLite's busy handler (measured: median latency 2 ms → 15–25 ms). So on SQLite the journal lives
in its own file beside the database (`localexa.db` → `localexa-journal.db`), whose table this
module creates with the journal's cutoff. A file of an older localexa whose tables lack columns
that may be empty gets them added, entries kept, and one whose ids are not AUTOINCREMENT is
rebuilt, entries kept; other changes make the table anew (the journal is a bounded log, not
state).
On PostgreSQL, rows of different tables do not block each other, so the journal shares the
database and its migrated `journal_entries` table.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, MetaData, Table, insert, inspect, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
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


@functools.cache
def _entries_table() -> Table:
    """The journal's table as its file holds it: ids AUTOINCREMENT. SQLite gives an `INTEGER
    PRIMARY KEY` the highest id in the table plus one, so after a reset emptied it ids began at
    1 again, and a cursor from before the reset paged through the new entries (QA of
    2026-12-06); AUTOINCREMENT never gives an id twice, as PostgreSQL's identity. A copy, not the
    model: a `sqlite_` option on the model loads the SQLite dialect in PostgreSQL's processes."""
    model = cast(Table, JournalEntry.__table__)
    table = model.to_metadata(MetaData(naming_convention=model.metadata.naming_convention))
    table.dialect_kwargs["sqlite_autoincrement"] = True
    return table


def _ensure_tables(connection: Connection) -> None:
    existing = inspect(connection)
    for table in (_entries_table(), cast(Table, JournalCutoff.__table__)):
        if existing.has_table(table.name):
            columns = {c["name"] for c in existing.get_columns(table.name)}
            if columns == set(table.columns.keys()) or _add_missing_columns(connection, table, columns):
                if _lacks_autoincrement(connection, table):
                    _rebuild_keeping_rows(connection, table)
                continue
            table.drop(connection)
        table.create(connection)


def _lacks_autoincrement(connection: Connection, table: Table) -> bool:
    """Whether the file's table was made before its ids were AUTOINCREMENT (models.JournalEntry:
    without it a reset's empty table gave ids from 1 again, and an old cursor paged through the
    new entries)."""
    if table is not _entries_table():
        return False
    made = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table.name}
    ).scalar()
    return made is not None and "AUTOINCREMENT" not in str(made).upper()


def _rebuild_keeping_rows(connection: Connection, table: Table) -> None:
    """Make the table anew as the model says and copy every row into it, ids kept (SQLite cannot
    add AUTOINCREMENT to a table; its sequence then starts past the highest id copied). Inside
    the caller's transaction, which holds the file's write lock: a process starting at once
    waits, then finds the new table."""
    quote = connection.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    old = sql_table(f"{table.name}_before_rebuild", *(sql_column(n) for n in names))
    connection.execute(text(f"ALTER TABLE {quote(table.name)} RENAME TO {quote(old.name)}"))
    for index in table.indexes:  # the renamed table keeps its indexes, names and all
        connection.execute(text(f"DROP INDEX IF EXISTS {quote(str(index.name))}"))
    table.create(connection)
    connection.execute(insert(table).from_select(names, select(*old.columns)))
    connection.execute(text(f"DROP TABLE {quote(old.name)}"))


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
