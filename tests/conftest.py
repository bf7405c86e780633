"""Shared fixtures: the real app on a real SQLite file, and on PostgreSQL when
`LOCALEXA_TEST_DATABASE_URL` is set (every test using `app` or `client` then runs on both).

PostgreSQL: each pytest session creates its own database, migrates it once through the app's own
start, and empties every table before each test.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import os
import secrets
import shutil
import sqlite3
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from localexa.server.app import create_app
from localexa.server.db.base import Base, SecretKeyCheck
from localexa.server.db.engine import create_engine
from localexa.server.observe.journal_store import journal_file
from localexa.server.settings import Settings
from tests.factories import Admin

ADMIN_KEY = "test-admin-key"
#: One secret key for every in-process app of the session: on PostgreSQL the tests share one
#: database, whose rows a test's app sees before it empties them, and a start refuses a database
#: holding secrets sealed under another key (lwa/key_check.py).
SECRET_KEY = "test-secret-key"
PG_URL = os.environ.get("LOCALEXA_TEST_DATABASE_URL")


def _redis_database_per_worker() -> None:
    """Under pytest-xdist each worker gets its own Redis database (15, 14, … counting down from the
    one given): a worker's reset deletes every rate-limit key under localexa's prefix, and one
    test's FLUSHDB would make another worker's counters start again. Modules read the variable at
    import, after this conftest."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    # Unset, the tests' default (tests/redis_probe.py) is split the same way: the workers shared
    # it, and one's reset emptied another's counters mid-test.
    url = os.environ.get("LOCALEXA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not worker.startswith("gw"):
        return
    parts = make_url_redis(url)
    if parts is None:
        return
    base, number = parts
    # Counting down from the given one through Redis's 16 databases; only more than 16 workers
    # share one. Every Redis test uses its worker's (test_redis_down_logs had 9 to itself, skipped
    # here, until the night of 2026-12-06).
    os.environ["LOCALEXA_TEST_REDIS_URL"] = f"{base}/{(number - int(worker[2:])) % 16}"


def make_url_redis(url: str) -> tuple[str, int] | None:
    """("redis://host:port", db) of a Redis URL whose path is a database number, else None."""
    base, _, path = url.rpartition("/")
    return (base, int(path)) if path.isdigit() and base.count("/") == 2 else None


_redis_database_per_worker()


def _sqlite_default_adapters_warn() -> None:
    """On Python 3.11, sqlite3's default date and datetime adapters warn as they do since 3.12.

    Since 3.12 a date or datetime handed to sqlite3 untyped (a `text()` parameter, say) warns
    "The default datetime adapter is deprecated", an error under this suite's filterwarnings; on
    3.11 it passed silently, so the suite on CI (3.11) let through what failed on 3.12 and 3.13.
    Typed parameters (the models' DateTime) reach sqlite3 as strings and never get here."""
    if sys.version_info >= (3, 12):
        return

    def adapt(value: datetime.date) -> str:
        what = "datetime" if isinstance(value, datetime.datetime) else "date"
        warnings.warn(
            f"The default {what} adapter is deprecated as of Python 3.12; see the sqlite3"
            " documentation for suggested replacement recipes (tests/conftest.py, on 3.11)",
            DeprecationWarning,
            stacklevel=2,
        )
        return value.isoformat(" ") if isinstance(value, datetime.datetime) else value.isoformat()

    sqlite3.register_adapter(datetime.date, adapt)
    sqlite3.register_adapter(datetime.datetime, adapt)


_sqlite_default_adapters_warn()


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if PG_URL:
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this pytest session (None without PostgreSQL)."""
    if not PG_URL:
        yield None
        return
    name = f"localexa_test_{os.getpid()}_{secrets.token_hex(3)}"
    server_url = make_url(PG_URL)

    async def admin(sql: str) -> None:
        engine = create_engine(server_url.render_as_string(hide_password=False))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield server_url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def database_url(backend: str, tmp_path: Path, pg_database_url: str | None) -> str:
    if backend == "postgresql":
        assert pg_database_url is not None
        return pg_database_url
    return f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        demo=False,
        admin_key=ADMIN_KEY,
        secret_key=SECRET_KEY,
        password_hash_n=1024,
        # Amazon's 4.5 s is a deadline for a token URL elsewhere; here the token URL is served by
        # the test's own process (localexa's LWA, My Lights), and on a CI machine running three
        # times slower than usual one good exchange took longer (a link answered 400). Tests of
        # slow token URLs set their own budget.
        token_exchange_timeout=15.0,
    )


#: Every table but the secret key's check emptied, children first, and every sequence restarted,
#: as one script: one round trip (`_truncate_all`).
_EMPTY_ALL = (
    "".join(
        f'DELETE FROM "{table.name}";'
        for table in reversed(Base.metadata.sorted_tables)
        if table.name != SecretKeyCheck.__tablename__
    )
    + "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S';"
)


async def _truncate_all(app: FastAPI) -> None:
    """Empty every table and restart every sequence, as a new database would be.

    DELETE, children first, rather than TRUNCATE: on tables of a few rows TRUNCATE costs ~45 ms
    (new files for every table, an exclusive lock on each) against ~4 ms, and it runs before
    each of the ~1,800 PostgreSQL tests. Sent as one script in PostgreSQL's simple query protocol
    (one implicit transaction): a statement per table took 48 ms a test beside the app's workers
    starting, the script 13 (the night of 2026-12-06).

    The secret key's check stays, as a reset leaves it (lwa/key_check.py): every app on this
    database has the session's key. Emptied, a later start on the rows a test left (one that
    serves the database without this fixture) could not confirm the key, and such a process
    writes nothing under its key until a secret confirms it (lwa/key_confirmation.py)."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute(_EMPTY_ALL)
    await app.state.clock.refresh(engine, force=True)


