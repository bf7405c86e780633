"""`null` for a field the admin API calls optional or defaulted is the field left out.

A generated client sends unset fields as `null`: `"permissions": null`, `"stages": null`,
`"redirectUris": null`, a customer's `"region": null` and `accountLinking.scopes: null` were 400s
("Input should be a valid list"), while `"accountLinking": null` and `"postalCode": null` were
taken (QA of 2026-12-06; core/null_fields.py). A required field's `null` is still refused.
"""

from __future__ import annotations

import httpx

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
