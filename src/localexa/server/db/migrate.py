"""Alembic migrations, applied at start by every server process.

On PostgreSQL an advisory lock makes concurrent starts take turns; on SQLite the write lock
does the same. The migration scripts live in `migrations/versions`.

On SQLite the scripts run with foreign keys off, and their foreign keys are checked before the
commit (SQLite's own procedure for schema changes, https://www.sqlite.org/lang_altertable.html):
Alembic rebuilds a table to alter it there (batch mode, which migrations/env.py renders for
every SQLite change), and dropping the old table with foreign keys on deletes, through their
ON DELETE CASCADE, every row that refers to it: a customer's tokens, enablements, networks.

A database already at the newest revision (every start but the first) is recognised with one
query, without loading alembic at all: importing alembic and its scripts is a good part of a
cold start, and a restart should be quick. A new database (SQLite or PostgreSQL) is created from
the snapshot of what the scripts build (schema_snapshot.py), for the same reason.

The start's refusals (`check`: another secret key, the demo's) run in the migration's own
transaction, after it: a refusal rolls the migration back, and the database stays at its own
revision, which the older localexa the user goes back to still opens (since 2026-12-06; before,
a refused start had already migrated it). Both databases undo schema changes with the
transaction: PostgreSQL's DDL is transactional, and on SQLite the transaction is the engine's
`BEGIN IMMEDIATE` (db/engine.py), which Alembic joins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_ADVISORY_LOCK_ID = 0x10CA1E8A
_REVISION = re.compile(r"^revision(?:\s*:\s*[\w\[\]| ]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:\s*[\w\[\]| ]+)?\s*=\s*(.+)$", re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _lock(connection: Connection) -> None:
    """Concurrent starts on one PostgreSQL database take turns (released with the transaction;
    taking it again in the same transaction is harmless)."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})


def _upgrade(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        _lock(connection)
    command.upgrade(alembic_config(connection), "head")


@cache
def known_revisions() -> frozenset[str]:
    """Every revision the scripts in `versions/` define (read as text, as `head_revision`)."""
    found: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        revision = _REVISION.search(script.read_text(encoding="utf-8"))
        if revision is not None:
            found.add(revision.group(1))
    return frozenset(found)


@cache
def head_revision() -> str | None:
    """The one head of the scripts in `versions/`, read as text (None if it is not clear-cut:
    then alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        down = _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for a new database)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:  # no alembic_version table yet
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _enforce_foreign_keys(connection: Connection, enforced: bool) -> None:
    """SQLite's foreign keys on or off for this connection. SQLite ignores the pragma inside a
    transaction, so it goes to the driver's connection, which begins none."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left rows pointing at nothing (foreign keys were off)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise RuntimeError(
            f"the migration left rows whose foreign keys point at nothing (in {tables}); nothing was changed"
        )


class NewerDatabase(RuntimeError):
    """The database is at a revision this localexa does not know: a newer one wrote it."""


#: A refusal to start, run on the migrated schema before the migration commits (module docstring).
StartCheck = Callable[[AsyncConnection], Awaitable[None]]


async def upgrade_to_head(engine: AsyncEngine, check: StartCheck | None = None) -> None:
    head = head_revision()
    current = await current_revision(engine)
    if head is not None and current == head:
        if check is not None:  # nothing to migrate: the check has a transaction to itself (it
            async with engine.begin() as conn:  # may write: lwa/key_check.py)
                await check(conn)
        return
    if current is not None and current not in known_revisions():
        # Alembic said only "Can't locate revision identified by '0008_…'" (packaging QA).
        raise NewerDatabase(
            f"the database is at revision {current}, which this localexa ({_version()}) does not "
            "know: a newer localexa wrote it; upgrade localexa (pip install -U), or start this "
            "one on another data dir or database"
        )
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        if sqlite:
            await conn.run_sync(_enforce_foreign_keys, False)  # before BEGIN (module docstring)
        try:
            async with conn.begin():
                if engine.dialect.name == "postgresql":
                    await conn.run_sync(_lock)  # before looking: another process may be creating it
                if head is not None:
                    from localexa.server.db.schema_snapshot import create_from_snapshot

                    created = await conn.run_sync(create_from_snapshot, head)
                else:
                    created = False
                if not created:
                    await conn.run_sync(_upgrade)
                    if sqlite:
                        await conn.run_sync(_check_foreign_keys)
                if check is not None:
                    await check(conn)  # raising, it rolls the migration back
        finally:
            if sqlite:  # after COMMIT (or ROLLBACK): the pooled connection enforces them again
                await conn.run_sync(_enforce_foreign_keys, True)


def _version() -> str:
    from localexa import __version__

    return __version__
