"""What the README's "Observe and steer" section promises, as a user following it finds it."""

from __future__ import annotations

import httpx

from tests.observe.helpers import ADMIN, add_fault, faults, journal


async def test_a_journal_region_that_is_no_region_is_a_400(client: httpx.AsyncClient) -> None:
    # `region` is NA, EU or FE (as `direction` is inbound or outbound): `US` answered an empty
    # page, which a user reads as "no such calls".
    response = await client.get("/_localexa/journal", params={"region": "US"}, headers=ADMIN)
    assert response.status_code == 400
    assert response.json() == {"message": "region: 'US' is not a region (NA, EU or FE)."}
    lower = await client.get("/_localexa/journal", params={"region": "na"}, headers=ADMIN)
    assert lower.status_code == 200


async def test_a_faulted_401_at_the_profile_carries_the_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    own = await client.get("/user/profile")  # the endpoint's own 401 (no token)
    assert own.status_code == 401
    assert own.headers["WWW-Authenticate"].startswith("Bearer ")
    await add_fault(client, path="/user/profile", status=401, count=1)
    faulted = await client.get("/user/profile", headers={"Authorization": "Bearer Atza|x"})
    assert faulted.status_code == 401
    assert faulted.json()["error"] == "invalid_token"
    assert faulted.headers["WWW-Authenticate"] == 'Bearer realm="localexa", error="invalid_token"'
    assert faulted.headers["X-Localexa-Fault"]


async def test_a_bad_fault_body_names_its_field(client: httpx.AsyncClient) -> None:
    # The body field `path` lost its name (it was taken for the location `path`), and pydantic's
    # "Value error, " prefix reached the user.
    missing = await client.post("/_localexa/faults", json={"status": 503}, headers=ADMIN)
    assert missing.status_code == 400
    assert missing.json() == {"message": "path: Field required"}
    relative = await client.post("/_localexa/faults", json={"path": "v1/x", "status": 503}, headers=ADMIN)
    assert relative.json() == {"message": "path: path must start with /"}
    inert = await client.post("/_localexa/faults", json={"path": "/v1/x"}, headers=ADMIN)
    assert inert.json() == {"message": "a fault needs a status, a delayMs, or both"}
    assert await faults(client) == []


async def test_a_faulted_calls_entry_keeps_its_redacted_request_body(
    client: httpx.AsyncClient,
) -> None:
    # The README's journal example: a faulted enablement shows what was sent, authCode redacted.
    # A fault answered without reading the body, so the entry's requestBody was null.
    fault_id = await add_fault(client, path="/v1/users/~current/skills/{skillId}/enablement", status=503)
    body = {"stage": "development", "accountLinkRequest": {"authCode": "SECRET-CODE-1"}}
    answer = await client.post(
        "/v1/users/~current/skills/amzn1.ask.skill.x/enablement",
        json=body,
        headers={"Authorization": "Bearer Atza|nope"},
    )
    assert answer.status_code == 503
    [entry] = await journal(client, path="/v1/users/", status="503")
    assert entry["faultId"] == fault_id
    assert entry["requestBody"] is not None
    assert '"authCode":"[redacted]"' in entry["requestBody"].replace(" ", "")
    assert "SECRET-CODE-1" not in entry["requestBody"]
