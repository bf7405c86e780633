"""The fixed admin contract (../shared/spec/admin-api.md): every call, its key rules, bad bodies."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/_localexa/customers", id="customers"),
        pytest.param("POST", "/_localexa/vendors", id="vendors"),
        pytest.param("POST", "/_localexa/lwa-clients", id="lwa-clients"),
        pytest.param("POST", "/_localexa/skills", id="skills"),
        pytest.param("POST", "/_localexa/tokens", id="tokens"),
        pytest.param("GET", "/_localexa/clock", id="clock-get"),
        pytest.param("POST", "/_localexa/clock", id="clock-post"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing", "wrong"])
async def test_every_admin_call_needs_the_key(
    client: httpx.AsyncClient, method: str, path: str, key: str | None
) -> None:
    headers = {"X-Localexa-Admin-Key": key} if key else {}
    response = await client.request(method, path, json={}, headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    assert response.headers["X-Amzn-RequestId"]


async def test_health_needs_no_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_localexa/health")).status_code == 200


async def test_create_customer(client: httpx.AsyncClient) -> None:
    body = {"name": "Ada", "email": "Ada@Example.com", "password": "pw", "region": "EU"}
    response = await client.post("/_localexa/customers", json=body, headers=KEY)
    assert response.status_code == 201
    answer = response.json()
    assert answer["userId"].startswith("amzn1.account.")
    assert answer == {"userId": answer["userId"], "name": "Ada", "email": "ada@example.com", "region": "EU"}
    again = await client.post("/_localexa/customers", json=body, headers=KEY)
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "A", "email": "a@example.com", "password": "x", "region": "US"}, id="region"),
        pytest.param({"name": "A", "email": "not-an-email", "password": "x"}, id="email"),
        pytest.param({"name": "", "email": "a@example.com", "password": "x"}, id="empty-name"),
        pytest.param({"name": " \t", "email": "a@example.com", "password": "x"}, id="blank-name"),
        pytest.param({"email": "a@example.com", "password": "x"}, id="missing-name"),
        pytest.param([], id="not-an-object"),
    ],
)
async def test_bad_customer_bodies_are_400(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/_localexa/customers", json=body, headers=KEY)
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_localexa/customers", content=b"{not json", headers={**KEY, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


async def test_vendor_needs_a_real_owner(client: httpx.AsyncClient, admin: Admin) -> None:
    bad = await client.post(
        "/_localexa/vendors", json={"name": "V", "ownerUserId": "amzn1.account.X"}, headers=KEY
    )
    assert bad.status_code == 400
    owner = await admin.customer()
    good = await client.post(
        "/_localexa/vendors", json={"name": "V", "ownerUserId": owner.user_id}, headers=KEY
    )
    assert good.status_code == 201
    assert set(good.json()) == {"vendorId"}


async def test_lwa_client_secret_is_shown_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_localexa/lwa-clients", json={"name": "App", "redirectUris": ["https://a.example/cb"]}, headers=KEY
    )
    assert response.status_code == 201
    body = response.json()
    assert body["clientId"].startswith("amzn1.application-oa2-client.")
    assert body["clientSecret"]
    listed = (await client.get("/_localexa/lwa-clients", headers=KEY)).json()
    assert [c["clientId"] for c in listed] == [body["clientId"]]
    assert "clientSecret" not in listed[0]


async def test_lwa_client_rejects_fragment_redirects(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_localexa/lwa-clients",
        json={"name": "App", "redirectUris": ["https://a.example/cb#x"]},
        headers=KEY,
    )
    assert response.status_code == 400


#: Not absolute URIs a browser could be sent to with a code (QA of 2026-12-05: each was registered
#: and /ap/oa redirected there): relative ones a browser resolves against localexa, script and data
#: URLs, an http(s) URL without a host, and values holding spaces or control characters.
NOT_ABSOLUTE = [
    pytest.param("/x://y", id="relative-path-holding-scheme"),
    pytest.param("://x", id="no-scheme"),
    pytest.param("1http://x.example/cb", id="scheme-starting-with-digit"),
    pytest.param("javascript://%0Aalert(document.domain)", id="javascript"),
    pytest.param("JavaScript://x", id="javascript-any-case"),
    pytest.param("data://text/html,x", id="data"),
    pytest.param("vbscript://x", id="vbscript"),
    pytest.param(" https://app.example.com/cb", id="leading-space"),
    pytest.param("https://app.example.com/c b", id="space"),
    pytest.param("https://app.example.com/cb\r\nX: y", id="crlf"),
    pytest.param("https://app.example.com/cb\t", id="tab"),
    pytest.param("https:///nohost", id="https-without-host"),
    pytest.param("http://:80/cb", id="http-without-host"),
    pytest.param("https://app.example.com:99999/cb", id="port-too-high"),
    pytest.param("myapp://host:0/cb", id="port-zero"),
    pytest.param("file:///etc/cb", id="file"),
    pytest.param("about:blank", id="about"),
    pytest.param("blob:https://a.example/x", id="blob"),
]


@pytest.mark.parametrize("uri", NOT_ABSOLUTE)
async def test_lwa_client_rejects_redirects_that_are_not_absolute_uris(
    client: httpx.AsyncClient, uri: str
) -> None:
    response = await client.post(
        "/_localexa/lwa-clients", json={"name": "App", "redirectUris": [uri]}, headers=KEY
    )
    assert response.status_code == 400, response.text
    assert "redirectUris entry" in response.json()["message"]
    assert (await client.get("/_localexa/lwa-clients", headers=KEY)).json() == []


@pytest.mark.parametrize(
    "uri",
    ["https://app.example.com/cb", "http://127.0.0.1:9000/cb?x=1", "myapp://cb", "com.example.app:/oauth"],
)
async def test_lwa_client_takes_absolute_redirect_uris(client: httpx.AsyncClient, uri: str) -> None:
    """Custom schemes stay allowed (an app-to-app redirect is often the app's own link), with or
    without an authority (RFC 8252 §7.1's `com.example.app:/oauth2redirect`)."""
    response = await client.post(
        "/_localexa/lwa-clients", json={"name": "App", "redirectUris": [uri]}, headers=KEY
    )
    assert response.status_code == 201, response.text


async def test_create_skill_keeps_every_field(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await admin.customer(name="Dev")
    vendor_id = await admin.vendor(dev)
    body = {
        "vendorId": vendor_id,
        "name": "My Lights",
        "stages": ["development", "live"],
        "endpoint": "http://127.0.0.1:9000/skill",
        "permissions": ["alexa::async_event:write", "alexa::thread_network_credentials:read"],
        "accountLinking": {
            "type": "AUTH_CODE",
            "authorizationUrl": "http://127.0.0.1:9000/authorize",
            "accessTokenUrl": "http://127.0.0.1:9000/token",
            "clientId": "alexa-skill",
            "clientSecret": "s3cret-value",
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": ["https://app.example.com/alexa"],
        },
    }
    response = await client.post("/_localexa/skills", json=body, headers=KEY)
    assert response.status_code == 201
    created = response.json()
    assert created["skillId"].startswith("amzn1.ask.skill.")
    assert set(created["skillMessagingCredentials"]) == {"clientId", "clientSecret"}
    view = (await client.get(f"/_localexa/skills/{created['skillId']}", headers=KEY)).json()
    assert view["stages"] == ["development", "live"]
    assert view["permissions"] == sorted(body["permissions"])
    assert view["accountLinking"]["accessTokenScheme"] == "HTTP_BASIC"
    assert view["accountLinking"]["redirectUrls"] == ["https://app.example.com/alexa"]
    assert "clientSecret" not in view["accountLinking"]


async def test_skill_defaults(admin: Admin, client: httpx.AsyncClient) -> None:
    skill = await admin.skill(endpoint="python:localexa.samples.mylights.lambda_handler:handler")
    view = (await client.get(f"/_localexa/skills/{skill.skill_id}", headers=KEY)).json()
    assert view["stages"] == ["development"]
    assert view["permissions"] == []
    assert view["accountLinking"] is None


_LINKING = {
    "authorizationUrl": "https://a.example/authorize",
    "accessTokenUrl": "https://a.example/token",
    "clientId": "c",
}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        pytest.param({"endpoint": "ftp://x"}, "endpoint", id="endpoint"),
        pytest.param({"stages": ["beta"]}, "stages", id="stage"),
        pytest.param({"stages": []}, "stages", id="no-stage"),
        pytest.param(
            {"accountLinking": {"authorizationUrl": "x", "clientId": "c"}}, "authorizationUrl", id="al-url"
        ),
        pytest.param({"vendorId": "MNOSUCHVENDOR"}, "vendorId", id="vendor"),
        # QA of 2026-12-05: each was a 201, and failed at the first call or named nothing.
        pytest.param({"name": "   "}, "name", id="blank-name"),
        pytest.param({"endpoint": "http://127.0.0.1:99999/x"}, "endpoint", id="port-too-high"),
        pytest.param({"endpoint": "http://127.0.0.1:0/x"}, "endpoint", id="port-zero"),
        pytest.param({"endpoint": "http://127.0.0.1:x/x"}, "endpoint", id="port-not-a-number"),
        pytest.param({"endpoint": "python:a..b:c"}, "endpoint", id="python-empty-part"),
        pytest.param({"endpoint": "python:a.:c"}, "endpoint", id="python-trailing-dot"),
        pytest.param({"accountLinking": {**_LINKING, "clientId": "  "}}, "clientId", id="al-blank-client"),
        pytest.param({"accountLinking": {**_LINKING, "scopes": [""]}}, "scopes", id="al-empty-scope"),
        pytest.param(
            {"accountLinking": {**_LINKING, "scopes": ["a b"]}}, "scopes", id="al-two-scopes-in-one"
        ),
        pytest.param(
            {"accountLinking": {**_LINKING, "accessTokenUrl": "https://a.example:70000/t"}},
            "accessTokenUrl",
            id="al-token-url-port",
        ),
    ],
)
async def test_bad_skill_bodies_are_400(
    client: httpx.AsyncClient, admin: Admin, change: dict[str, Any], needle: str
) -> None:
    dev = await admin.customer(name="Dev")
    body = {"vendorId": await admin.vendor(dev), "name": "S", "endpoint": "http://127.0.0.1:9/x", **change}
    response = await client.post("/_localexa/skills", json=body, headers=KEY)
    assert response.status_code == 400
    assert needle in response.json()["message"]


@pytest.mark.parametrize(
    "endpoint", ["HTTP://127.0.0.1:9/x", "Https://skill.example/x", "http://[::1]:9000/x", "python:a.b_c.d:e"]
)
async def test_skill_endpoints_that_are_fine(client: httpx.AsyncClient, admin: Admin, endpoint: str) -> None:
    """A scheme in capitals is the same URL (RFC 3986 §3.1): it was refused."""
    dev = await admin.customer(name="Dev")
    body = {"vendorId": await admin.vendor(dev), "name": "S", "endpoint": endpoint}
    response = await client.post("/_localexa/skills", json=body, headers=KEY)
    assert response.status_code == 201, response.text


async def test_tokens_issue_an_lwa_pair(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    response = await client.post(
        "/_localexa/tokens",
        json={"clientId": client_id, "userId": customer.user_id, "scopes": ["profile"]},
        headers=KEY,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|")
    assert len(body["access_token"]) >= 350
    assert body["refresh_token"].startswith("Atzr|")


@pytest.mark.parametrize("missing", ["client", "user"])
async def test_tokens_for_unknown_client_or_user_are_400(
    client: httpx.AsyncClient, admin: Admin, missing: str
) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    body = {
        "clientId": "amzn1.application-oa2-client.nope" if missing == "client" else client_id,
        "userId": "amzn1.account.NOPE" if missing == "user" else customer.user_id,
        "scopes": ["profile"],
    }
    response = await client.post("/_localexa/tokens", json=body, headers=KEY)
    assert response.status_code == 400


async def test_clock_moves_forward_only(client: httpx.AsyncClient) -> None:
    before = datetime.fromisoformat((await client.get("/_localexa/clock", headers=KEY)).json()["now"])
    moved = await client.post("/_localexa/clock", json={"advanceSeconds": 7200}, headers=KEY)
    assert moved.status_code == 200
    after = datetime.fromisoformat(moved.json()["now"])
    assert 7200 <= (after - before).total_seconds() < 7260
    again = datetime.fromisoformat((await client.get("/_localexa/clock", headers=KEY)).json()["now"])
    assert again >= after
    backwards = await client.post("/_localexa/clock", json={"advanceSeconds": -5}, headers=KEY)
    assert backwards.status_code == 400
    for not_finite in (b"NaN", b"Infinity", b"-Infinity"):
        refused = await client.post(
            "/_localexa/clock",
            content=b'{"advanceSeconds": ' + not_finite + b"}",
            headers={**KEY, "Content-Type": "application/json"},
        )
        assert refused.status_code == 400
        assert "finite" in refused.json()["message"], refused.text  # not "must be ≤ 315360000"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("clock", {"advanceSeconds": False}, id="clock-false"),
        pytest.param("clock", {"advanceSeconds": "60"}, id="clock-text"),
        pytest.param("faults", {"path": "/v1/x", "status": True}, id="fault-status-true"),
        pytest.param("faults", {"path": "/v1/x", "delayMs": "100"}, id="fault-delay-text"),
        pytest.param(
            "faults", {"path": "/v1/x", "status": 503, "probability": True}, id="fault-probability-true"
        ),
    ],
)
async def test_numbers_are_json_numbers(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    """Found by fuzzing the control plane: lax pydantic took `false` for 0 and "60" for 60 (the
    clock moved by 0 and answered 200)."""
    before = (await client.get("/_localexa/faults", headers=KEY)).json()
    response = await client.post(f"/_localexa/{path}", json=body, headers=KEY)
    assert response.status_code == 400, response.text
    assert (await client.get("/_localexa/faults", headers=KEY)).json() == before


async def test_a_skill_named_at_the_longest_gets_a_messaging_client_that_fits(
    app: Any, client: httpx.AsyncClient, admin: Admin
) -> None:
    """Its client is "<skill> messaging": with a 200-character skill name that was 210 characters
    for a 200-character column, which PostgreSQL refused (a 500; SQLite kept it whole)."""
    skill = await admin.skill(name="n" * 200)
    async with app.state.engine.connect() as conn:
        name = (
            await conn.execute(
                text("SELECT name FROM lwa_clients WHERE client_id = :id"), {"id": skill.messaging_client_id}
            )
        ).scalar_one()
    assert name == "n" * 190 + " messaging"


async def test_the_clock_stops_a_thousand_years_ahead(client: httpx.AsyncClient) -> None:
    """Each advance may be 10 years: about 800 of them passed the year 9999, where Python's dates
    end, and from then on every request was a 500. The total is capped instead."""
    ten_years = 10 * 365 * 86400
    for _ in range(100):
        moved = await client.post("/_localexa/clock", json={"advanceSeconds": ten_years}, headers=KEY)
        assert moved.status_code == 200, moved.text
    refused = await client.post("/_localexa/clock", json={"advanceSeconds": 1}, headers=KEY)
    assert refused.status_code == 400
    assert "1000 years" in refused.json()["message"]
    now = await client.get("/_localexa/clock", headers=KEY)
    assert now.status_code == 200
    assert datetime.fromisoformat(now.json()["now"]).year >= 2900
    assert (await client.get("/_localexa/customers", headers=KEY)).status_code == 200


def _admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the API description says takes the admin key, path parameters filled."""
    calls = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if {"AdminKey": []} in operation.get("security", []) and method != "head":
                calls.append((method.upper(), re.sub(r"\{[^}]+\}", "x", path)))
    return calls


async def test_the_key_is_checked_before_the_body_on_every_admin_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """admin-api.md: without the key, or with a wrong one, 401. FastAPI reads a declared body
    before the router's dependencies, so a broken body without the key was a 400."""
    calls = _admin_routes(app)
    assert len(calls) > 20  # customers, vendors, tokens, clock, faults, journal, directives, restore…
    for method, path in calls:
        for headers in ({}, {"X-Localexa-Admin-Key": "wrong-key"}):
            response = await client.request(
                method, path, content=b"{broken", headers={**headers, "Content-Type": "application/json"}
            )
            assert response.status_code == 401, (method, path, response.text)
            assert set(response.json()) == {"message"}
