"""Upgrading localexa keeps a user's data, on SQLite and on PostgreSQL.

A user keeps a data dir (SQLite) or a PostgreSQL database between releases, and the new release
migrates it at start (db/migrate.py). For every earlier revision (on PostgreSQL: the first and the
last three, `POSTGRES_FROM`), a database migrated to it and
holding real data (tests/core/upgrade_data.py) is started by the app at head, as `localexa
serve` starts it (create_app's lifespan); then every row is still there, and what a user holds
still works through the HTTP APIs: access tokens issued before (stored hashed) authenticate, a
refresh token refreshes, a password signs in, the linked enablement reaches the skill with its
sealed tokens, Thread networks list with their keys opened, the evaluation, the journal, the
fault and the clock are as they were; and the schema is a new database's, at the newest revision.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from localexa.cli.serve_run import demo_checks, demo_hooks
from localexa.server.admin.demo import CUSTOMER_EMAIL, DEVELOPER_EMAIL, load_state
from localexa.server.app import create_app
from localexa.server.db import migrate, schema_snapshot
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import upgrade_to_head
from localexa.server.observe.journal_store import journal_file
from localexa.skill import change_report
from localexa.skill.properties import power_state
from tests.conftest import ADMIN_KEY, PG_URL
from tests.core.statement_world import NETWORKS, XPAN
from tests.core.test_schema_snapshot_postgresql import catalog
from tests.core.upgrade_data import (
    CLOCK_ADVANCE,
    SECRET_KEY,
    Rows,
    Saved,
    bearer,
    build_saved,
    migrate_to,
    older_database,
    read_database,
    restricted,
    revisions,
    settings_for,
    write_rows,
)
from tests.evaluation import skills
from tests.evaluation.skills import SkillServer
from tests.lwa.browser import BASE_URL, REDIRECT_URI, Browser, authorize_url, redirect_params
from tests.scale.processes import (
    ServerProcess,
    postgres_database,
    postgres_unreachable_reason,
    query,
    running,
)

HEAD = revisions()[-1]
OLDER = revisions()[:-1]
#: On PostgreSQL, from the first revision (every migration runs over data) and from the last three
#: (the tables each added hold rows as they go through the newest migrations); SQLite starts from
#: every one. Every revision on both took ~50 s of CI's 20 minutes (2026-12-07).
POSTGRES_FROM = {OLDER[0], *OLDER[-3:]}
UPGRADES = [pytest.param("sqlite", revision, id=f"sqlite-{revision}") for revision in OLDER] + [
    pytest.param("postgresql", revision, id=f"postgresql-{revision}")
    for revision in OLDER
    if PG_URL and revision in POSTGRES_FROM
]
ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}


@contextmanager
def own_postgres(suffix: str) -> Iterator[str]:
    """A new database on LOCALEXA_TEST_DATABASE_URL's server, named after that database."""
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"PostgreSQL test: {reason}")
    assert PG_URL is not None
    with postgres_database(f"{make_url(PG_URL).database}_{suffix}") as url:
        yield url


@pytest.fixture(scope="module")
def mylights() -> Iterator[SkillServer]:
    with skills.mylights() as server:
        yield server


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, mylights: SkillServer) -> Saved:
    return asyncio.run(build_saved(tmp_path_factory.mktemp("world"), mylights))


@pytest.fixture
def old_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
        return
    with own_postgres("upgrade") as url:
        yield url


@cache
def new_postgres_catalog() -> dict[str, list[tuple[object, ...]]]:
    """The catalog of a new PostgreSQL database as a start creates it (from the snapshot)."""
    with own_postgres("new") as url:

        async def start() -> None:
            engine = create_engine(url)
            try:
                await upgrade_to_head(engine)
            finally:
                await engine.dispose()

        asyncio.run(start())
        return catalog(url)


async def read_all(url: str) -> Rows:
    """The database's rows, and on SQLite its journal file's."""
    rows = await read_database(url)
    path = journal_file(url)
    if path is not None:
        journal = await read_database(f"sqlite+aiosqlite:///{path}")
        rows.update({f"journal file: {name}": entries for name, entries in journal.items()})
    return rows