async def empty_before_start(database_url: str) -> None:
    """Empty the session's PostgreSQL database before an app starts on it, for fixtures that make
    their own app: a start takes over at once the after-link follow-ups an earlier test left
    (a lease run out), before `_truncate_all` could run, and the database outage test saw that
    follow-up fail in its logs (CI, 2026-12-07). A database no app has migrated yet is left."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            if await raw.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
                await raw.execute(_EMPTY_ALL)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite state database and its journal as an app's first start leaves them (the schema,
    alembic's revision, the check of the session's secret key), made once per worker and copied
    for each `app` on a new file: its start took ~45 ms creating them and stopped in ~11, from
    the copies ~11 and ~5 (2026-12-08), over some 3,500 tests."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    state = folder / "localexa.db"
    settings = Settings(
        data_dir=folder / "data",
        database_url=f"sqlite+aiosqlite:///{state}",
        demo=False,
        admin_key=ADMIN_KEY,
        secret_key=SECRET_KEY,
        password_hash_n=1024,
    )

    async def first_start() -> None:
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            pass

    asyncio.run(first_start())
    # Closed by the last connection, SQLite folded its write-ahead log into the file.
    assert not list(folder.glob("*-wal")), list(folder.iterdir())
    return state


def _start_from_template(settings: Settings, template: Path) -> None:
    """Copy the template to a SQLite database the app is about to create, when the copy is what
    the start would make: the session's secret key, and neither file there yet (a test that wrote
    an older schema or other rows first keeps them)."""
    url = make_url(settings.resolved_database_url())
    journal = journal_file(str(url))
    if journal is None or settings.resolved_secret_key() != SECRET_KEY.encode():
        return
    state = Path(str(url.database))
    if state.exists() or journal.exists() or not state.parent.is_dir():
        return
    shutil.copy(template, state)  # with its mode (0600), as the start would have made it
    template_journal = journal_file(f"sqlite:///{template}")
    assert template_journal is not None
    shutil.copy(template_journal, journal)


@pytest.fixture
async def app(settings: Settings, sqlite_template: Path) -> AsyncIterator[FastAPI]:
    _start_from_template(settings, sqlite_template)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await _truncate_all(application)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the NA listener of the real app (in process, no network)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
        yield c


@pytest.fixture
def admin(client: httpx.AsyncClient) -> Admin:
    """Factories over the admin API (the fixed contract of admin-api.md)."""
    return Admin(client, ADMIN_KEY)


#: Test folders whose every test using conftest's `backend` also runs on PostgreSQL: what crashes
#: and restarts (crash) and several processes on one database (scale). Elsewhere the PostgreSQL
#: case of such a test runs where its module names PostgreSQL (a case of its own, a skip on
#: SQLite, its locks, deadlocks or plans) or chooses its backends itself (`parametrize("backend",
#: …)`); the fuzz tests take both through their own `storage`. Both
#: databases for every test took CI past its 20 minutes on a 2-core machine of 2026-12-07 (the
#: PostgreSQL cases were 39 % of the test time); LOCALEXA_TEST_POSTGRES_EVERYWHERE=1 runs them all.
POSTGRES_EVERYWHERE_IN = frozenset({"crash", "scale"})


@functools.cache
def _names_postgres(path: Path) -> bool:
    """A module that names PostgreSQL (a test of its own, a skip on SQLite, a case about its locks,
    deadlocks or plans) keeps its PostgreSQL cases."""
    return "postgres" in path.read_text(encoding="utf-8").lower()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not PG_URL or os.environ.get("LOCALEXA_TEST_POSTGRES_EVERYWHERE") == "1":
        return
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgresql"
        chosen = any("backend" in str(mark.args[0]) for mark in item.iter_markers("parametrize") if mark.args)
        folder = Path(str(item.path)).relative_to(Path(__file__).parent).parts[0]
        if (
            on_postgres
            and not chosen
            and folder not in POSTGRES_EVERYWHERE_IN
            and not _names_postgres(item.path)
        ):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
