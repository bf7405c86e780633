"""A start under another secret key is refused even when no sealed client secret tells it.

Before 2026-12-06 only a sealed client secret could tell another key (QA8): right after a reset
(no skill left) a process with another key started, its tokens were refused by the others, and a
skill it created sealed its secret under the wrong key, after which the right processes refused
to start. The database now keeps a text sealed under its key (lwa/key_check.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import DateTime, bindparam, select, text

from localexa.server.app import create_app
from localexa.server.db.base import SecretKeyCheck
from localexa.server.db.engine import create_engine
from localexa.server.lwa.key_check import check_secret_key
from localexa.server.lwa.registry import WrongSecretKey
from localexa.server.observe.state import reset
from tests.core.test_upgrade_with_data import own_postgres
from tests.core.upgrade_data import migrate_to, settings_for

KEY_A = "key-a-" + "0123456789abcdef" * 2
KEY_B = "key-b-" + "fedcba9876543210" * 2


def database(backend: str, tmp_path: Path, name: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
        return
    with own_postgres(name) as url:
        yield url


@pytest.fixture
def new_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_new")


@pytest.fixture
def old_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_old")


@pytest.fixture
def race_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_race")


def app_for(url: str, data_dir: Path, key: str) -> FastAPI:
    return create_app(settings_for(url, data_dir, secret_key=key))


async def start_and_stop(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


async def stored_checks(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(SecretKeyCheck.sealed))).scalars())
    finally:
        await engine.dispose()


async def test_another_key_is_refused_on_a_database_without_any_sealed_secret(
    new_url: str, tmp_path: Path
) -> None:
    first = app_for(new_url, tmp_path / "a", KEY_A)
    async with first.router.lifespan_context(first):
        await reset(first)  # nothing sealed is left: before, only a sealed client secret told
    with pytest.raises(WrongSecretKey, match="sealed under another secret key"):
        await start_and_stop(app_for(new_url, tmp_path / "b", KEY_B))
    await start_and_stop(app_for(new_url, tmp_path / "a", KEY_A))  # its own key still starts
    assert len(await stored_checks(new_url)) == 1


async def test_a_database_from_before_the_check_takes_the_key_of_its_first_start(
    old_url: str, tmp_path: Path
) -> None:
    await migrate_to(old_url, "0008_expiry_indexes")  # no sealed secret, no check row
    await start_and_stop(app_for(old_url, tmp_path / "a", KEY_A))
    assert len(await stored_checks(old_url)) == 1
    with pytest.raises(WrongSecretKey):
        await start_and_stop(app_for(old_url, tmp_path / "b", KEY_B))


async def test_of_two_first_starts_with_different_keys_one_is_refused(race_url: str, tmp_path: Path) -> None:
    outcomes = await asyncio.gather(
        start_and_stop(app_for(race_url, tmp_path / "a", KEY_A)),
        start_and_stop(app_for(race_url, tmp_path / "b", KEY_B)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, WrongSecretKey)]
    assert len(refused) == 1, outcomes
    assert sum(o is None for o in outcomes) == 1, outcomes
    assert len(await stored_checks(race_url)) == 1


async def test_the_check_is_neither_state_nor_emptied_by_a_reset(app: FastAPI) -> None:
    from localexa.server.observe.state import snapshot

    engine = app.state.engine
    async with engine.begin() as conn:  # the row again: the PostgreSQL tests' fixture empties all
        await check_secret_key(conn, app.state.box)
    assert "secret_key_check" not in (await snapshot(app))["tables"]
    await reset(app)
    async with engine.connect() as conn:
        assert (await conn.execute(select(SecretKeyCheck.id))).scalars().all() == [1]


@pytest.fixture
def unconfirmed_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_unconfirmed")


async def test_an_older_database_that_nothing_sealed_can_confirm_is_not_recorded(
    unconfirmed_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgraded database with clients and tokens but no skill: the first start's key could be
    the wrong one, and recording it locked the right one out for good (re-verification of
    2026-12-06). It is recorded once the database can tell, here after a reset."""
    await migrate_to(unconfirmed_url, "0008_expiry_indexes")
    engine = create_engine(unconfirmed_url)
    try:
        async with engine.begin() as conn:
            # `now` typed as the models bind it: untyped, SQLite got it through sqlite3's default
            # datetime adapter, a DeprecationWarning since Python 3.12 (an error in this suite).
            await conn.execute(
                text(
                    "INSERT INTO lwa_clients (client_id, name, secret_hash, redirect_uris, created_at)"
                    " VALUES ('client-1', 'app', 'hash-under-key-a', '[]', :now)"
                ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
                {"now": datetime.now(UTC)},
            )
    finally:
        await engine.dispose()
    await start_and_stop(app_for(unconfirmed_url, tmp_path / "b", KEY_B))  # as before 0009
    assert "written before localexa recorded the secret key" in caplog.text
    assert await stored_checks(unconfirmed_url) == []
    right = app_for(unconfirmed_url, tmp_path / "a", KEY_A)
    async with right.router.lifespan_context(right):
        assert await stored_checks(unconfirmed_url) == []
        await reset(right)  # empty now: the resetting key is recorded, not the next start's
        assert len(await stored_checks(unconfirmed_url)) == 1
    with pytest.raises(WrongSecretKey):
        await start_and_stop(app_for(unconfirmed_url, tmp_path / "b", KEY_B))
