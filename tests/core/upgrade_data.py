"""A user's database at an older schema revision, holding real data, for the upgrade tests
(tests/core/test_upgrade_with_data.py).

The app at an older revision cannot run (the code is at head), so the data is written once by
the app at head: a developer whose skill is enabled, linked and discovered, LWA tokens, Thread
networks (tests/core/statement_world.py), a finished capability evaluation, an event, a fault, a
moved clock and the journal of all of it, in a SQLite file. Its rows are read back typed and
written into a database that Alembic migrated to the older revision, at that revision's shape:
the columns the revision's schema has (read from the migrated database, not written here), and a
table the app left empty gets one row of values of its columns' types. Hashes and sealed values
are the server's own, under SECRET_KEY: the app at head must verify and open them as before.

On SQLite the journal lives in its own file beside the state (observe/journal_store.py), which
the older server created from its models: here from the revision's own `journal_*` tables.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Column, Connection, Integer, MetaData, Table, inspect, select, text

from localexa.server.app import create_app
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import alembic_config
from localexa.server.db.models import metadata
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.observe.journal_store import journal_file
from localexa.server.settings import Settings
from localexa.skill import change_report
from localexa.skill.properties import power_state
from tests.conftest import ADMIN_KEY
from tests.core.statement_world import World, build_world
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.lwa.browser import BASE_URL, Browser

#: Every server on these databases uses it: the token hashes and the seals are keyed by it.
SECRET_KEY = "upgrade-with-data-" + "0123456789abcdef" * 2
#: The tables of the journal's own SQLite file (observe/journal_store.py).
JOURNAL_TABLES = ("journal_entries", "journal_cutoff")
#: How far the world moved the clock before it was saved (less than a token's hour).
CLOCK_ADVANCE = 90.0

Rows = dict[str, list[dict[str, Any]]]


@cache
def revisions() -> list[str]:
    """Every revision of the migration scripts, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def settings_for(database_url: str, data_dir: Path, **update: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "demo": False,
        "admin_key": ADMIN_KEY,
        "secret_key": SECRET_KEY,
        "password_hash_n": 1024,
    }
    values.update(update)
    return Settings(**values)


@dataclass
class Saved:
    """The rows the app at head wrote, and what its user holds to use them again."""

    state: Rows
    #: The rows of the journal's own file (journal_entries, journal_cutoff).
    journal: Rows
    world: World
    #: An app client's pair (profile scope), issued by the admin API.
    access_token: str
    refresh_token: str
    evaluation_id: str
    evaluation_status: str
    fault_id: str
    #: The request id of the journal's entry of the event (POST /v3/events).
    request_id: str

    def rows_for(self, dialect: str) -> Rows:
        """What a database of `dialect` holds: on PostgreSQL the journal shares it."""
        return self.state if dialect == "sqlite" else {**self.state, **self.journal}


async def build_saved(folder: Path, server: SkillServer) -> Saved:
    url = f"sqlite+aiosqlite:///{folder / 'localexa.db'}"
    app = create_app(settings_for(url, folder / "data"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client,
            Browser(app) as browser,
        ):
            admin = Admin(client, ADMIN_KEY)
            world = await build_world(client, admin, browser, server)
            pair = await admin.tokens(world.app_client[0], world.developer.user_id, ["profile"])
            evaluation_id, status = await _finished_evaluation(world)
            report = change_report("kitchen", [power_state(True)], token=world.event_token)
            event = await client.post("/v3/events", json=report, headers=bearer(world.event_token))
            assert event.status_code == 202, event.text
            fault = await admin.post("faults", {"path": "/never/called/**", "status": 503})
            await admin.advance_clock(CLOCK_ADVANCE)
            await app.state.journal.flush()
    state = await read_database(url)
    journal_path = journal_file(url)
    assert journal_path is not None
    journal = await read_database(f"sqlite+aiosqlite:///{journal_path}")
    events = [entry for entry in journal["journal_entries"] if entry["path"] == "/v3/events"]
    assert events, "the journal kept no entry of the event"
    assert events[0]["request_id"]
    return Saved(
        state={name: rows for name, rows in state.items() if name not in JOURNAL_TABLES},
        journal={name: journal.get(name, []) for name in JOURNAL_TABLES},
        world=world,
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        evaluation_id=evaluation_id,
        evaluation_status=status,
        fault_id=fault["faultId"],
        request_id=events[0]["request_id"],
    )


async def _finished_evaluation(world: World) -> tuple[str, str]:
    body = {
        "capabilityTestPlan": {"id": plan_id_for("PowerController")},
        "endpoint": {"endpointId": "porch"},
        "stage": "development",
    }
    started = await world.client.post(world.evaluations, json=body, headers=bearer(world.developer_token))
    assert started.status_code == 200, started.text
    evaluation_id: str = started.json()["id"]
    for _ in range(2000):
        answer = await world.client.get(
            f"{world.evaluations}/{evaluation_id}", headers=bearer(world.developer_token)
        )
        status: str = answer.json()["status"]
        if status != "IN_PROGRESS":
            return evaluation_id, status
        await asyncio.sleep(0.005)
    raise AssertionError("the evaluation did not finish")


# -- a table as a database has it ----------------------------------------------------------------


def shapes(connection: Connection) -> list[Table]:
    """The database's tables but alembic's own, parents before children (the models' order), each
    with the columns the database has, typed as the models type them (a column the models no
    longer have keeps the type the database reports). Reflected in one pass (one catalog query per
    kind on PostgreSQL, not two per table)."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names()) - {"alembic_version"}
    ordered = [table.name for table in metadata.sorted_tables if table.name in present]
    names = ordered + sorted(present - set(ordered))
    columns_of = {key[1]: value for key, value in inspector.get_multi_columns(filter_names=names).items()}
    keys_of = {key[1]: value for key, value in inspector.get_multi_pk_constraint(filter_names=names).items()}
    return [_shaped(name, columns_of[name], set(keys_of[name]["constrained_columns"])) for name in names]


def _shaped(name: str, reflected: list[Any], primary: set[str]) -> Table:
    model = metadata.tables.get(name)
    columns = []
    for column in reflected:
        known = model is not None and column["name"] in model.c
        kind = model.c[column["name"]].type if known and model is not None else column["type"]
        columns.append(Column(column["name"], kind, primary_key=column["name"] in primary))
    return Table(name, MetaData(), *columns)


def _read(connection: Connection) -> Rows:
    rows: Rows = {}
    for table in shapes(connection):
        query = select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [dict(row._mapping) for row in connection.execute(query)]
    return rows


async def read_database(url: str) -> Rows:
    """Every row of every table (but alembic_version), typed, in primary-key order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_read)
    finally:
        await engine.dispose()


