"""A start that refuses leaves an older database as it was, at its own revision.

The migration ran first and the refusals after it (another secret key, the demo's "demo.json is
missing"): the start refused, yet the database was now at the newest revision, and the older
localexa the user went back to could no longer open it (QA, 2026-12-06). The refusals now run in
the migration's own transaction (db/migrate.py `upgrade_to_head`), which a refusal rolls back.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import DateTime, bindparam, text

from localexa.cli.serve_run import demo_checks, demo_hooks
from localexa.cli.start_failure import last_line
from localexa.server.admin.demo import CUSTOMER_EMAIL
from localexa.server.app import create_app
from localexa.server.core.crypto import SecretBox
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import current_revision
from tests.core.test_upgrade_with_data import own_postgres
from tests.core.upgrade_data import migrate_to, settings_for

FIRST = "0001_initial"
OTHER_KEY = "another-key-" + "fedcba9876543210" * 2


@pytest.fixture
def old_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
        return
    with own_postgres("refused") as url:
        yield url


async def execute(url: str, sql: str, **values: object) -> None:
    # A datetime is bound as the models bind it (DateTime(timezone=True)): passed untyped, SQLite
    # got it through sqlite3's default datetime adapter, deprecated since Python 3.12 (a
    # DeprecationWarning, an error under the suite's filterwarnings).
    times = [
        bindparam(name, type_=DateTime(timezone=True))
        for name, v in values.items()
        if isinstance(v, datetime)
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql).bindparams(*times), values)
    finally:
        await engine.dispose()


async def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


async def start_and_stop(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


async def test_a_start_under_another_secret_key_leaves_an_older_database_at_its_revision(
    old_url: str, tmp_path: Path
) -> None:
    await migrate_to(old_url, FIRST)
    sealed = SecretBox(b"the-key-it-was-written-with").seal("client secret", context="client-1")
    await execute(
        old_url,
        "INSERT INTO lwa_clients (client_id, name, secret_hash, secret_sealed, redirect_uris, created_at)"
        " VALUES ('client-1', 'app', 'hash', :sealed, '[]', :now)",
        sealed=sealed,
        now=datetime.now(UTC),
    )
    settings = settings_for(old_url, tmp_path / "data", secret_key=OTHER_KEY)
    with pytest.raises(RuntimeError, match="sealed under another secret key") as refused:
        await start_and_stop(create_app(settings))
    assert await revision_of(old_url) == FIRST  # an older localexa still opens it
    # `cannot start:` shows the message as the README quotes it, not "RuntimeError: …".
    shown = last_line("".join(traceback.format_exception_only(refused.value)))
    assert shown.startswith("the database holds secrets sealed under another secret key"), shown


async def test_a_refused_demo_start_leaves_an_older_database_at_its_revision(
    old_url: str, tmp_path: Path
) -> None:
    """An older localexa's demo (kept only in its data dir's demo.json), started from another
    data dir: refused, naming both ways out, and nothing migrated."""
    await migrate_to(old_url, FIRST)
    await execute(
        old_url,
        "INSERT INTO customers (id, name, email, password_hash, region, created_at)"
        " VALUES ('amzn1.account.DEMO', 'Demo Customer', :email, 'x', 'NA', :now)",
        email=CUSTOMER_EMAIL,
        now=datetime.now(UTC),
    )
    settings = settings_for(old_url, tmp_path / "new-data-dir", demo=True)
    app = create_app(settings, startup_hooks=demo_hooks(settings), start_checks=demo_checks(settings))
    with pytest.raises(RuntimeError, match=r"demo\.json is missing") as refused:
        await start_and_stop(app)
    assert "--no-demo" in str(refused.value)
    assert "data dir that seeded it" in str(refused.value)
    assert await revision_of(old_url) == FIRST
