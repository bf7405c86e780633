"""Revoked tokens are deleted a day after their revocation by localexa's clock (lwa/expired.py).

Until 2026-12-07 a revoked refresh token stayed for ever (soak review F2): refresh tokens never
expire, so the sweep of expired rows never took them. Before and after its deletion a revoked
refresh token answers as an unknown one: `invalid_grant` "The refresh token is not valid."
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from localexa.server.core.clock import as_utc
from localexa.server.lwa import repository
from localexa.server.lwa.models import Token
from tests.factories import Admin, Customer
from tests.lwa.browser import Browser
from tests.lwa.test_expired_sweep import DAY, REDIRECT, count, exchange, lwa_code, refresh
from tests.lwa.test_grant_codes import exchange_body, mint
from tests.lwa.test_public_refresh import pkce_code
from tests.lwa.test_public_refresh import refresh as public_refresh
from tests.lwa.test_token_endpoint import exchange as token_exchange

NOT_VALID = {"error": "invalid_grant", "error_description": "The refresh token is not valid."}


async def revoked_at(app: FastAPI) -> list[datetime]:
    """The `revoked_at` of the revoked tokens (None for one that has none)."""
    query = select(Token.revoked_at).where(Token.revoked.is_(True)).order_by(Token.token_hash)
    async with app.state.engine.connect() as conn:
        return [as_utc(at) for at in (await conn.execute(query)).scalars()]


async def test_a_revoked_refresh_token_goes_a_day_after_its_revocation(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    # The clock is 10 days ahead: the revocation is stamped by localexa's clock, not the wall's.
    now = datetime.fromisoformat(await admin.advance_clock(10 * DAY))
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client([REDIRECT])
    code = await lwa_code(app, client_id, customer.user_id)
    pair = (await exchange(client, code, client_id, secret)).json()
    live = await admin.tokens(client_id, customer.user_id, ["profile"])

    # A replayed code revokes its grant (RFC 6749 §4.1.2): the pair it issued.
    replayed = await exchange(client, code, client_id, secret)
    assert replayed.json()["error"] == "invalid_grant"
    stamps = await revoked_at(app)
    assert len(stamps) == 2  # the access and the refresh token of the code's grant
    for stamp in stamps:
        assert abs((stamp - now).total_seconds()) < 60, (stamp, now)
    assert (await refresh(client, pair["refresh_token"], client_id, secret)).json() == NOT_VALID

    # Within the day the revoked rows stay, and answer as before.
    await admin.advance_clock(DAY - 60)
    assert await count(app, Token, Token.revoked.is_(True)) == 2
    assert (await refresh(client, pair["refresh_token"], client_id, secret)).json() == NOT_VALID

    with caplog.at_level(logging.INFO, logger="localexa.lwa"):
        await admin.advance_clock(120)
    assert await count(app, Token, Token.revoked.is_(True)) == 0
    # A deleted one is an unknown one: the same answer.
    assert (await refresh(client, pair["refresh_token"], client_id, secret)).json() == NOT_VALID
    # The live pair: its refresh token is never swept, its access token goes with its expiry
    # (an hour and a day after it was issued: not yet).
    assert await count(app, Token, Token.kind == "refresh") == 1
    assert await count(app, Token, Token.kind == "access") == 1
    refreshed = await refresh(client, live["refresh_token"], client_id, secret)
    assert refreshed.status_code == 200, refreshed.text
    assert "deleted 2 LWA tokens revoked more than 24 h ago by localexa's clock" in caplog.messages
    metrics = (await client.get("/metrics")).text
    assert 'localexa_lwa_expired_deleted_total{kind="revoked_token"} 2.0' in metrics


async def test_a_disabled_skills_refresh_token_goes_a_day_after_the_disable(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, backend: str
) -> None:
    """The other place that revokes (lwa/repository.py `end_skill_grants`) stamps it too."""
    if backend != "sqlite":
        pytest.skip("the stamp is dialect-free; the sweep's PostgreSQL path is tested above")
    skill = await admin.skill(permissions=["alexa::async_event:write"])
    developer = skill.developer
    smapi = await admin.access_token(developer.user_id, ["alexa::ask:skills:readwrite"])
    enablement = f"/v1/skills/{skill.skill_id}/stages/development/enablement"
    headers = {"Authorization": f"Bearer {smapi}"}
    assert (await client.put(enablement, headers=headers)).status_code == 204
    code = await mint(app, skill, developer.user_id)
    exchanged = await client.post("/auth/o2/token", data=exchange_body(skill, code))
    assert exchanged.status_code == 200, exchanged.text
    token = exchanged.json()["refresh_token"]
    args = (skill.messaging_client_id, skill.messaging_client_secret)
    now = datetime.fromisoformat(await admin.advance_clock(3 * DAY))  # smapi's token expires: a new one
    smapi = await admin.access_token(developer.user_id, ["alexa::ask:skills:readwrite"])

    disabled = await client.delete(enablement, headers={"Authorization": f"Bearer {smapi}"})
    assert disabled.status_code == 204, disabled.text
    assert [abs((at - now).total_seconds()) < 60 for at in await revoked_at(app)] == [True]
    assert (await refresh(client, token, *args)).json() == NOT_VALID
    skills_tokens = Token.client_id == skill.messaging_client_id
    await admin.advance_clock(DAY - 60)
    assert await count(app, Token, skills_tokens, Token.kind == "refresh") == 1
    await admin.advance_clock(120)
    assert await count(app, Token, skills_tokens, Token.kind == "refresh") == 0
    assert await count(app, Token, Token.kind == "refresh") == 2  # the admin's, never revoked
    assert (await refresh(client, token, *args)).json() == NOT_VALID


async def test_a_second_revocation_keeps_the_first_ones_time(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, backend: str
) -> None:
    """Replaying the code again within its day does not push the deletion back."""
    if backend != "sqlite":
        pytest.skip("the same UPDATE on both")
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client([REDIRECT])
    code = await lwa_code(app, client_id, customer.user_id)
    assert (await exchange(client, code, client_id, secret)).status_code == 200
    assert (await exchange(client, code, client_id, secret)).status_code == 400
    first = await revoked_at(app)
    await admin.advance_clock(120)  # the code (5 minutes) still lives
    assert (await exchange(client, code, client_id, secret)).status_code == 400
    assert await revoked_at(app) == first


async def test_the_sweep_reads_the_partial_index_of_revoked_tokens(app: FastAPI, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL plans tables this small as it likes")
    async with app.state.engine.connect() as conn:
        compiled = repository._REVOKED_TOKENS.compile(dialect=conn.dialect)
        rows = await conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(None for _ in compiled.positiontup or ())
        )
        plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_lwa_tokens_revoked_at" in plan


async def test_a_public_clients_revoked_refresh_token_reads_as_unknown_once_deleted(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, backend: str
) -> None:
    """Refreshed with client_id alone: `invalid_grant` while the revoked row is there, then
    `invalid_client`, as any refresh token unknown without the secret (lwa/expired.py)."""
    if backend != "sqlite":
        pytest.skip("the token endpoint's answers: the same on both")
    client_id, _ = await admin.lwa_client(name="Companion")
    code, verifier = await pkce_code(browser, client_id, ada)
    exchanged = await token_exchange(client, client_id, None, code, code_verifier=verifier)
    token = exchanged.json()["refresh_token"]
    replayed = await token_exchange(client, client_id, None, code, code_verifier=verifier)
    assert replayed.json()["error"] == "invalid_grant"
    revoked = await public_refresh(client, token, client_id=client_id)
    assert revoked.json() == NOT_VALID
    await admin.advance_clock(DAY + 60)
    unknown = await public_refresh(client, token, client_id=client_id)
    assert unknown.status_code == 401, unknown.text
    assert unknown.json() == {
        "error": "invalid_client",
        "error_description": "The refresh_token grant needs client authentication (client_secret).",
    }