def _typed_value(column: Column[Any]) -> Any:
    """A value of the column's type, for a table nobody wrote a row into."""
    try:
        python = column.type.python_type
    except NotImplementedError:
        python = str
    length = getattr(column.type, "length", None) or 8
    values: dict[type, Any] = {
        bool: False,
        int: 1,
        float: 1.0,
        str: "x" * min(length, 8),
        datetime: datetime.now(UTC),
        dict: {},
        list: [],
    }
    return values.get(python, "x")


def _at_shape(row: dict[str, Any], table: Table) -> dict[str, Any]:
    """`row` with the table's columns only; a column the row lacks gets a value of its type.
    SQLite hands times back naive: they are UTC (db/base.py)."""
    shaped_row = {}
    for column in table.columns:
        value = row[column.name] if column.name in row else _typed_value(column)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        shaped_row[column.name] = value
    return shaped_row


def fill(connection: Connection, rows: Rows, every_table: bool = True) -> None:
    """Write `rows` into the tables the database has, at their shape. With `every_table`, a
    table `rows` has nothing for gets one typed row (one with foreign keys must come from the app:
    a typed row would not point at anything)."""
    for table in shapes(connection):
        name = table.name
        given = rows.get(name)
        if not given and not every_table:
            continue
        if not given:
            model = metadata.tables.get(name)
            assert model is None or not model.foreign_keys, f"the world wrote no row into {name}"
            given = [{}]
        connection.execute(table.insert(), [_at_shape(row, table) for row in given])
        _move_sequence(connection, table)


def _move_sequence(connection: Connection, table: Table) -> None:
    """On PostgreSQL, a serial key's sequence goes past the rows written with their ids, as the
    server's own inserts would have moved it."""
    keys = list(table.primary_key.columns)
    if connection.dialect.name != "postgresql" or len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    key = keys[0].name
    connection.execute(
        text(f"SELECT setval(pg_get_serial_sequence(:table, :key), max({key})) FROM {table.name}"),
        {"table": table.name, "key": key},
    )


# -- an older database ---------------------------------------------------------------------------


async def migrate_to(url: str, revision: str) -> None:
    """Migrate a new database to `revision` with the project's own Alembic environment."""
    from alembic import command

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


async def write_rows(url: str, rows: Rows, every_table: bool = True) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(fill, rows, every_table)
    finally:
        await engine.dispose()


def _create_sqlite_journal(state: Path, journal: Path) -> None:
    """The journal's file as the server at the state's revision created it: the revision's own
    journal tables and their indexes."""
    names = ", ".join(f"'{name}'" for name in JOURNAL_TABLES)
    schema = f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL ORDER BY rowid"
    with sqlite3.connect(state) as database:
        statements = [str(row[0]) for row in database.execute(schema)]
    with sqlite3.connect(journal) as database:
        for statement in statements:
            database.execute(statement)


async def older_database(url: str, revision: str, saved: Saved) -> None:
    """A database at `revision` holding the saved rows (and on SQLite, its journal's file)."""
    await migrate_to(url, revision)
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    await write_rows(url, saved.rows_for(dialect))
    path = journal_file(url)
    if path is not None:
        state = Path(url.split("///", 1)[1])
        engine = create_engine(f"sqlite:///{path}")  # created owner-only, as the server does
        await engine.dispose()
        _create_sqlite_journal(state, path)
        await write_rows(f"sqlite+aiosqlite:///{path}", saved.journal)


def restricted(rows: Rows, like: Rows) -> Rows:
    """`rows` with only the tables `like` holds rows in, and their columns (what a revision's
    schema had): an empty table of `like` may get rows of the app's own (the journal's cutoff)."""
    return {
        name: [{key: row[key] for key in before[0]} for row in rows.get(name, [])]
        for name, before in like.items()
        if before
    }
