"""A new PostgreSQL database is created from the PostgreSQL schema snapshot (db/schema_snapshot.py):
the same schema as the migrations build, without loading alembic, once even when several
processes start on it together."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from localexa.server.db import schema_snapshot
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import _upgrade, head_revision, upgrade_to_head
from tests.core.test_schema_snapshot import MIGRATION_MODULES, modules_loaded_by_a_start
from tests.scale.processes import postgres_database, postgres_unreachable_reason, query

#: What a schema is made of, from PostgreSQL's catalog: columns, indexes, constraints.
CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default,
               character_maximum_length, numeric_precision
        FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema() ORDER BY 1, 2""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2""",
}


@pytest.fixture
def fresh_databases() -> Iterator[tuple[str, str]]:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"PostgreSQL test: {reason}")
    with postgres_database("localexa_snap_a") as first, postgres_database("localexa_snap_b") as second:
        yield first, second


def catalog(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    return {part: [tuple(row) for row in query(database_url, sql)] for part, sql in CATALOG.items()}


def test_the_postgresql_snapshot_is_what_the_migrations_emit() -> None:
    """Needs no server: alembic's offline mode renders the scripts' PostgreSQL statements."""
    stored = schema_snapshot.read(dialect="postgresql")
    assert stored is not None, "no snapshot: run `python -m localexa.server.db.schema_snapshot`"
    assert stored == schema_snapshot.migrated_schema("postgresql"), (
        "migrations/postgresql_schema.sql is stale: run `python -m localexa.server.db.schema_snapshot`"
    )
    assert any(s.startswith("CREATE TABLE customers") for s in stored[1])
    assert not any(s.startswith("INSERT") for s in stored[1])  # the version row is inserted apart


async def _start(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def _migrate_with_alembic(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


def test_a_new_database_from_the_snapshot_equals_a_migrated_one(fresh_databases: tuple[str, str]) -> None:
    from_snapshot, migrated = fresh_databases
    asyncio.run(_start(from_snapshot))
    asyncio.run(_migrate_with_alembic(migrated))
    assert query(from_snapshot, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    ours, alembics = catalog(from_snapshot), catalog(migrated)
    assert len(ours["columns"]) > 100
    assert ours["indexes"]
    assert ours["constraints"]
    assert ours == alembics


def test_a_new_database_does_not_load_alembic(fresh_databases: tuple[str, str]) -> None:
    url = fresh_databases[0]
    assert modules_loaded_by_a_start(url) == []
    assert ("customers",) in query(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")


def test_a_start_on_postgresql_loads_nothing_of_sqlite(fresh_databases: tuple[str, str]) -> None:
    """sqlite3 and SQLAlchemy's SQLite dialect load only for a SQLite URL (db/engine.py): 1.6 MB
    resident (README "Resident memory"). A restart on the same database, so no migration runs."""
    url = fresh_databases[0]
    asyncio.run(_start(url))
    sqlite = ("sqlite3", "_sqlite3", "sqlalchemy.dialects.sqlite", "localexa.server.db.inline_sqlite")
    assert modules_loaded_by_a_start(url, MIGRATION_MODULES + sqlite) == []


def test_processes_starting_together_create_it_once(fresh_databases: tuple[str, str]) -> None:
    url = fresh_databases[0]

    async def together() -> None:
        await asyncio.gather(*(_start(url) for _ in range(4)))

    asyncio.run(together())
    assert query(url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert catalog(url) == catalog_of_migrated(fresh_databases[1])


def catalog_of_migrated(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    asyncio.run(_migrate_with_alembic(database_url))
    return catalog(database_url)


def test_a_database_with_other_tables_is_left_to_the_migrations(fresh_databases: tuple[str, str]) -> None:
    url = fresh_databases[0]

    def create_from_snapshot(connection: Connection) -> bool:
        connection.execute(text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
        return schema_snapshot.create_from_snapshot(connection, str(head_revision()))

    async def run() -> bool:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(create_from_snapshot)
        finally:
            await engine.dispose()

    assert asyncio.run(run()) is False
    tables = query(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    assert tables == [("unrelated",)]
