"""A skill whose account-linking server is localexa's own Login with Amazon (a standard Amazon
set-up: `authorizationUrl` /ap/oa, `accessTokenUrl` /auth/o2/token). On SQLite the refresh of its
linked token ran inside the directive's transaction, whose write lock the token endpoint of the
same server then waited for: every directive after the first hour was a 503 "did not answer
within 4.5 s", though LWA had refreshed (QA of 2026-12-05). PostgreSQL's row lock never blocked it."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.directives.conftest import send
from tests.factories import Admin
from tests.lwa.browser import REDIRECT_URI, Browser

SCOPES = ["profile"]


async def _linked_at_lwa(admin: Admin, client: httpx.AsyncClient, app: FastAPI, lx: str) -> tuple[str, str]:
    """A customer who enabled a skill linked through localexa's LWA: (user id, skill id)."""
    client_id, secret = await admin.lwa_client(redirect_uris=[REDIRECT_URI], name="Skill's LWA profile")
    skill = await admin.skill(
        endpoint="http://127.0.0.1:9/skill",  # nobody answers: the skill's answer is not the point
        account_linking={
            "type": "AUTH_CODE",
            "authorizationUrl": f"{lx}/ap/oa",
            "accessTokenUrl": f"{lx}/auth/o2/token",
            "clientId": client_id,
            "clientSecret": secret,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": SCOPES,
            "redirectUrls": [REDIRECT_URI],
        },
    )
    customer = await admin.customer()
    async with Browser(app) as browser:
        code = await browser.code_for(client_id, customer.email, customer.password, scope=" ".join(SCOPES))
    linking = await admin.access_token(customer.user_id, ["alexa::skills:account_linking"])
    body = {
        "stage": "development",
        "accountLinkRequest": {"redirectUri": REDIRECT_URI, "authCode": code, "type": "AUTH_CODE"},
    }
    enabled = await client.post(
        f"/v1/users/~current/skills/{skill.skill_id}/enablement",
        json=body,
        headers={"Authorization": f"Bearer {linking}"},
    )
    assert enabled.status_code == 201, enabled.text
    return customer.user_id, skill.skill_id


async def test_a_linked_token_is_refreshed_at_localexas_own_token_endpoint(
    admin: Admin, client: httpx.AsyncClient, app: FastAPI, localexa_url: str
) -> None:
    user_id, skill_id = await _linked_at_lwa(admin, client, app, localexa_url)
    await admin.advance_clock(3601)
    directive = {
        "userId": user_id,
        "skillId": skill_id,
        "endpointId": "lamp",
        "namespace": "Alexa",
        "name": "ReportState",
    }

    answers = await asyncio.gather(*(send(admin, directive) for _ in range(3)))

    for answer in answers:
        # The token was refreshed and the directive sent (the skill's endpoint does not answer:
        # that is the directive's own error, not the refresh's 503).
        assert answer.status_code == 200, answer.text
    refreshes = [
        entry
        for entry in (
            await client.get("/_localexa/journal", params={"path": "/auth/o2/token"}, headers=admin.headers)
        ).json()["entries"]
        if entry["direction"] == "inbound" and "refresh_token" in (entry["requestBody"] or "")
    ]
    assert len(refreshes) == 1, [e["status"] for e in refreshes]  # one refresh for the three
    assert refreshes[0]["status"] == 200
    # The stored token is fresh: the next directive refreshes nothing.
    assert (await send(admin, directive)).status_code == 200
    again = (
        await client.get("/_localexa/journal", params={"path": "/auth/o2/token"}, headers=admin.headers)
    ).json()["entries"]
    assert (
        sum(1 for e in again if e["direction"] == "inbound" and "refresh_token" in (e["requestBody"] or ""))
        == 1
    )
