"""Cached token checks (lwa/token_cache.py): served from memory, and ended at once by every
revocation, whatever code path writes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from localexa.server.lwa.token_cache import CachedToken, TokenCache, may_revoke
from localexa.server.settings import Settings
from tests.factories import Admin

#: Checked by the token verifier alone (no route-level token lookup of its own).
ENDPOINT = "/v1/alexaApiEndpoint"
LINKING = ["alexa::skills:account_linking"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with Redis when the suite has one (CI): then the cache is on for
    PostgreSQL too and shares its epoch through Redis, as several processes would."""
    redis_url = os.environ.get("LOCALEXA_TEST_REDIS_URL")
    return settings.model_copy(update={"redis_url": redis_url}) if redis_url else settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def token_lookups(app: FastAPI) -> Iterator[list[str]]:
    """The statements that read the token table while the block runs."""
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "lwa_tokens" in statement:
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def cache_of(app: FastAPI) -> TokenCache:
    cache: TokenCache = app.state.token_verifier.cache
    if not cache.enabled:
        pytest.skip("the token cache is off on PostgreSQL without Redis")
    return cache


async def cached_token(app: FastAPI, client: httpx.AsyncClient, admin: Admin) -> str:
    """A customer's live token, checked once so its answer is in the cache."""
    cache_of(app)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, LINKING)
    assert (await client.get(ENDPOINT, headers=bearer(token))).status_code == 200
    return token


async def test_a_live_token_is_checked_in_the_database_once(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    cache_of(app)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, LINKING)
    with token_lookups(app) as lookups:
        for _ in range(5):
            answer = await client.get(ENDPOINT, headers=bearer(token))
            assert answer.status_code == 200, answer.text
    assert len(lookups) == 1


async def test_unknown_tokens_are_never_cached(app: FastAPI, client: httpx.AsyncClient) -> None:
    cache = cache_of(app)
    with token_lookups(app) as lookups:
        for _ in range(3):
            assert (await client.get(ENDPOINT, headers=bearer("Atza|nope"))).status_code == 401
    assert len(lookups) == 3
    assert len(cache) == 0


async def test_a_revoking_write_ends_cached_answers_before_it_returns(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """Any UPDATE of the token table (here the one a replayed code runs), committed through any
    connection of the engine, voids the cache."""
    token = await cached_token(app, client, admin)
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE lwa_tokens SET revoked = :yes"), {"yes": True})
    answer = await client.get(ENDPOINT, headers=bearer(token))
    assert answer.status_code == 401


async def test_a_rolled_back_write_keeps_the_cache(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    token = await cached_token(app, client, admin)
    cache = cache_of(app)
    before = await cache.epoch()
    async with app.state.engine.connect() as conn:
        await conn.execute(text("UPDATE lwa_tokens SET revoked = :yes"), {"yes": True})
        await conn.rollback()
    assert await cache.epoch() == before
    assert (await client.get(ENDPOINT, headers=bearer(token))).status_code == 200


async def test_reset_ends_cached_tokens(app: FastAPI, client: httpx.AsyncClient, admin: Admin) -> None:
    token = await cached_token(app, client, admin)
    reset = await client.post("/_localexa/reset", headers=admin.headers)
    assert reset.status_code == 200, reset.text
    assert (await client.get(ENDPOINT, headers=bearer(token))).status_code == 401


async def test_a_cached_token_still_expires_by_the_clock(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    token = await cached_token(app, client, admin)
    await admin.advance_clock(3601)
    answer = await client.get(ENDPOINT, headers=bearer(token))
    assert answer.status_code == 401
    assert "expired" in answer.text.lower()


@pytest.mark.parametrize(
    ("statement", "revokes"),
    [
        pytest.param("UPDATE lwa_tokens SET revoked=1 WHERE grant_id=?", True, id="revoke"),
        pytest.param("DELETE FROM customers WHERE id=?", True, id="cascade"),
        pytest.param("delete from skills", True, id="lower-case"),
        pytest.param("UPDATE vendors SET name=?", True, id="vendor"),
        pytest.param("TRUNCATE a, b CASCADE", True, id="truncate"),
        pytest.param("DROP TABLE lwa_tokens", True, id="ddl"),
        pytest.param("INSERT INTO lwa_tokens (token_hash) VALUES (?)", False, id="new-token"),
        pytest.param("SELECT * FROM lwa_tokens", False, id="read"),
        pytest.param("UPDATE clock_state SET offset_seconds=?", False, id="clock"),
        pytest.param("DELETE FROM journal_entries WHERE id <= ?", False, id="journal"),
        pytest.param("UPDATE enablements SET link_status=? WHERE customer_id=?", False, id="column-names"),
    ],
)
def test_which_statements_may_revoke(statement: str, revokes: bool) -> None:
    assert may_revoke(statement) is revokes


async def test_the_cache_is_bounded() -> None:
    cache = TokenCache(enabled=True, max_entries=3)
    epoch = await cache.epoch()
    assert epoch is not None
    token = CachedToken("client", "user", frozenset({"profile"}), datetime.now(UTC))
    for n in range(5):
        cache.put(f"hash-{n}", epoch, token)
    assert len(cache) == 3
    assert cache.get("hash-0", epoch) is None
    assert cache.get("hash-4", epoch) == token
    cache.revoked()
    assert cache.get("hash-4", epoch) is None
