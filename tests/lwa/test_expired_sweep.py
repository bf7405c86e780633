"""Expired authorization codes and access tokens are deleted a day after they expire
(lwa/expired.py): by `POST /_localexa/clock`, by the background sweep, at start.

Until 2026-12-06 nothing deleted them: a staging server with years of time travel kept every code
and access token it ever issued (QA: 129 codes, ~530 access tokens expired years before).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import ColumnElement, event, func, select, update

from localexa.server.app import create_app
from localexa.server.lwa.expired import sweep_expired
from localexa.server.lwa.grants import KIND_LWA, store_code
from localexa.server.lwa.models import AuthorizationCode, Token
from localexa.server.observe.state import _state_tables, reset
from localexa.server.settings import Settings
from tests.console.test_console import _csrf, sign_in
from tests.factories import Admin, Customer, Skill
from tests.lwa.test_grant_codes import mint
from tests.lwa.test_token_cache import ENDPOINT, LINKING, bearer, cache_of, cached_token, token_lookups

TOKEN = "/auth/o2/token"
REDIRECT = "https://app.example.com/cb"
DAY = 86400
HOUR = 3600


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """With Redis when the suite has one: the token cache is on for PostgreSQL too."""
    redis_url = os.environ.get("LOCALEXA_TEST_REDIS_URL")
    return settings.model_copy(update={"redis_url": redis_url}) if redis_url else settings


async def count(
    app: FastAPI, model: type[AuthorizationCode] | type[Token], *where: ColumnElement[bool]
) -> int:
    async with app.state.engine.connect() as conn:
        found = (await conn.execute(select(func.count()).select_from(model).where(*where))).scalar()
    return int(found or 0)


async def lwa_code(app: FastAPI, client_id: str, user_id: str) -> str:
    """A code /ap/oa would give `client_id` for `user_id` (the page itself is tested elsewhere)."""
    async with app.state.sessions() as session:
        code = await store_code(
            session,
            app.state.box,
            app.state.clock,
            kind=KIND_LWA,
            client_id=client_id,
            user_id=user_id,
            scopes=["profile"],
            redirect_uri=REDIRECT,
        )
        await session.commit()
    return code


async def exchange(client: httpx.AsyncClient, code: str, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": secret,
        },
    )


async def refresh(client: httpx.AsyncClient, token: str, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": client_id,
            "client_secret": secret,
        },
    )


async def tokeninfo(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/auth/o2/tokeninfo", params={"access_token": token})


class World:
    """One customer's LWA rows of every kind: an unused code and a used one of /ap/oa, an unused
    AcceptGrant code, the exchanged pair, an admin-minted pair, a client_credentials token."""

    def __init__(self, customer: Customer, skill: Skill, client_id: str, secret: str) -> None:
        self.customer, self.skill = customer, skill
        self.client_id, self.secret = client_id, secret
        self.pair: dict[str, str] = {}
        self.minted: dict[str, str] = {}
        self.used_code = ""

    @classmethod
    async def build(cls, app: FastAPI, client: httpx.AsyncClient, admin: Admin) -> World:
        customer = await admin.customer()
        skill = await admin.skill(permissions=["alexa::async_event:write"])
        client_id, secret = await admin.lwa_client([REDIRECT])
        world = cls(customer, skill, client_id, secret)
        await lwa_code(app, client_id, customer.user_id)  # never exchanged
        await mint(app, skill, customer.user_id)  # an AcceptGrant code never exchanged
        world.used_code = await lwa_code(app, client_id, customer.user_id)
        answer = await exchange(client, world.used_code, client_id, secret)
        assert answer.status_code == 200, answer.text
        world.pair = answer.json()
        world.minted = await admin.tokens(client_id, customer.user_id, ["profile"])
        messaging = await client.post(
            TOKEN,
            data={
                "grant_type": "client_credentials",
                "scope": "alexa:skill_messaging",
                "client_id": skill.messaging_client_id,
                "client_secret": skill.messaging_client_secret,
            },
        )
        assert messaging.status_code == 200, messaging.text
        return world


async def test_an_advance_deletes_codes_and_access_tokens_a_day_past_their_expiry(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    world = await World.build(app, client, admin)
    assert await count(app, AuthorizationCode) == 3
    assert await count(app, Token, Token.kind == "access") == 3
    assert await count(app, Token, Token.kind == "refresh") == 2

    await admin.advance_clock(HOUR + DAY + 60)

    assert await count(app, AuthorizationCode) == 0  # unused, used and AcceptGrant codes
    assert await count(app, Token, Token.kind == "access") == 0  # Atza| and Atc|
    assert await count(app, Token, Token.kind == "refresh") == 2  # never expire, never swept
    gone = await tokeninfo(client, world.pair["access_token"])
    assert gone.json() == {"error": "invalid_token", "error_description": "The access token is not valid."}
    # The refresh tokens work on, and what they give is live.
    for pair in (world.pair, world.minted):
        refreshed = await refresh(client, pair["refresh_token"], world.client_id, world.secret)
        assert refreshed.status_code == 200, refreshed.text
        assert (await tokeninfo(client, refreshed.json()["access_token"])).status_code == 200
    # A code deleted is an unknown one: refused as before, with nothing left to revoke by it.
    replayed = await exchange(client, world.used_code, world.client_id, world.secret)
    assert replayed.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code is not valid.",
    }
    refreshed = await refresh(client, world.pair["refresh_token"], world.client_id, world.secret)
    assert refreshed.status_code == 200, refreshed.text


async def test_a_restore_sweeps_what_the_snapshot_held_past_the_grace(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    await World.build(app, client, admin)
    headers = admin.headers
    document = (await client.post("/_localexa/snapshot", headers=headers)).json()
    codes = document["tables"]["lwa_authorization_codes"]
    assert len(codes) == 3
    codes[0]["expires_at"] = "2000-01-01T00:00:00+00:00"  # long past, by any clock
    restored = await client.post("/_localexa/restore", headers=headers, json=document)
    assert restored.status_code == 200, restored.text
    assert await count(app, AuthorizationCode) == 2  # not left for the next hourly sweep


async def test_the_consoles_clock_form_sweeps_too(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    await World.build(app, client, admin)
    await sign_in(client)
    csrf = _csrf((await client.get("/console/clock")).text)
    moved = await client.post("/console/clock", data={"csrf_token": csrf, "seconds": str(HOUR + DAY + 60)})
    assert moved.status_code == 303
    assert await count(app, AuthorizationCode) == 0
    assert await count(app, Token, Token.kind == "access") == 0
    assert await count(app, Token, Token.kind == "refresh") == 2


async def test_within_the_grace_expired_rows_stay_and_answer_as_before(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    world = await World.build(app, client, admin)
    # The codes expired a day less a minute ago, the access tokens 23 hours ago.
    await admin.advance_clock(300 + DAY - 60)
    assert await count(app, AuthorizationCode) == 3
    assert await count(app, Token, Token.kind == "access") == 3
    expired = await tokeninfo(client, world.minted["access_token"])
    assert expired.json() == {"error": "invalid_token", "error_description": "The access token has expired."}
    profile = await client.get(
        "/user/profile", headers={"Authorization": f"Bearer {world.pair['access_token']}"}
    )
    assert profile.status_code == 401
    assert profile.json()["error_description"] == "The access token has expired."
    # A replayed code still revokes its grant (RFC 6749 §4.1.2): its refresh token ends.
    replayed = await exchange(client, world.used_code, world.client_id, world.secret)
    assert replayed.status_code == 400
    assert "already used" in replayed.json()["error_description"]
    ended = await refresh(client, world.pair["refresh_token"], world.client_id, world.secret)
    assert ended.json()["error"] == "invalid_grant"
    # Two minutes more: the codes are a day past their expiry, the tokens not yet.
    await admin.advance_clock(120)
    assert await count(app, AuthorizationCode) == 0
    assert await count(app, Token, Token.kind == "access") == 3
    assert (await tokeninfo(client, world.minted["access_token"])).json()["error_description"] == (
        "The access token has expired."
    )
    # The revoked refresh token stays revoked: revoked 2 minutes ago, it goes a day after that
    # (tests/lwa/test_revoked_sweep.py).
    assert await count(app, Token, Token.kind == "refresh", Token.revoked.is_(True)) == 1


async def test_live_tokens_are_left_alone_and_keep_their_cached_answer(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    cache = cache_of(app)
    customer = await admin.customer()
    old = await admin.access_token(customer.user_id, LINKING)
    await admin.advance_clock(HOUR + DAY + 60)  # `old` goes
    live = await cached_token(app, client, admin)
    before = await cache.epoch()
    with token_lookups(app) as lookups:
        await admin.advance_clock(HOUR - 60)  # a sweep: `old` is gone already, `live` lives
        swept = await app.state.expired_sweeper.sweep()
        assert swept is not None
        assert swept.access_tokens == 0
        answer = await client.get(ENDPOINT, headers=bearer(live))
        assert answer.status_code == 200, answer.text
    # Deleting expired tokens ends no live one: the token epoch stays, the cached answer serves.
    assert await cache.epoch() == before
    assert lookups == []
    assert (await tokeninfo(client, old)).json()["error_description"] == "The access token is not valid."
    assert await count(app, Token, Token.kind == "access") == 1


async def test_a_token_cached_while_live_answers_as_the_database_once_expired(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """The sweep does not move the token epoch, and the sweeping process's cached answer for a
    token it deleted said "has expired." for ever, where README (and every other process) says
    an unknown token: "is not valid." (QA of 2026-12-06)."""
    token = await cached_token(app, client, admin)
    await admin.advance_clock(HOUR + 60)
    expired = await client.get(ENDPOINT, headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json() == {"message": "The access token has expired."}
    await admin.advance_clock(DAY)  # a day past its expiry: swept
    assert await count(app, Token, Token.kind == "access") == 0
    for _ in range(2):  # and it stays so
        gone = await client.get(ENDPOINT, headers=bearer(token))
        assert gone.status_code == 401
        assert gone.json() == {"message": "The access token is not valid."}


async def test_a_start_sweeps_what_an_older_localexa_left(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, settings: Settings
) -> None:
    """A database an older localexa (or a server that never advanced the clock) filled: the
    rows expired years ago, and a restart deleted nothing (QA of 2026-12-06)."""
    await World.build(app, client, admin)
    years = timedelta(days=3 * 365)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            update(Token).where(Token.kind == "access").values(expires_at=Token.expires_at - years)
        )
        await conn.execute(update(AuthorizationCode).values(expires_at=AuthorizationCode.expires_at - years))
    assert await count(app, Token, Token.kind == "access") == 3
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        for _ in range(100):
            if not await count(app, AuthorizationCode) and not await count(
                app, Token, Token.kind == "access"
            ):
                break
            await asyncio.sleep(0.05)
        assert await count(app, AuthorizationCode) == 0
        assert await count(app, Token, Token.kind == "access") == 0
        assert await count(app, Token, Token.kind == "refresh") == 2


async def test_the_sweep_is_counted_and_logged_without_secrets(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    world = await World.build(app, client, admin)
    with caplog.at_level(logging.INFO, logger="localexa.lwa"):
        await admin.advance_clock(HOUR + DAY + 60)
    lines = [r.getMessage() for r in caplog.records if "expired more than" in r.getMessage()]
    assert lines == [
        "deleted 3 authorization codes and 3 access tokens expired more than 24 h ago by localexa's clock"
    ]
    logged = caplog.text
    for secret in (world.pair["access_token"], world.pair["refresh_token"], world.used_code):
        assert secret not in logged
        assert app.state.box.hash_token(secret) not in logged
    metrics = (await client.get("/metrics")).text
    assert 'localexa_lwa_expired_deleted_total{kind="authorization_code"} 3.0' in metrics
    assert 'localexa_lwa_expired_deleted_total{kind="access_token"} 3.0' in metrics


async def test_concurrent_sweeps_and_a_reset_neither_fail_nor_wait(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """Several processes sweep at once on PostgreSQL (each row goes once, nobody waits for
    another's rows), in batches, while a reset takes every table (no deadlock either way)."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    for _ in range(25):
        await admin.tokens(client_id, customer.user_id, ["profile"])
    async with app.state.engine.begin() as conn:
        await conn.execute(
            update(Token)
            .where(Token.kind == "access")
            .values(expires_at=Token.expires_at - timedelta(days=2))
        )
    engine, clock = app.state.engine, app.state.clock
    swept = await asyncio.gather(*(sweep_expired(engine, clock, batch=4) for _ in range(3)))
    assert sum(s.access_tokens for s in swept) == 25
    assert await count(app, Token, Token.kind == "refresh") == 25
    for _ in range(3):
        customer = await admin.customer()
        client_id, _ = await admin.lwa_client()
        await admin.tokens(client_id, customer.user_id, ["profile"])
        async with app.state.engine.begin() as conn:
            await conn.execute(
                update(Token)
                .where(Token.kind == "access")
                .values(expires_at=Token.expires_at - timedelta(days=2))
            )
        await asyncio.wait_for(
            asyncio.gather(reset(app), *(sweep_expired(engine, clock, batch=1) for _ in range(2))), 60
        )
        assert await count(app, Token) == 0


async def test_a_sweep_takes_its_tables_in_the_order_a_reset_does(app: FastAPI) -> None:
    """A reset locks every state table in one order (observe/state.py); a sweep that took two of
    them the other way round could deadlock with it. It reads the clock's row, then deletes
    codes, then tokens: the reset's order."""
    touched: list[str] = []
    names = [t.name for t in _state_tables()]

    sweeping = asyncio.current_task()

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # This task's statements only: the app's other workers share the engine (the after-link
        # runner's lease check read after_link_status mid-sweep once CI's set-up got faster).
        if asyncio.current_task() is not sweeping:
            return
        first = next((n for n in sorted(names, key=len, reverse=True) if f"FROM {n}" in statement), None)
        if first is not None and first not in touched:
            touched.append(first)

    # The sweep the app runs at start may still be going: stopped, so that the watch below sees
    # this sweep's statements only (CI once saw the start sweep's DELETE of tokens first).
    await app.state.expired_sweeper.stop()
    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        await app.state.expired_sweeper.sweep()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert touched == ["clock_state", "lwa_authorization_codes", "lwa_tokens"]
    assert touched == sorted(touched, key=names.index)


async def test_the_sweep_reads_the_expiry_indexes(app: FastAPI, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL plans tables this small as it likes")
    from localexa.server.lwa import repository

    async with app.state.engine.connect() as conn:
        plans = []
        for statement in (repository._EXPIRED_CODES, repository._EXPIRED_ACCESS_TOKENS):
            compiled = statement.compile(dialect=conn.dialect)
            rows = await conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(None for _ in compiled.positiontup or ())
            )
            plans.append(" ".join(str(row[-1]) for row in rows))
    assert "ix_lwa_authorization_codes_expires_at" in plans[0]
    assert "ix_lwa_tokens_expires_at" in plans[1]
