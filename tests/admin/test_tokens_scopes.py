"""`POST /_localexa/tokens` mints only tokens LWA could issue that client for a customer (admin-api.md:
"the pair LWA would issue to that client for that user after consent"). A skill's messaging
client's token minted with SMAPI scopes managed its own skill's credentials and account linking
as the developer, and `/user/profile` answered it (QA of 2026-12-05)."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Admin
from tests.observe.helpers import ADMIN


@pytest.mark.parametrize(
    "scopes",
    [
        ["alexa::ask:skills:readwrite"],
        ["alexa::ask:skills:read", "profile"],
        ["alexa:skill_messaging"],
        ["alexa::proactive_events"],
    ],
)
async def test_a_messaging_client_gets_no_smapi_or_client_credentials_scope(
    client: httpx.AsyncClient, admin: Admin, scopes: list[str]
) -> None:
    skill = await admin.skill()
    body = {"clientId": skill.messaging_client_id, "userId": skill.developer.user_id, "scopes": scopes}
    refused = await client.post("/_localexa/tokens", json=body, headers=ADMIN)
    assert refused.status_code == 400, refused.text
    assert "never granted" in refused.json()["message"]


async def test_what_lwa_grants_still_mints(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    app_client, _ = await admin.lwa_client()
    user = skill.developer.user_id
    for client_id, scopes in (
        (skill.messaging_client_id, ["alexa::async_event:write"]),
        (skill.messaging_client_id, ["profile"]),  # suites mint these; they reach only the profile
        (app_client, ["profile", "alexa::ask:skills:readwrite", "alexa::skills:account_linking"]),
    ):
        body = {"clientId": client_id, "userId": user, "scopes": scopes}
        minted = await client.post("/_localexa/tokens", json=body, headers=ADMIN)
        assert minted.status_code == 201, minted.text
    body = {"clientId": app_client, "userId": user, "scopes": ["alexa:skill_messaging"]}
    assert (await client.post("/_localexa/tokens", json=body, headers=ADMIN)).status_code == 400
