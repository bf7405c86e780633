"""AcceptGrant codes (lwa/grants.py mint_grant_code): exchanged by the skill messaging client with
its credentials and without redirect_uri, as Amazon's sample_async.py does (spec §3, §4)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.lwa.grants import mint_grant_code
from tests.factories import Admin, Skill

TOKEN = "/auth/o2/token"


async def mint(app: FastAPI, skill: Skill, user_id: str, scopes: list[str] | None = None) -> str:
    async with app.state.sessions() as session:
        code = await mint_grant_code(
            session,
            app.state.box,
            app.state.clock,
            client_id=skill.messaging_client_id,
            user_id=user_id,
            skill_id=skill.skill_id,
            scopes=scopes or ["alexa::async_event:write"],
        )
        await session.commit()
    return code


def exchange_body(skill: Skill, code: str) -> dict[str, str]:
    # What sample_async.py posts: no redirect_uri.
    return {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": skill.messaging_client_id,
        "client_secret": skill.messaging_client_secret,
    }


async def test_grant_code_exchange_issues_a_customer_pair(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill(permissions=["alexa::async_event:write"])
    customer = await admin.customer()
    code = await mint(app, skill, customer.user_id)
    response = await client.post(TOKEN, data=exchange_body(skill, code))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"].startswith("Atza|")
    assert body["refresh_token"].startswith("Atzr|")
    info = (await client.get("/auth/o2/tokeninfo", params={"access_token": body["access_token"]})).json()
    assert info["user_id"] == customer.user_id
    assert info["aud"] == skill.messaging_client_id
    refreshed = await client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": skill.messaging_client_id,
            "client_secret": skill.messaging_client_secret,
        },
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] == body["refresh_token"]
    again = await client.post(TOKEN, data=exchange_body(skill, code))
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    revoked = await client.get("/auth/o2/tokeninfo", params={"access_token": body["access_token"]})
    assert revoked.status_code == 400


async def test_grant_code_expires_after_five_minutes(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    customer = await admin.customer()
    code = await mint(app, skill, customer.user_id)
    await admin.advance_clock(301)
    response = await client.post(TOKEN, data=exchange_body(skill, code))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_grant_code_needs_the_messaging_client_and_its_secret(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    other = await admin.skill(name="Other")
    customer = await admin.customer()
    code = await mint(app, skill, customer.user_id)
    stolen = await client.post(TOKEN, data=exchange_body(other, code))
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    no_secret = exchange_body(skill, code)
    del no_secret["client_secret"]
    anonymous = await client.post(TOKEN, data=no_secret)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    ok = await client.post(TOKEN, data=exchange_body(skill, code))
    assert ok.status_code == 200, ok.text  # the refused attempts did not use the code


async def test_mint_refuses_a_client_that_is_not_the_skills(app: FastAPI, admin: Admin) -> None:
    skill = await admin.skill()
    other = await admin.skill(name="Other")
    customer = await admin.customer()
    wrong = Skill(skill.skill_id, skill.vendor_id, skill.developer, other.messaging_client_id, "")
    with pytest.raises(ValueError, match="not the skill messaging client"):
        await mint(app, wrong, customer.user_id)
    with pytest.raises(ValueError, match="not a customer"):
        await mint(app, skill, "amzn1.account.NOBODY")


async def test_a_code_not_exchanged_before_the_skill_is_disabled_is_gone(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """Exchanged after the disable it gave the skill a new refresh token, refreshable for ever,
    and with it the customer's Thread network keys (QA of 2026-12-05). Disabling ends the grant:
    its refresh tokens and its codes."""
    skill = await admin.skill(permissions=["alexa::async_event:write"])
    other = await admin.skill(skill.developer, permissions=["alexa::async_event:write"], name="Other")
    developer = skill.developer.user_id
    smapi = await admin.access_token(developer, ["alexa::ask:skills:readwrite"])
    path = f"/v1/skills/{skill.skill_id}/stages/development/enablement"
    headers = {"Authorization": f"Bearer {smapi}"}
    assert (await client.put(path, headers=headers)).status_code == 204
    code = await mint(app, skill, developer)
    kept = await mint(app, other, developer)

    assert (await client.delete(path, headers=headers)).status_code == 204

    late = await client.post(TOKEN, data=exchange_body(skill, code))
    assert late.status_code == 400, late.text
    assert late.json()["error"] == "invalid_grant"
    # Another skill's grant of the same customer is not touched.
    assert (await client.post(TOKEN, data=exchange_body(other, kept))).status_code == 200
