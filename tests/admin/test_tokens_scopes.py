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
        (skill.messaging_client_id, ["profile"]),  # suites mint these; they reach only the profile (below)
        (app_client, ["profile", "alexa::ask:skills:readwrite", "alexa::skills:account_linking"]),
    ):
        body = {"clientId": client_id, "userId": user, "scopes": scopes}
        minted = await client.post("/_localexa/tokens", json=body, headers=ADMIN)
        assert minted.status_code == 201, minted.text
    body = {"clientId": app_client, "userId": user, "scopes": ["alexa:skill_messaging"]}
    assert (await client.post("/_localexa/tokens", json=body, headers=ADMIN)).status_code == 400


async def test_a_messaging_tokens_without_acceptgrants_scope_reach_only_the_profile(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """README: a messaging client's customer token minted with `profile` "reaches only
    /user/profile". It reached the event gateway (202) and the customer's enablement, whose
    DELETE unlinked the customer (authz37 F1): both ask for AcceptGrant's scope now."""
    skill = await admin.skill(permissions=["alexa::async_event:write"])
    customer = skill.developer.user_id
    developer = await admin.access_token(customer, ["alexa::ask:skills:readwrite"])
    enabled = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement",
        headers={"Authorization": f"Bearer {developer}"},
    )
    assert enabled.status_code == 204, enabled.text
    minted = await client.post(
        "/_localexa/tokens",
        json={"clientId": skill.messaging_client_id, "userId": customer, "scopes": ["profile"]},
        headers=ADMIN,
    )
    profile_only = {"Authorization": f"Bearer {minted.json()['access_token']}"}
    assert (await client.get("/user/profile", headers=profile_only)).status_code == 200

    event = await client.post("/v3/events", json={"event": {}}, headers=profile_only)
    assert event.status_code == 403, event.text
    assert event.json()["payload"]["code"] == "INSUFFICIENT_PERMISSION_EXCEPTION"
    assert "alexa::async_event:write" in event.json()["payload"]["description"]
    path = f"/v1/users/~current/skills/{skill.skill_id}/enablement"
    for method in ("GET", "DELETE"):
        refused = await client.request(method, path, headers=profile_only)
        assert refused.status_code == 403, (method, refused.text)
    # Still enabled: the DELETE was refused.
    granted = await admin.tokens(skill.messaging_client_id, customer, ["alexa::async_event:write"])
    status = await client.get(path, headers={"Authorization": f"Bearer {granted['access_token']}"})
    assert status.status_code == 200, status.text
