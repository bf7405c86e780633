"""A replayed code revokes the tokens a refresh of its grant is issuing at that moment.

RFC 6749 §4.1.2 and §10.5: a code used twice revokes the tokens issued from it. On PostgreSQL, a
refresh that had read its refresh token before the replay's revocation and committed its new access
token after it kept that token (QA of 2026-12-07: 69 of 87 refreshes made during a replay still
answered tokeninfo). The revocation's UPDATE could not see a row inserted after it began. Now a
refresh holds its refresh token `FOR SHARE` until it commits, and the revocation takes the grant's
refresh token `FOR UPDATE` before it updates, so it waits for refreshes under way and then sees
what they issued; a refresh that comes after it finds the refresh token revoked. SQLite serialises
writers, so only PostgreSQL could race; the test runs there.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.lwa.token_endpoint import TokenEndpoint
from tests.factories import Admin
from tests.lwa.browser import REDIRECT_URI, Browser


async def _waiting_for_a_lock_or_done(app: FastAPI, task: asyncio.Task[httpx.Response]) -> None:
    """Until `task` is done or one of the app's connections waits for a row lock (the replay
    waiting for the refresh under way): whichever comes first, within 30 s."""
    engine = app.state.engine
    for _ in range(3000):
        if task.done():
            return
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the replay neither finished nor waited for the refresh")


async def test_a_refresh_under_way_during_a_replay_is_revoked_with_its_grant(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, browser: Browser, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: a refresh and a replay cannot overlap")
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, customer.email, customer.password)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "client_secret": secret,
    }
    first = await client.post("/auth/o2/token", data=exchange)
    assert first.status_code == 200, first.text
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first.json()["refresh_token"],
        "client_id": client_id,
        "client_secret": secret,
    }

    state = app.state
    async with state.sessions() as session:
        # A refresh that has issued its token and not committed yet, as the token endpoint's.
        issued = await TokenEndpoint(session, state.box, state.clock).handle(refresh, None)
        replay = asyncio.create_task(client.post("/auth/o2/token", data=exchange))
        await _waiting_for_a_lock_or_done(app, replay)
        await session.commit()
    replayed = await replay

    assert replayed.status_code == 400, replayed.text
    assert replayed.json()["error"] == "invalid_grant"
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": str(issued["access_token"])})
    assert info.status_code == 400, info.text  # it answered 200: the token outlived its grant
    assert info.json()["error"] == "invalid_token"
    again = await client.post("/auth/o2/token", data=refresh)
    assert again.json()["error"] == "invalid_grant"
