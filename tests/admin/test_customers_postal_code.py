"""`POST /_localexa/customers` stores `postalCode` and now says so: the answer, the list and the
get echo it when the customer has one (an addition to admin-api.md's answer, which stays as
written for a customer without one)."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_KEY

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


async def test_postal_code_is_echoed_when_given(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Ada",
        "email": "ada@example.com",
        "password": "pw",
        "region": "EU",
        "postalCode": "10115",
    }
    created = await client.post("/_localexa/customers", json=body, headers=KEY)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer == {
        "userId": answer["userId"],
        "name": "Ada",
        "email": "ada@example.com",
        "region": "EU",
        "postalCode": "10115",
    }
    plain = {"name": "Bo", "email": "bo@example.com", "password": "pw"}
    without = (await client.post("/_localexa/customers", json=plain, headers=KEY)).json()
    assert "postalCode" not in without  # not null: the contract's answer, unchanged

    listed = (await client.get("/_localexa/customers", headers=KEY)).json()
    assert listed == [answer, without]
    fetched = await client.get(f"/_localexa/customers/{answer['userId']}", headers=KEY)
    assert fetched.json() == answer
    assert (await client.get(f"/_localexa/customers/{without['userId']}", headers=KEY)).json() == without
