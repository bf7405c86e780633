"""Public PKCE clients get a refresh token they can use: a code issued with a PKCE challenge and
exchanged with `client_id` + `code_verifier` and no secret returns a refresh token, refreshed with
`client_id` alone (Amazon's AVS companion app flow). Refresh tokens of confidential exchanges still
need the secret."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import RowMapping, event, select

from localexa.server.lwa.models import Token
from tests.factories import Admin, Customer
from tests.lwa.browser import Browser, pkce_pair
from tests.lwa.test_token_endpoint import TOKEN, assert_error, basic, exchange, profile_status


@pytest.fixture
async def app_client(admin: Admin) -> tuple[str, str]:
    return await admin.lwa_client(name="Companion")


async def pkce_code(browser: Browser, client_id: str, ada: Customer) -> tuple[str, str]:
    """A code issued with an S256 challenge, and the verifier that proves it."""
    verifier, challenge = pkce_pair()
    code = await browser.code_for(
        client_id, ada.email, ada.password, code_challenge=challenge, code_challenge_method="S256"
    )
    return code, verifier


async def public_pair(
    client: httpx.AsyncClient, browser: Browser, client_id: str, ada: Customer
) -> dict[str, Any]:
    """The tokens of a PKCE exchange without the secret (the AVS device's exchange)."""
    code, verifier = await pkce_code(browser, client_id, ada)
    response = await exchange(client, client_id, None, code, code_verifier=verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(client: httpx.AsyncClient, refresh_token: str, **auth: str) -> httpx.Response:
    return await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh_token, **auth}
    )


async def test_pkce_exchange_without_secret_returns_a_refresh_token_refreshed_with_client_id_alone(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    pair = await public_pair(client, browser, client_id, ada)
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["refresh_token"].startswith("Atzr|")
    await admin.advance_clock(3601)
    assert await profile_status(client, pair["access_token"]) == 401  # the first one has expired
    # The AVS device's refresh: grant_type, refresh_token and client_id, no secret.
    response = await refresh(client, pair["refresh_token"], client_id=client_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] == pair["refresh_token"]  # not rotated, as for any LWA refresh
    assert body["access_token"] != pair["access_token"]
    assert await profile_status(client, body["access_token"]) == 200
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": body["access_token"]})
    assert (info.json()["aud"], info.json()["user_id"]) == (client_id, ada.user_id)
    # HTTP Basic with an empty password names the client without a secret too.
    named = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
        headers=basic(client_id, ""),
    )
    assert named.status_code == 200, named.text


