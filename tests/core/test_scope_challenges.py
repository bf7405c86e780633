"""A 403 for a token that lacks a scope carries RFC 6750 §3.1's challenge naming the scope, in every
bearer-token API, with an unchanged body; a 403 of another kind (another vendor's skill, another
region's endpoint, a token of the wrong client, an injected fault) carries none."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Admin
from tests.observe.helpers import add_fault

SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
READWRITE = "alexa::ask:skills:readwrite"
READ = "alexa::ask:skills:read"
ACCOUNT_LINKING = "alexa::skills:account_linking"
ASYNC_EVENTS = "alexa::async_event:write"
THREAD = "alexa::thread_network_credentials:read"
SMAPI_KEYS = {"code", "message", "violations"}


def challenge(scope: str) -> str:
    return f'Bearer realm="localexa", error="insufficient_scope", scope="{scope}"'


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(answer: httpx.Response, scope: str, keys: set[str]) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["WWW-Authenticate"] == challenge(scope)
    assert set(answer.json()) == keys


def not_a_scope_refusal(answer: httpx.Response) -> None:
    assert answer.status_code == 403, answer.text
    assert "insufficient_scope" not in answer.headers.get("WWW-Authenticate", "")


#: SMAPI routes (enablement, credentials, account linking configuration, evaluation): (method,
#: path, the scopes of the token sent, the challenge's scope).
SMAPI = {
    "enablement-put": ("PUT", f"/v1/skills/{SKILL}/stages/development/enablement", [READ], READWRITE),
    "enablement-get": (
        "GET",
        f"/v1/skills/{SKILL}/stages/development/enablement",
        ["profile"],
        f"{READWRITE} {READ}",
    ),
    "credentials": ("GET", f"/v1/skills/{SKILL}/credentials", ["profile"], f"{READWRITE} {READ}"),
    "account-linking": (
        "DELETE",
        f"/v1/skills/{SKILL}/stages/development/accountLinkingClient",
        [READ],
        READWRITE,
    ),
    "evaluation": (
        "POST",
        f"/v1/skills/{SKILL}/smartHome/testing/capabilityEvaluations",
        [READ],
        READWRITE,
    ),
}


@pytest.mark.parametrize("route", sorted(SMAPI))
async def test_smapi_scope_refusal_names_the_scope(
    client: httpx.AsyncClient, admin: Admin, route: str
) -> None:
    method, path, scopes, wanted = SMAPI[route]
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, scopes)
    answer = await client.request(method, path, headers=bearer(token))
    refused(answer, wanted, SMAPI_KEYS)
    assert answer.json()["code"] == "INSUFFICIENT_SCOPE"


async def test_customer_scope_refusal_names_the_scope(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["profile"])
    path = f"/v1/users/~current/skills/{SKILL}/enablement"
    # POST takes only the account-linking scope; GET also a skill's AcceptGrant token (an app's
    # token is neither), each refused in its own check.
    for answer in (
        await client.post(path, json={}, headers=bearer(token)),
        await client.get(path, headers=bearer(token)),
    ):
        refused(answer, ACCOUNT_LINKING, {"message"})


async def test_event_gateway_permission_refusal_names_it(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill(permissions=[])
    tokens = await admin.tokens(skill.messaging_client_id, skill.developer.user_id, [ASYNC_EVENTS])
    answer = await client.post("/v3/events", json={}, headers=bearer(tokens["access_token"]))
    refused(answer, ASYNC_EVENTS, {"header", "payload"})
    assert answer.json()["payload"]["code"] == "INSUFFICIENT_PERMISSION_EXCEPTION"


async def test_credential_locker_permission_refusal_names_it(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill(permissions=[ASYNC_EVENTS])
    tokens = await admin.tokens(skill.messaging_client_id, skill.developer.user_id, [ASYNC_EVENTS])
    answer = await client.get(
        "/credentiallocker/v2/threadNetworks",
        params={"extendedPanId": "dead00beef00cafe"},
        headers=bearer(tokens["access_token"]),
    )
    refused(answer, THREAD, {"code", "message"})
    assert answer.json()["code"] == "INSUFFICIENT_PERMISSION"


async def test_lwa_profile_scope_refusal_names_the_scopes(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    answer = await client.get("/user/profile", headers=bearer(token))
    refused(answer, "profile profile:user_id postal_code", {"error", "error_description"})


async def test_other_403s_carry_no_scope_challenge(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill(permissions=[ASYNC_EVENTS, THREAD])
    stranger = await admin.customer(name="Eve")
    # Another vendor's skill: no scope would help.
    other_vendor = await admin.access_token(stranger.user_id, [READWRITE])
    not_a_scope_refusal(
        await client.get(
            f"/v1/skills/{skill.skill_id}/stages/development/enablement", headers=bearer(other_vendor)
        )
    )
    # The customer's region is NA; the EU endpoint refuses whatever the token holds.
    linking = await admin.access_token(stranger.user_id, [ACCOUNT_LINKING])
    not_a_scope_refusal(
        await client.get(
            f"/v1/users/~current/skills/{skill.skill_id}/enablement",
            headers={**bearer(linking), "Host": "api.eu.amazonalexa.com"},
        )
    )
    # An app's token at the event gateway and the Credential Locker: the wrong client, not a scope.
    app_token = await admin.access_token(stranger.user_id, ["profile"])
    not_a_scope_refusal(await client.post("/v3/events", json={}, headers=bearer(app_token)))
    not_a_scope_refusal(
        await client.get(
            "/credentiallocker/v2/threadNetworks",
            params={"extendedPanId": "dead00beef00cafe"},
            headers=bearer(app_token),
        )
    )


async def test_a_faulted_403_carries_no_challenge(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/**", status=403)
    answer = await client.get(f"/v1/skills/{SKILL}/stages/development/enablement")
    assert answer.status_code == 403, answer.text
    assert answer.headers["X-Localexa-Fault"]
    assert "WWW-Authenticate" not in answer.headers
