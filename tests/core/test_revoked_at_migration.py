"""Migration 0012_revoked_at: tokens revoked before it get the upgrade's time by localexa's clock
(they do not say when they were revoked), so the sweep deletes them a day after the upgrade,
not at once (lwa/expired.py); tokens not revoked get none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import DateTime, String, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.clock import Clock, as_utc
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import upgrade_to_head
from localexa.server.lwa.expired import Swept, sweep_expired
from tests.core.test_upgrade_with_data import own_postgres
from tests.core.upgrade_data import migrate_to

BEFORE = "0011_journal_ids_never_reused"
#: The clock of the upgraded database: five days ahead of the wall clock.
OFFSET = 5 * 86400.0
DAY = 86400.0


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
        return
    with own_postgres("revoked_at") as database:
        yield database


ROWS = [
    "INSERT INTO clock_state (id, offset_seconds) VALUES (1, :offset)",
    "INSERT INTO customers (id, name, email, password_hash, region, created_at) "
    "VALUES ('amzn1.account.A', 'Ada', 'ada@example.com', 'x', 'NA', :at)",
    "INSERT INTO lwa_clients (client_id, name, secret_hash, redirect_uris, created_at) "
    "VALUES ('amzn1.application-oa2-client.A', 'App', 'x', '[]', :at)",
]
TOKEN = (
    "INSERT INTO lwa_tokens (token_hash, kind, client_id, user_id, scopes, grant_id, issued_at, "
    "expires_at, revoked, public_client) VALUES (:hash, 'refresh', 'amzn1.application-oa2-client.A', "
    "'amzn1.account.A', 'profile', :hash, :at, NULL, :revoked, false)"
)


async def test_tokens_revoked_before_the_migration_go_a_day_after_it(url: str) -> None:
    await migrate_to(url, BEFORE)
    engine = create_engine(url)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            for statement in ROWS:
                await conn.execute(_timed(statement), {"offset": OFFSET, "at": long_ago})
            for name, revoked in (("revoked", True), ("live", False)):
                await conn.execute(_timed(TOKEN), {"hash": name, "at": long_ago, "revoked": revoked})
        await upgrade_to_head(engine)
        upgraded = datetime.now(UTC) + timedelta(seconds=OFFSET)
        async with engine.connect() as conn:
            read = text("SELECT token_hash, revoked_at FROM lwa_tokens").columns(
                token_hash=String(), revoked_at=DateTime(timezone=True)
            )
            rows = (await conn.execute(read)).all()
        stamps = {name: None if at is None else as_utc(at) for name, at in rows}
        assert stamps["live"] is None
        stamped = stamps["revoked"]
        assert stamped is not None
        assert abs((stamped - upgraded).total_seconds()) < 60, (stamped, upgraded)

        # The sweep reads the shared clock in its transaction: moved here as an advance would.
        assert (await _sweep_at(engine, OFFSET + DAY - 120)).revoked_tokens == 0
        assert (await _sweep_at(engine, OFFSET + DAY + 120)).revoked_tokens == 1
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT token_hash FROM lwa_tokens"))).scalars().all()
        assert left == ["live"]
    finally:
        await engine.dispose()


def _timed(statement: str) -> TextClause:
    """`statement` with `:at` typed, so SQLite stores it as the models do."""
    clause = text(statement)
    return clause.bindparams(bindparam("at", type_=DateTime(timezone=True))) if ":at" in statement else clause


async def _sweep_at(engine: AsyncEngine, offset: float) -> Swept:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE clock_state SET offset_seconds = :offset"), {"offset": offset})
    return await sweep_expired(engine, Clock())
