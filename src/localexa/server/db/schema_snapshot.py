"""A new database gets its schema from a snapshot of what the migrations build.

Importing alembic (with mako and pygments behind it) and running the scripts was ~100-300 ms and
~10 MB of resident memory (kept for the process's life) of every first start: the start of most
CI runs, on SQLite (a new data dir) as on PostgreSQL (a new database per run). One snapshot per
dialect, in `migrations/`, headed by the revision it was taken at:

- `sqlite_schema.sql`: the `sqlite_master` of a database the migrations created, in creation
  order;
- `postgresql_schema.sql`: the statements the migrations emit for PostgreSQL, from alembic's
  offline mode (`alembic upgrade --sql`, which renders them without a server).

A snapshot is used only when the database holds no table at all and its revision is the
scripts' head; anything else (an older database, a stale snapshot) goes through alembic as
before. The caller holds the migrations' lock (db/migrate.py), so of several processes starting
on one new PostgreSQL database one creates the schema and the others find it at head.

`tests/core/test_schema_snapshot.py` fails when a snapshot differs from what the migrations
build (and, with PostgreSQL, when a database created from it differs from a migrated one);
refresh both with `python -m localexa.server.db.schema_snapshot`.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

if TYPE_CHECKING:  # a process on PostgreSQL never loads sqlite3 (db/engine.py)
    import sqlite3

MIGRATIONS = Path(__file__).parent / "migrations"
#: dialect name → (its snapshot, the name its header uses)
SNAPSHOTS = {
    "sqlite": (MIGRATIONS / "sqlite_schema.sql", "SQLite"),
    "postgresql": (MIGRATIONS / "postgresql_schema.sql", "PostgreSQL"),
}
_SEPARATOR = "\n;\n"
_VERSION_ROW = "INSERT INTO alembic_version"


def _header(dialect: str) -> str:
    return f"-- localexa {SNAPSHOTS[dialect][1]} schema at revision "


def dump(connection: sqlite3.Connection) -> list[str]:
    """The schema of a SQLite database as the statements that create it, oldest first
    (SQLite's own objects, such as the autoindexes of UNIQUE constraints, come by themselves)."""
    rows = connection.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    return [str(row[0]) for row in rows]


def render(revision: str, statements: list[str], dialect: str = "sqlite") -> str:
    return _header(dialect) + revision + "\n" + _SEPARATOR.join(statements) + "\n"


def read(snapshot: Path | None = None, dialect: str = "sqlite") -> tuple[str, list[str]] | None:
    """(revision, statements), or None when there is no readable snapshot."""
    try:
        source = (snapshot or SNAPSHOTS[dialect][0]).read_text(encoding="utf-8")
    except OSError:
        return None
    header, _, body = source.partition("\n")
    prefix = _header(dialect)
    if not header.startswith(prefix) or not body.strip():
        return None
    return header[len(prefix) :].strip(), [s.strip() for s in body.split(_SEPARATOR) if s.strip()]


def create_from_snapshot(connection: Connection, head: str) -> bool:
    """Create the schema of a new database, inside the caller's transaction (which holds the
    migrations' lock).

    True when the database is at `head` afterwards: created here, or by another process that
    held the lock first. False, having done nothing, when the database holds other tables, or
    there is no snapshot at `head` for its dialect: the caller then runs the migrations.
    """
    tables = set(inspect(connection).get_table_names())
    if tables:
        if "alembic_version" not in tables:
            return False
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return list(versions) == [head]
    dialect = connection.dialect.name
    snapshot = read(dialect=dialect) if dialect in SNAPSHOTS else None
    if snapshot is None or snapshot[0] != head:
        return False
    for statement in snapshot[1]:
        connection.exec_driver_sql(statement)
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
    return True


def migrated_schema(dialect: str = "sqlite") -> tuple[str, list[str]]:
    """(head, statements) of a new database of `dialect` built by the migration scripts."""
    from localexa.server.db.migrate import head_revision

    head = head_revision()
    if head is None:
        raise RuntimeError("the migration scripts have no single head")
    if dialect == "sqlite":
        return head, _sqlite_schema()
    return head, _offline_statements(dialect)


def _sqlite_schema() -> list[str]:
    import sqlite3

    from sqlalchemy import create_engine

    from localexa.server.db.migrate import _upgrade

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.sqlite3"
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            _upgrade(connection)
        engine.dispose()
        # Closed before the folder goes: sqlite3's `with` commits but leaves the connection open
        # (a ResourceWarning on Python 3.13, "unclosed database").
        with contextlib.closing(sqlite3.connect(path)) as database:
            return dump(database)


def _offline_statements(dialect: str) -> list[str]:
    """What the scripts run on `dialect`, rendered by alembic's offline mode (migrations/env.py),
    without the row of alembic_version (create_from_snapshot inserts it)."""
    from alembic import command

    from localexa.server.db.migrate import alembic_config

    output = io.StringIO()
    config = alembic_config()
    config.output_buffer = output
    config.attributes["dialect_name"] = dialect
    command.upgrade(config, "head", sql=True)
    statements = []
    for chunk in output.getvalue().split(";\n"):
        # Alembic heads each script's statements with a comment line ("-- Running upgrade ...").
        statement = "\n".join(line for line in chunk.splitlines() if not line.startswith("--")).strip()
        if statement and not statement.startswith(_VERSION_ROW):
            statements.append(statement)
    return statements


def main() -> None:
    for dialect, (path, _) in SNAPSHOTS.items():
        head, statements = migrated_schema(dialect)
        path.write_text(render(head, statements, dialect), encoding="utf-8")
        print(f"wrote {path} ({len(statements)} statements, revision {head})", file=sys.stderr)


if __name__ == "__main__":
    main()
