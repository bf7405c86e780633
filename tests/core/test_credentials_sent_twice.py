"""Credentials given twice are refused, never the first one taken (QA of 2026-12-05): the order of
two headers decided who was authenticated. An empty alternative is no second credential."""

from __future__ import annotations

import base64

import httpx

from tests.conftest import ADMIN_KEY
from tests.factories import Admin


def _basic(client_id: str, secret: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode())


async def test_two_authorization_headers_at_the_token_endpoint_are_invalid_request(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    skill, other = await admin.skill(), await admin.skill()
    mine = _basic(skill.messaging_client_id, skill.messaging_client_secret)
    theirs = _basic(other.messaging_client_id, other.messaging_client_secret)
    form = {"grant_type": "client_credentials", "scope": "alexa:skill_messaging"}
    for headers in ([mine, theirs], [theirs, mine], [mine, ("Authorization", "Bearer x")]):
        response = await client.post("/auth/o2/token", data=form, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
        assert "more than one Authorization header" in response.json()["error_description"]
    alone = await client.post("/auth/o2/token", data=form, headers=[mine])
    assert alone.status_code == 200, alone.text


async def test_two_admin_keys_are_no_key(client: httpx.AsyncClient) -> None:
    """A right key then a wrong one passed; the other order was a 401."""
    for keys in ([ADMIN_KEY, "wrong"], ["wrong", ADMIN_KEY], [ADMIN_KEY, ADMIN_KEY]):
        headers = [("X-Localexa-Admin-Key", key) for key in keys]
        response = await client.get("/_localexa/clock", headers=headers)
        assert response.status_code == 401, (keys, response.text)
        assert set(response.json()) == {"message"}
    ok = await client.get("/_localexa/clock", headers=[("X-Localexa-Admin-Key", ADMIN_KEY)])
    assert ok.status_code == 200
    # The journal does not call such a request the admin's either.
    journal = await client.get(
        "/_localexa/journal", params={"path": "/_localexa/clock"}, headers={"X-Localexa-Admin-Key": ADMIN_KEY}
    )
    callers = [entry["caller"] for entry in journal.json()["entries"] if entry["status"] == 401]
    assert callers
    assert all(caller is None for caller in callers), callers


async def test_an_empty_alternative_is_no_second_token(client: httpx.AsyncClient, admin: Admin) -> None:
    """An empty `?access_token=` or `x-amz-access-token` beside a real token counts as absent, as
    an empty `Bearer ` beside a real query token does."""
    customer = await admin.customer(name="Ada")
    token = await admin.access_token(customer.user_id, ["profile"])
    bearer = {"Authorization": f"Bearer {token}"}
    for headers, params in (
        (bearer, {"access_token": ""}),
        ({**bearer, "x-amz-access-token": " "}, {}),
        ({"Authorization": "Bearer "}, {"access_token": token}),
    ):
        response = await client.get("/user/profile", headers=headers, params=params)
        assert response.status_code == 200, (headers, params, response.text)


async def test_a_scoped_fault_does_not_pick_one_of_two_tokens(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A fault for customer A fired on `A, B` and not on `B, A` (the first token counted): a call
    with two tokens names no customer, so it gets the route's 400 in either order."""
    a, b = await admin.customer(name="A"), await admin.customer(name="B")
    token_a = await admin.access_token(a.user_id, ["alexa::skills:account_linking"])
    token_b = await admin.access_token(b.user_id, ["alexa::skills:account_linking"])
    fault = {"path": "/v1/alexaApiEndpoint", "status": 503, "customer": a.user_id}
    made = await client.post("/_localexa/faults", json=fault, headers={"X-Localexa-Admin-Key": ADMIN_KEY})
    assert made.status_code == 201, made.text
    for first, second in ((token_a, token_b), (token_b, token_a)):
        headers = [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")]
        response = await client.get("/v1/alexaApiEndpoint", headers=headers)
        assert response.status_code == 400, response.text
    alone = await client.get("/v1/alexaApiEndpoint", headers={"Authorization": f"Bearer {token_a}"})
    assert alone.status_code == 503
