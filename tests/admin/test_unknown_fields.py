"""A field the admin API does not know is a 400 that names it (QA of 2026-12-05: a misspelt
`permisions` made a skill without permissions, `Region` an NA customer, without a word). SMAPI's
account-linking `PUT` stays lenient, as Amazon's clients may send a newer model's fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}

LINKING = {
    "type": "AUTH_CODE",
    "authorizationUrl": "http://127.0.0.1:9000/authorize",
    "accessTokenUrl": "http://127.0.0.1:9000/token",
    "clientId": "alexa-skill",
    "clientSecret": "s3cret",
}


async def _bodies(admin: Admin) -> dict[str, tuple[dict[str, Any], str]]:
    """Per admin route, a good body with one field misspelt, and the name it must be told."""
    owner = await admin.customer(name="Owner")
    vendor_id = await admin.vendor(owner)
    client_id, _ = await admin.lwa_client()
    skill = {"vendorId": vendor_id, "name": "S", "endpoint": "http://127.0.0.1:9/s"}
    customer = {"name": "C", "email": "c@example.com", "password": "pw"}
    return {
        "customers": ({**customer, "Region": "EU"}, "Region"),
        "vendors": ({"name": "V", "ownerUserId": owner.user_id, "owner": "x"}, "owner"),
        "lwa-clients": ({"name": "App", "redirectUri": ["https://a.example/cb"]}, "redirectUri"),
        "skills": ({**skill, "permisions": ["alexa::async_event:write"]}, "permisions"),
        "skills#linking": (
            {**skill, "accountLinking": {**LINKING, "accesTokenScheme": "X"}},
            "accesTokenScheme",
        ),
        "skills#platform": (
            {**skill, "accountLinking": {**LINKING, "authorizationUrlsByPlatform": [PLATFORM]}},
            "platfromType",
        ),
        "tokens": (
            {"clientId": client_id, "userId": owner.user_id, "scopes": ["profile"], "scope": "x"},
            "scope",
        ),
        "clock": ({"advanceSeconds": 5, "advance": 10}, "advance"),
    }


ROUTES = [
    "customers",
    "vendors",
    "lwa-clients",
    "skills",
    "skills#linking",
    "skills#platform",
    "tokens",
    "clock",
]
#: A platform URL with its type misspelt (the nested object is held to the same rule).
PLATFORM = {"platfromType": "iOS", "platformType": "iOS", "platformAuthorizationUrl": "https://a.example/ios"}


@pytest.mark.parametrize("route", ROUTES)
async def test_an_unknown_field_is_a_400_naming_it(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, route: str
) -> None:
    body, unknown = (await _bodies(admin))[route]
    before = app.state.clock.offset_seconds
    path = "/_localexa/" + route.partition("#")[0]
    answer = await client.post(path, json=body, headers=KEY)
    assert answer.status_code == 400, answer.text
    assert unknown in answer.json()["message"]
    # Nothing was made or moved.
    if route.startswith("skills"):
        assert (await client.get("/_localexa/skills", headers=KEY)).json() == []
    if route == "customers":
        emails = [c["email"] for c in (await client.get("/_localexa/customers", headers=KEY)).json()]
        assert "c@example.com" not in emails
    if route == "clock":
        # The offset, not `now` to the minute: two calls on either side of a minute differed
        # (as in test_body_reading.py), and an advance of the body's 5 s mostly did not.
        assert (await client.get("/_localexa/clock", headers=KEY)).status_code == 200
        assert app.state.clock.offset_seconds == before


async def test_the_same_bodies_without_the_unknown_field_work(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    bodies = await _bodies(admin)
    for route in ROUTES:
        body, unknown = bodies[route]
        good = {k: v for k, v in body.items() if k != unknown}
        if route == "skills#linking":
            good = {**body, "accountLinking": LINKING}
        if route == "skills#platform":
            platform = {k: v for k, v in PLATFORM.items() if k != unknown}
            good = {**body, "accountLinking": {**LINKING, "authorizationUrlsByPlatform": [platform]}}
        answer = await client.post("/_localexa/" + route.partition("#")[0], json=good, headers=KEY)
        assert answer.status_code in (200, 201), (route, answer.text)
    # snake_case names of known fields stay accepted (populate_by_name), as before.
    snake = await client.post("/_localexa/clock", json={"advance_seconds": 1}, headers=KEY)
    assert snake.status_code == 200, snake.text


async def test_a_region_in_any_case_is_taken_and_stored_upper_case(client: httpx.AsyncClient) -> None:
    """`"eu"` was a 400 on customers and faults, while the journal filter and the client take any
    case (QA of regions, 2026-12-05)."""
    made = await client.post(
        "/_localexa/customers",
        json={"name": "Eu", "email": "eu@example.com", "password": "pw", "region": "eu"},
        headers=KEY,
    )
    assert made.status_code == 201, made.text
    stored = await client.get(f"/_localexa/customers/{made.json()['userId']}", headers=KEY)
    assert stored.json()["region"] == "EU"
    fault = await client.post(
        "/_localexa/faults", json={"path": "/v1/alexaApiEndpoint", "status": 503, "region": "Fe"}, headers=KEY
    )
    assert fault.status_code == 201, fault.text
    listed = (await client.get("/_localexa/faults", headers=KEY)).json()
    assert [f["region"] for f in listed] == ["FE"]
    bad = await client.post(
        "/_localexa/faults", json={"path": "/x", "status": 503, "region": "us"}, headers=KEY
    )
    assert bad.status_code == 400
