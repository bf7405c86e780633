"""`null` for a field the admin API calls optional or defaulted is the field left out.

A generated client sends unset fields as `null`: `"permissions": null`, `"stages": null`,
`"redirectUris": null`, a customer's `"region": null` and `accountLinking.scopes: null` were 400s
("Input should be a valid list"), while `"accountLinking": null` and `"postalCode": null` were
taken (QA of 2026-12-06; core/null_fields.py). A required field's `null` is still refused.
"""

from __future__ import annotations

import httpx

from localexa.server.directives.schemas import DirectiveIn
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


async def test_nulls_of_defaulted_fields_take_the_defaults(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await client.post(
        "/_localexa/customers",
        json={"name": "C", "email": "c@example.com", "password": "pw", "region": None, "postalCode": None},
        headers=KEY,
    )
    assert customer.status_code == 201, customer.text
    assert customer.json()["region"] == "NA"
    lwa = await client.post("/_localexa/lwa-clients", json={"name": "App", "redirectUris": None}, headers=KEY)
    assert lwa.status_code == 201, lwa.text
    owner = await admin.customer(name="Owner")
    vendor_id = await admin.vendor(owner)
    skill = await client.post(
        "/_localexa/skills",
        json={
            "vendorId": vendor_id,
            "name": "S",
            "endpoint": "http://127.0.0.1:9/s",
            "stages": None,
            "permissions": None,
            "regions": None,
            "accountLinking": {
                "authorizationUrl": "http://127.0.0.1:9/authorize",
                "accessTokenUrl": "http://127.0.0.1:9/token",
                "clientId": "c",
                "scopes": None,
                "accessTokenScheme": None,
            },
        },
        headers=KEY,
    )
    assert skill.status_code == 201, skill.text
    shown = (await client.get(f"/_localexa/skills/{skill.json()['skillId']}", headers=KEY)).json()
    assert shown["stages"] == ["development"]
    assert shown["accountLinking"]["scopes"] == []
    assert shown["accountLinking"]["accessTokenScheme"] == "HTTP_BASIC"


async def test_a_required_fields_null_is_still_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/_localexa/customers", json={"name": None, "email": "d@example.com", "password": "pw"}, headers=KEY
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"].startswith("name: ")


async def test_a_faults_nulls_take_the_defaults(client: httpx.AsyncClient) -> None:
    """Since 2026-12-06: `"delayMs": null` or `"probability": null` was a 400 ("Input should be a
    valid integer") while the other admin bodies took null as absent."""
    body = {
        "path": "/v1/x",
        "status": 503,
        "delayMs": None,
        "probability": None,
        "method": None,
        "count": None,
    }
    created = await client.post("/_localexa/faults", json=body, headers=KEY)
    assert created.status_code == 201, created.text
    (shown,) = (await client.get("/_localexa/faults", headers=KEY)).json()
    assert (shown["delayMs"], shown["probability"], shown["method"], shown["count"]) == (0, 1.0, None, None)
    # A fault still acts: a delayMs null is no delay, so without a status it is refused.
    answer = await client.post("/_localexa/faults", json={"path": "/v1/x", "delayMs": None}, headers=KEY)
    assert answer.status_code == 400, answer.text
    assert "a fault needs a status, a delayMs, or both" in answer.json()["message"]


def test_a_directives_nulls_take_the_defaults() -> None:
    """A directive's `payload: null` is sent as `{}`, `payloadVersion: null` as "3" (they were 400s)."""
    body = DirectiveIn.model_validate(
        {"userId": "u", "skillId": "s", "namespace": "Alexa.Discovery", "name": "Discover", "payload": None}
        | {"payloadVersion": None, "cookie": None, "endpointId": None}
    )
    assert (body.payload, body.payload_version, body.cookie, body.endpoint_id) == ({}, "3", None, None)
