"""A new SQLite database is created from the schema snapshot, which must be what the migrations
build (db/schema_snapshot.py)."""

from __future__ import annotations

import ast
import gc
import sqlite3
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text

from localexa.server.db import schema_snapshot
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import head_revision, upgrade_to_head


def schema_of(path: Path) -> list[str]:
    with sqlite3.connect(path) as database:
        return schema_snapshot.dump(database)


def test_the_snapshot_is_what_the_migrations_build() -> None:
    head, statements = schema_snapshot.migrated_schema()
    stored = schema_snapshot.read()
    assert stored is not None, "no snapshot: run `python -m localexa.server.db.schema_snapshot`"
    assert stored == (head, statements), (
        "migrations/sqlite_schema.sql is stale: run `python -m localexa.server.db.schema_snapshot`"
    )


def test_building_the_schema_closes_its_sqlite_connection() -> None:
    """Python 3.13 warns of a sqlite3 connection collected unclosed (the suite's filterwarnings
    ignores ResourceWarning, so this test looks for it)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        schema_snapshot.migrated_schema()
        gc.collect()
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []


async def test_a_new_database_from_the_snapshot_equals_a_migrated_one(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert version == [head_revision()]
    assert schema_of(tmp_path / "new.db") == schema_snapshot.migrated_schema()[1]


#: What the serving process never loads on a new database: Alembic and its templates.
MIGRATION_MODULES = ("alembic", "mako")


def modules_loaded_by_a_start(database_url: str, names: tuple[str, ...] = MIGRATION_MODULES) -> list[str]:
    """The modules named (or inside packages named) in `names` that a new interpreter has loaded
    once the whole app has started on `database_url` (create_app and its lifespan)."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys, tempfile
        from pathlib import Path
        from localexa.server.app import create_app
        from localexa.server.settings import Settings

        settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url={database_url!r}, demo=False)
        settings.ensure_data_dir()
        app = create_app(settings)

        async def main():
            async with app.router.lifespan_context(app):
                pass

        asyncio.run(main())
        names = {names!r}
        print(sorted(m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return loaded


def test_a_new_database_does_not_load_alembic(tmp_path: Path) -> None:
    assert modules_loaded_by_a_start(f"sqlite:///{tmp_path / 'new.db'}") == []
    assert "customers" in " ".join(schema_of(tmp_path / "new.db"))


async def test_a_database_that_holds_a_table_is_left_to_the_migrations(tmp_path: Path) -> None:
    head = head_revision()
    assert head is not None
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
            assert not await conn.run_sync(schema_snapshot.create_from_snapshot, head)
            tables = (await conn.execute(text("SELECT count(*) FROM sqlite_master"))).scalar_one()
        assert tables == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("header", ["-- localexa SQLite schema at revision 0000_older\n", ""])
async def test_a_snapshot_of_another_revision_or_none_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str
) -> None:
    stale = tmp_path / "stale.sql"
    stale.write_text(header + "CREATE TABLE wrong (id INTEGER)\n", encoding="utf-8")
    monkeypatch.setitem(schema_snapshot.SNAPSHOTS, "sqlite", (stale, "SQLite"))
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        await upgrade_to_head(engine)  # through alembic
    finally:
        await engine.dispose()
    schema = schema_of(tmp_path / "new.db")
    assert not any("wrong" in statement for statement in schema)
    assert schema == schema_snapshot.migrated_schema()[1]
