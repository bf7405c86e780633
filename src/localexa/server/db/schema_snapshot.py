"""A new SQLite database gets its schema from a snapshot of what the migrations build.

Importing alembic (with mako and pygments behind it) and running the scripts was ~100 ms and
~10 MB of every first start on a new data dir: the start of most CI runs. The snapshot in
`migrations/sqlite_schema.sql` is the `sqlite_master` of a database the migrations created, in
creation order, headed by the revision it was taken at. It is used only when the database holds
no table at all and the snapshot's revision is the scripts' head; anything else (an older
database, PostgreSQL, a stale snapshot) goes through alembic as before.

`tests/core/test_schema_snapshot.py` fails when the snapshot differs from what the migrations
build; refresh it with `python -m localexa.server.db.schema_snapshot`.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

from sqlalchemy import Connection, text

SNAPSHOT = Path(__file__).parent / "migrations" / "sqlite_schema.sql"
_HEADER = "-- localexa SQLite schema at revision "
_SEPARATOR = "\n;\n"


def dump(connection: sqlite3.Connection) -> list[str]:
    """The schema of a SQLite database as the statements that create it, oldest first
    (SQLite's own objects, such as the autoindexes of UNIQUE constraints, come by themselves)."""
    rows = connection.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    return [str(row[0]) for row in rows]


def render(revision: str, statements: list[str]) -> str:
    return _HEADER + revision + "\n" + _SEPARATOR.join(statements) + "\n"


def read(snapshot: Path | None = None) -> tuple[str, list[str]] | None:
    """(revision, statements), or None when there is no readable snapshot."""
    try:
        source = (snapshot or SNAPSHOT).read_text(encoding="utf-8")
    except OSError:
        return None
    header, _, body = source.partition("\n")
    if not header.startswith(_HEADER) or not body.strip():
        return None
    return header[len(_HEADER) :].strip(), [s.strip() for s in body.split(_SEPARATOR) if s.strip()]


def create_from_snapshot(connection: Connection, head: str) -> bool:
    """Create the schema of a new SQLite database, inside the caller's (write) transaction.

    False, having done nothing, when the database already holds a table or the snapshot is not
    at `head`: the caller then runs the migrations.
    """
    snapshot = read()
    if snapshot is None or snapshot[0] != head:
        return False
    tables = connection.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table'")).scalar_one()
    if tables:
        return False
    for statement in snapshot[1]:
        connection.exec_driver_sql(statement)
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
    return True


def migrated_schema() -> tuple[str, list[str]]:
    """(head, statements) of a new SQLite database built by the migration scripts."""
    from sqlalchemy import create_engine

    from localexa.server.db.migrate import _upgrade, head_revision

    head = head_revision()
    if head is None:
        raise RuntimeError("the migration scripts have no single head")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.sqlite3"
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            _upgrade(connection)
        engine.dispose()
        with sqlite3.connect(path) as database:
            return head, dump(database)


def main() -> None:
    head, statements = migrated_schema()
    SNAPSHOT.write_text(render(head, statements), encoding="utf-8")
    print(f"wrote {SNAPSHOT} ({len(statements)} statements, revision {head})", file=sys.stderr)


if __name__ == "__main__":
    main()
