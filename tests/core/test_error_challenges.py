"""Every 401 of a bearer-token API carries a Bearer challenge (RFC 6750 §3; SMAPI's spec.json lists
`WWW-Authenticate` on its 401s), its own refusals and a fault's alike, in an unchanged body."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.observe.helpers import add_fault

SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
CHALLENGE = 'Bearer realm="localexa"'
INVALID = 'Bearer realm="localexa", error="invalid_token"'
#: One call of each bearer-token API: (method, path, the keys of its 401 body).
CALLS = {
    "smapi": ("GET", f"/v1/skills/{SKILL}/stages/development/enablement", {"code", "message"}),
    "evaluation": (
        "GET",
        f"/v1/skills/{SKILL}/smartHome/testing/capabilityTestPlans?stage=development",
        {"code", "message", "violations"},
    ),
    "customer": ("GET", f"/v1/users/~current/skills/{SKILL}/enablement", {"message"}),
    "credential_locker": (
        "GET",
        "/credentiallocker/v2/threadNetworks?extendedPanId=dead00beef00cafe",
        {"code", "message"},
    ),
    "events": ("POST", "/v3/events", {"header", "payload"}),
    "lwa_profile": ("GET", "/user/profile", {"error", "error_description"}),
}


@pytest.mark.parametrize("api", sorted(CALLS))
async def test_a_401_carries_a_bearer_challenge(client: httpx.AsyncClient, api: str) -> None:
    method, path, keys = CALLS[api]
    missing = await client.request(method, path, json={} if method == "POST" else None)
    assert missing.status_code == 401, missing.text
    # No credentials at all: a challenge without an error code (RFC 6750 §3.1).
    assert missing.headers["WWW-Authenticate"] == CHALLENGE
    assert set(missing.json()) == keys
    # `Bearer ` with nothing after it (an unset variable in a script) is no token either.
    for empty in ("Bearer ", "bearer", "Bearer    "):
        blank = await client.request(
            method, path, headers={"Authorization": empty}, json={} if method == "POST" else None
        )
        assert blank.status_code == 401, blank.text
        assert blank.headers["WWW-Authenticate"] == CHALLENGE, empty
    refused = await client.request(
        method, path, headers={"Authorization": "Bearer Atza|nope"}, json={} if method == "POST" else None
    )
    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"] == INVALID
    assert set(refused.json()) == keys


async def test_a_faulted_401_carries_the_routes_challenge(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/**", status=401)
    for api, (method, path, keys) in CALLS.items():
        answer = await client.request(method, path)
        assert answer.status_code == 401, (api, answer.text)
        assert answer.headers["X-Localexa-Fault"]
        assert answer.headers["WWW-Authenticate"] == INVALID, api
        assert set(answer.json()) == keys, api


async def test_the_admin_keys_401_has_no_bearer_challenge(client: httpx.AsyncClient) -> None:
    """The admin key is no HTTP authentication scheme: its 401 names no Bearer token."""
    answer = await client.get("/_localexa/customers")
    assert answer.status_code == 401
    assert "WWW-Authenticate" not in answer.headers


def test_the_document_lists_the_challenge_on_each_401() -> None:
    doc = create_app(Settings(demo=False)).openapi()
    for path, method in [
        ("/v1/skills/{skill_id}/stages/{stage}/enablement", "put"),
        ("/v3/events", "post"),
        ("/credentiallocker/v2/threadNetworks", "get"),
        ("/auth/o2/token", "post"),
    ]:
        headers = doc["paths"][path][method]["responses"]["401"]["headers"]
        assert headers.get("WWW-Authenticate", {}).get("required") is True, (path, method)
    admin = doc["paths"]["/_localexa/customers"]["post"]["responses"]["401"]["headers"]
    assert "WWW-Authenticate" not in admin


def test_the_document_lists_the_scope_challenge_on_the_403s_of_token_apis() -> None:
    doc = create_app(Settings(demo=False)).openapi()
    for path, method in [
        ("/v1/skills/{skill_id}/stages/{stage}/enablement", "put"),
        ("/v3/events", "post"),
        ("/credentiallocker/v2/threadNetworks", "get"),
    ]:
        header = doc["paths"][path][method]["responses"]["403"]["headers"]["WWW-Authenticate"]
        # Not every 403 carries it (another vendor's skill, another region): not required.
        assert header["required"] is False, (path, method)
        assert "insufficient_scope" in header["description"]
    assert "Atc|" in doc["components"]["securitySchemes"]["LwaBearer"]["description"]