@pytest.fixture
async def upgraded(
    old_url: str, tmp_path: Path, saved: Saved, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[FastAPI, Rows, Rows]]:
    """The app at head started on a database at the test's revision: (app, rows before, rows
    right after the start)."""
    revision: str = request.node.callspec.params["revision"]
    await older_database(old_url, revision, saved)
    before = await read_all(old_url)
    app = create_app(settings_for(old_url, tmp_path / "data"))
    async with app.router.lifespan_context(app):
        yield app, before, await read_all(old_url)


@pytest.mark.parametrize(("backend", "revision"), UPGRADES)
async def test_an_older_database_with_data_comes_through_the_upgrade(
    upgraded: tuple[FastAPI, Rows, Rows],
    saved: Saved,
    old_url: str,
    backend: str,
    revision: str,
) -> None:
    app, before, after = upgraded
    empty = [name for name, rows in before.items() if not rows]
    assert not empty, f"tables without a row at {revision}: {empty}"
    assert restricted(after, before) == before, "a row changed or went missing in the upgrade"
    if revision == "0001_initial":  # added by 0002: nothing to say about cases from before
        assert {row["reasons"] for row in after["capability_test_case_results"]} == {None}
    await _usable(app, saved)
    # Read as `alembic current` reads it (catalog and query run loops of their own: a thread).
    assert await asyncio.to_thread(query, old_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    if backend == "sqlite":
        path = Path(make_url(old_url).database or "")
        with sqlite3.connect(path) as database:
            assert schema_snapshot.dump(database) == (schema_snapshot.read() or ("", []))[1]
    else:
        upgraded_catalog = await asyncio.to_thread(catalog, old_url)
        assert upgraded_catalog == await asyncio.to_thread(new_postgres_catalog)


async def _usable(app: FastAPI, saved: Saved) -> None:
    world = saved.world
    developer = bearer(world.developer_token)
    client_id, client_secret = world.app_client
    http, browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL), Browser(app)
    async with http, browser:
        # Tokens issued before the upgrade (kept as keyed hashes) still authenticate.
        info = await http.get("/auth/o2/tokeninfo", headers=developer)
        assert info.status_code == 200, info.text
        assert info.json()["user_id"] == world.developer.user_id
        profile = await http.get("/user/profile", headers=bearer(saved.access_token))
        assert profile.status_code == 200, profile.text
        assert profile.json()["email"] == world.developer.email

        # A refresh token from before refreshes, and its new access token works.
        form = {
            "grant_type": "refresh_token",
            "refresh_token": saved.refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        refreshed = await http.post("/auth/o2/token", data=form)
        assert refreshed.status_code == 200, refreshed.text
        fresh = bearer(refreshed.json()["access_token"])
        assert (await http.get("/user/profile", headers=fresh)).status_code == 200

        # The password (scrypt) signs in, the app's secret (keyed hash) exchanges the code.
        answer = await browser.authorize(
            authorize_url(client_id), email=world.developer.email, password=world.developer.password
        )
        code = redirect_params(answer)["code"]
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        exchanged = await http.post("/auth/o2/token", data=exchange)
        assert exchanged.status_code == 200, exchanged.text

        # The enablement is there and linked; a directive reaches the skill with the linked
        # access token, sealed before the upgrade.
        assert (await http.get(world.developer_path, headers=developer)).status_code == 204
        linked = await http.get(world.customer_path, headers=bearer(world.linking_token))
        assert linked.status_code == 200, linked.text
        assert linked.json()["accountLink"] == {"status": "LINKED"}
        directive = {
            "userId": world.developer.user_id,
            "skillId": world.skill.skill_id,
            "namespace": "Alexa.PowerController",
            "name": "TurnOff",
            "endpointId": "porch",
        }
        sent = await http.post("/_localexa/directives", json=directive, headers=ADMIN)
        assert sent.status_code == 200, sent.text
        assert sent.json()["error"] is None, sent.text
        assert sent.json()["response"]["event"]["header"]["name"] == "Response"
        endpoints = await http.get(
            f"/_localexa/customers/{world.developer.user_id}/skills/{world.skill.skill_id}/endpoints",
            headers=ADMIN,
        )
        assert "porch" in [e["endpointId"] for e in endpoints.json()["endpoints"]]

        # Thread networks list, their keys opened (sealed under the row's identity).
        params = {"extendedPanId": XPAN, "maxResults": "100"}
        networks = await http.get(
            "/credentiallocker/v2/threadNetworks", params=params, headers=bearer(world.locker_token)
        )
        assert networks.status_code == 200, networks.text
        listed = networks.json()["threadNetworks"]
        assert len(listed) == NETWORKS
        assert {network["networkKey"] for network in listed} == {"ab" * 16}

        # The skill's messaging secret (sealed) shows again.
        credentials = await http.get(f"/v1/skills/{world.skill.skill_id}/credentials", headers=developer)
        assert credentials.status_code == 200, credentials.text
        secret = credentials.json()["skillMessagingCredentials"]["clientSecret"]
        assert secret == world.skill.messaging_client_secret

        # The evaluation and its test cases.
        evaluation = await http.get(f"{world.evaluations}/{saved.evaluation_id}", headers=developer)
        assert evaluation.json()["status"] == saved.evaluation_status
        results = await http.get(f"{world.evaluations}/{saved.evaluation_id}/results", headers=developer)
        assert results.status_code == 200, results.text
        assert results.json()["testCaseResults"]

        # The journal's entries, the fault and the moved clock.
        journal = await http.get("/_localexa/journal", params={"requestId": saved.request_id}, headers=ADMIN)
        entries = journal.json()["entries"]
        assert [entry["path"] for entry in entries] == ["/v3/events"], journal.text
        one = await http.get(f"/_localexa/journal/{entries[0]['id']}", headers=ADMIN)
        assert one.status_code == 200, one.text
        faults = await http.get("/_localexa/faults", headers=ADMIN)
        assert saved.fault_id in [fault["faultId"] for fault in faults.json()]
        now = datetime.fromisoformat((await http.get("/_localexa/clock", headers=ADMIN)).json()["now"])
        assert now.timestamp() > time.time() + CLOCK_ADVANCE - 30

        # New rows go in beside the old ones (the journal too).
        report = change_report("kitchen", [power_state(False)], token=world.event_token)
        event = await http.post("/v3/events", json=report, headers=bearer(world.event_token))
        assert event.status_code == 202, event.text
        await app.state.journal.flush()
        events = await http.get("/_localexa/journal", params={"path": "/v3/events"}, headers=ADMIN)
        assert len(events.json()["entries"]) == 2, events.text


# -- two processes start together on an older database ---------------------------------------------

#: What Alembic logs (at info) for each script it runs.
RUNNING_UPGRADE = "Running upgrade "


@pytest.mark.slow
async def test_two_processes_starting_on_an_older_database_migrate_it_once(
    backend: str, old_url: str, tmp_path: Path, saved: Saved
) -> None:
    """Both run the migration at start: they take turns (PostgreSQL's advisory lock, SQLite's
    write lock), one upgrades, the other finds the database at head; both serve the old data."""
    oldest = OLDER[0]
    await older_database(old_url, oldest, saved)
    env = {"LOCALEXA_SECRET_KEY": SECRET_KEY, "LOCALEXA_LOG_LEVEL": "info"}
    pair = [ServerProcess(tmp_path / name, ADMIN_KEY, dict(env), database_url=old_url) for name in ("a", "b")]
    await asyncio.to_thread(_serve_both, pair, saved)
    logs = [server.log() for server in pair]
    ran = [
        line.split(RUNNING_UPGRADE, 1)[1]
        for log in logs
        for line in log.splitlines()
        if RUNNING_UPGRADE in line
    ]
    steps = len(OLDER) - OLDER.index(oldest)
    assert len(ran) == steps, ran  # each script once, in one of the two
    assert ran[0].startswith(f"{oldest} -> "), ran
    assert ran[-1].startswith(f"{OLDER[-1]} -> {HEAD}"), ran
    assert sum(RUNNING_UPGRADE in log for log in logs) == 1
    for log in logs:
        assert "Traceback" not in log, log
        assert "level=ERROR" not in log, log
    versions = await asyncio.to_thread(query, old_url, "SELECT version_num FROM alembic_version")
    assert versions == [(HEAD,)]


def _serve_both(pair: list[ServerProcess], saved: Saved) -> None:
    world = saved.world
    with running(*pair):
        for server in pair:
            with server.client() as http:
                info = http.get("/auth/o2/tokeninfo", headers=bearer(world.developer_token))
                assert info.status_code == 200, info.text
                networks = http.get(
                    "/credentiallocker/v2/threadNetworks",
                    params={"extendedPanId": XPAN, "maxResults": "100"},
                    headers=bearer(world.locker_token),
                )
                assert networks.status_code == 200, networks.text
                assert len(networks.json()["threadNetworks"]) == NETWORKS


# -- the demo on an older database -------------------------------------------------------------------

#: The migration that keeps what --demo seeded in the database (a `demo_seed` row).
DEMO_SEED = "0005_demo_seed"
BEFORE_DEMO_SEED = revisions()[revisions().index(DEMO_SEED) - 1]


def demo_app(url: str, data_dir: Path) -> FastAPI:
    """The app as `localexa serve --demo` builds it (with the demo's start-up hook)."""
    settings = settings_for(url, data_dir, demo=True)
    return create_app(settings, startup_hooks=demo_hooks(settings), start_checks=demo_checks(settings))


async def start_and_stop(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


async def test_a_demo_seeded_before_the_demo_seed_migration_is_reused(
    backend: str, old_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A demo that an older localexa seeded (its rows, its ids in that data dir's demo.json
    only) comes through the upgrade: the data dir that seeded it starts with --demo and reuses
    it, and from then on so does every other data dir."""
    seeded = tmp_path / "seeded"
    seeded_url = f"sqlite+aiosqlite:///{seeded / 'localexa.db'}"
    await start_and_stop(demo_app(seeded_url, seeded / "data"))
    rows = await read_database(seeded_url)
    demo = load_state(settings_for(seeded_url, seeded / "data"))
    assert demo is not None
    await migrate_to(old_url, BEFORE_DEMO_SEED)
    await write_rows(old_url, rows, every_table=False)  # demo_seed has no table yet: left out
    before = await read_database(old_url)

    # Another data dir first: it cannot tell the demo from a user's customer, and says so.
    with pytest.raises(RuntimeError, match=r"demo\.json is missing: .*or start with --no-demo"):
        await start_and_stop(demo_app(old_url, tmp_path / "other"))
    # One whose demo.json names a demo that is gone (a restore of an older snapshot replaced it):
    # it said "demo.json is missing" of a file that was there (upgrade37 F1).
    stale = tmp_path / "stale"
    stale.mkdir()
    named = json.loads((seeded / "data" / "demo.json").read_text())
    (stale / "demo.json").write_text(json.dumps({**named, "customer_id": "amzn1.account.GONE"}))
    with pytest.raises(RuntimeError) as refused:
        await start_and_stop(demo_app(old_url, stale))
    assert "demo.json names a demo that is not in the database" in str(refused.value)
    assert "copy that data dir's demo.json here" in str(refused.value)
    assert "missing" not in str(refused.value)
    # The data dir that seeded it: same demo, now kept in the database for every process.
    (tmp_path / "data").mkdir()
    shutil.copy(seeded / "data" / "demo.json", tmp_path / "data" / "demo.json")
    await start_and_stop(demo_app(old_url, tmp_path / "data"))
    await start_and_stop(demo_app(old_url, tmp_path / "other"))
    assert load_state(settings_for(old_url, tmp_path / "other")) == demo
    after = await read_database(old_url)
    assert restricted(after, before) == restricted(before, before)  # nothing changed, no second demo
    assert len(after["customers"]) == len(before["customers"])
    assert [row["id"] for row in after["demo_seed"]] == [1]
    assert capsys.readouterr().out.count(demo.customer_id) >= 2  # the walk-through names it


@pytest.mark.parametrize("email", [CUSTOMER_EMAIL, DEVELOPER_EMAIL])
async def test_a_demo_start_on_user_data_with_a_demo_email_changes_nothing(
    backend: str, old_url: str, tmp_path: Path, saved: Saved, email: str
) -> None:
    """A user's own customer with one of the demo's e-mails (and no demo.json): the --demo start
    fails before anything is written (nothing half-seeded), and a --no-demo start serves."""
    rows = dict(saved.rows_for(backend))
    own = {**rows["customers"][0], "id": "amzn1.account.USERSOWNDEMOLOOKALIKE", "email": email}
    rows["customers"] = [*rows["customers"], own]
    await migrate_to(old_url, BEFORE_DEMO_SEED)
    await write_rows(old_url, rows)
    before = await read_all(old_url)
    # Both say why and what to do (admin/demo.py); the developer's e-mail used to stop the start
    # on a bare Conflict, which named neither the demo nor --no-demo.
    told = (
        r"demo\.json is missing: .*or start with --no-demo"
        if email == CUSTOMER_EMAIL
        else rf"demo developer's e-mail {re.escape(email)}, .*start with --no-demo"
    )
    with pytest.raises(RuntimeError, match=told):
        await start_and_stop(demo_app(old_url, tmp_path / "data"))
    after = await read_all(old_url)
    assert restricted(after, before) == before  # nothing half-seeded
    assert "demo_seed" not in after  # nor migrated: the refusal rolled the migration back
    app = create_app(settings_for(old_url, tmp_path / "data"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            info = await http.get("/auth/o2/tokeninfo", headers=bearer(saved.world.developer_token))
            assert info.status_code == 200, info.text


# -- a migration that rebuilds a table on SQLite -----------------------------------------------------

#: A migration script after the newest one, for the probes below (never in migrations/versions).
PROBE_SCRIPT = '''"""probe

Revision ID: 9999_probe
Revises: {parent}
"""

import sqlalchemy as sa
from alembic import op

revision = "9999_probe"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''
#: What Alembic autogenerates for any change to a SQLite table (migrations/env.py renders batch
#: mode there): the table copied, the old one dropped, the copy renamed.
REBUILD_CUSTOMERS = """    with op.batch_alter_table("customers", recreate="always") as batch:
        batch.alter_column("name", existing_type=sa.String(200), type_=sa.String(300))"""
#: A migration that leaves the skills without their vendor.
ORPHAN_SKILLS = """    op.execute("DELETE FROM vendors")"""


def use_probe(monkeypatch: pytest.MonkeyPatch, folder: Path, body: str) -> None:
    """The migration scripts, and one more after the newest: `body`."""
    scripts = folder / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    probe = PROBE_SCRIPT.format(parent=HEAD, body=body)
    (scripts / "versions" / "9999_probe.py").write_text(probe, encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
    migrate.head_revision.cache_clear()
    migrate.known_revisions.cache_clear()


@pytest.fixture
def forget_probe() -> Iterator[None]:
    yield
    migrate.head_revision.cache_clear()  # the next call reads the real scripts again
    migrate.known_revisions.cache_clear()


@pytest.mark.parametrize(
    ("body", "upgrades"),
    [pytest.param(REBUILD_CUSTOMERS, True, id="rebuild"), pytest.param(ORPHAN_SKILLS, False, id="orphan")],
)
async def test_a_sqlite_migration_that_rebuilds_a_table_keeps_the_rows_referring_to_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    saved: Saved,
    forget_probe: None,
    body: str,
    upgrades: bool,
) -> None:
    """Rebuilding `customers` with foreign keys on deleted, through ON DELETE CASCADE, every
    token, enablement, network and evaluation of every customer (db/migrate.py runs the scripts
    with them off). A script that leaves rows pointing at nothing is refused, nothing changed."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
    await older_database(url, HEAD, saved)
    before = await read_all(url)
    use_probe(monkeypatch, tmp_path, body)
    engine = create_engine(url)
    try:
        if upgrades:
            await upgrade_to_head(engine)
        else:
            with pytest.raises(RuntimeError, match=r"foreign keys point at nothing \(in skills\)"):
                await upgrade_to_head(engine)
        async with engine.connect() as conn:  # the pool's one connection, the migration's
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
    finally:
        await engine.dispose()
    assert version == ("9999_probe" if upgrades else HEAD)
    assert restricted(await read_all(url), before) == before