async def test_public_refresh_token_with_wrong_or_missing_client(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    other_id, other_secret = await admin.lwa_client(name="Other")
    pair = await public_pair(client, browser, client_id, ada)
    token = pair["refresh_token"]
    # Another client's id without its secret: refused as any secretless refresh always was.
    assert_error(await refresh(client, token, client_id=other_id), 401, "invalid_client")
    # Another client, authenticated: the token is not its own.
    assert_error(
        await refresh(client, token, client_id=other_id, client_secret=other_secret), 400, "invalid_grant"
    )
    assert_error(
        await refresh(client, token, client_id="amzn1.application-oa2-client.nobody"), 401, "invalid_client"
    )
    assert_error(await refresh(client, token), 401, "invalid_client")
    # A secret, when sent, must be the right one; the right one works too.
    wrong = await refresh(client, token, client_id=client_id, client_secret="amzn1.oa2-cs.v1.wrong")
    assert_error(wrong, 401, "invalid_client")
    with_secret = await refresh(client, token, client_id=client_id, client_secret=secret)
    assert with_secret.status_code == 200, with_secret.text
    # An access token is no refresh token, public or not.
    assert_error(await refresh(client, pair["access_token"], client_id=client_id), 401, "invalid_client")


async def test_the_same_pkce_code_with_the_secret_gives_a_refresh_token_that_needs_it(
    client: httpx.AsyncClient, app: FastAPI, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    public = await public_pair(client, browser, client_id, ada)
    code, verifier = await pkce_code(browser, client_id, ada)
    confidential = await exchange(client, client_id, secret, code, code_verifier=verifier)
    assert confidential.status_code == 200, confidential.text
    token = confidential.json()["refresh_token"]
    # Refreshed with client_id alone, only the public one works.
    assert (await refresh(client, public["refresh_token"], client_id=client_id)).status_code == 200
    assert_error(await refresh(client, token, client_id=client_id), 401, "invalid_client")
    assert (await refresh(client, token, client_id=client_id, client_secret=secret)).status_code == 200
    rows = await token_rows(app, client_id)
    assert rows[app.state.box.hash_token(token)]["public_client"] is False
    assert rows[app.state.box.hash_token(public["refresh_token"])]["public_client"] is True


async def test_public_rows_are_marked_and_hold_no_token_in_clear(
    client: httpx.AsyncClient, app: FastAPI, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    pair = await public_pair(client, browser, client_id, ada)
    refreshed = (await refresh(client, pair["refresh_token"], client_id=client_id)).json()
    rows = await token_rows(app, client_id)
    box = app.state.box
    refresh_row = rows[box.hash_token(pair["refresh_token"])]
    assert (refresh_row["kind"], refresh_row["public_client"], refresh_row["expires_at"]) == (
        "refresh",
        True,
        None,
    )
    for access in (pair["access_token"], refreshed["access_token"]):
        row = rows[box.hash_token(access)]
        assert (row["kind"], row["public_client"]) == ("access", True)  # both, for the record
    stored = " ".join(str(value) for row in rows.values() for value in row.values())
    for secret in (pair["refresh_token"], pair["access_token"], refreshed["access_token"]):
        assert secret not in stored
        assert secret.split("|", 1)[1][:40] not in stored


async def test_a_replayed_public_code_revokes_the_public_refresh_token(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    code, verifier = await pkce_code(browser, client_id, ada)
    first = await exchange(client, client_id, None, code, code_verifier=verifier)
    pair = first.json()
    assert (await refresh(client, pair["refresh_token"], client_id=client_id)).status_code == 200
    replay = await exchange(client, client_id, None, code, code_verifier=verifier)
    assert_error(replay, 400, "invalid_grant")
    # The app learns to sign the customer in again: invalid_grant, not invalid_client.
    assert_error(await refresh(client, pair["refresh_token"], client_id=client_id), 400, "invalid_grant")
    assert await profile_status(client, pair["access_token"]) == 401


async def test_a_public_refresh_runs_the_statements_of_a_confidential_one(
    client: httpx.AsyncClient, app: FastAPI, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    """The public flag comes from the row the refresh reads anyway (the refresh is a measured hot
    path: tests/core/test_statement_budget.py pins the confidential one)."""
    client_id, secret = app_client
    public = await public_pair(client, browser, client_id, ada)
    code, verifier = await pkce_code(browser, client_id, ada)
    confidential = (await exchange(client, client_id, secret, code, code_verifier=verifier)).json()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The token endpoint's own work: the journal writer's batches (PostgreSQL) and throttled
        # re-reads of the clock and faults run beside it, whenever they fall due.
        if "lwa_" in statement:
            statements.append(statement)

    async def counted(token: str, **auth: str) -> int:
        await refresh(client, token, **auth)  # warm: statement caches, the clock
        statements.clear()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await refresh(client, token, **auth)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.text
        return len(statements)

    public_count = await counted(public["refresh_token"], client_id=client_id)
    confidential_count = await counted(
        confidential["refresh_token"], client_id=client_id, client_secret=secret
    )
    assert public_count == confidential_count == 3  # the client, the refresh token, the INSERT


async def token_rows(app: FastAPI, client_id: str) -> dict[str, RowMapping]:
    """Every stored column of the client's token rows, by token hash, as the database holds them."""
    table = Token.__table__
    async with app.state.sessions() as session:
        found = (await session.execute(select(table).where(table.c.client_id == client_id))).mappings().all()
    return {row["token_hash"]: row for row in found}


async def test_a_refresh_without_its_token_is_invalid_request_with_or_without_the_secret(
    client: httpx.AsyncClient, app_client: tuple[str, str]
) -> None:
    """RFC 6749 §5.2: a missing parameter is `invalid_request`. Without a secret it was
    `invalid_client` ("needs client authentication"), which sent a public client's developer
    with an empty `$RT` looking for a secret it should not need."""
    client_id, secret = app_client
    for auth in ({"client_id": client_id}, {"client_id": client_id, "client_secret": secret}):
        missing = await client.post(TOKEN, data={"grant_type": "refresh_token", **auth})
        assert assert_error(missing, 400, "invalid_request")["error_description"] == (
            "The refresh_token parameter is required."
        )
        assert_error(await refresh(client, "", **auth), 400, "invalid_request")
