"""Fault injection: matching, firing, retiring, delays, shapes, and acting before any change."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.observe.faults import FaultRule
from localexa.server.observe.path_patterns import compile_pattern
from tests.factories import Admin
from tests.observe.helpers import ADMIN, add_fault, faults, journal

FAULT_HEADER = "X-Localexa-Fault"


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        pytest.param("/v1/alexaApiEndpoint", "/v1/alexaApiEndpoint", True, id="exact"),
        pytest.param("/v1/alexaApiEndpoint", "/v1/alexaapiendpoint", True, id="any-case"),
        pytest.param("/v1/alexaApiEndpoint", "/v1/alexaApiEndpoint/x", False, id="exact-only"),
        pytest.param(
            "/v1/skills/{skillId}/credentials", "/v1/skills/amzn1.ask.skill.1/credentials", True, id="param"
        ),
        pytest.param(
            "/v1/skills/{skillId}/credentials", "/v1/skills/a/b/credentials", False, id="param-one-segment"
        ),
        pytest.param("/v1/skills/*/credentials", "/v1/skills/abc/credentials", True, id="star"),
        pytest.param(
            "/v1/skills/amzn1.ask.skill.*", "/v1/skills/amzn1.ask.skill.42", True, id="star-in-segment"
        ),
        pytest.param("/v1/**", "/v1/users/~current/skills/s/enablement", True, id="double-star"),
        pytest.param("/v1/**", "/v3/events", False, id="double-star-prefix"),
        pytest.param("/auth/o2/token", "/auth/O2/token", True, id="lwa-alias"),
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert compile_pattern(pattern).matches(path) is matches


async def test_create_list_delete(client: httpx.AsyncClient) -> None:
    fault_id = await add_fault(
        client, method="GET", path="/v1/alexaApiEndpoint", status=503, probability=1.0, count=1
    )
    [listed] = await faults(client)
    assert listed["faultId"] == fault_id
    assert listed["method"] == "GET"
    assert listed["status"] == 503
    assert listed["count"] == 1
    assert listed["remaining"] == 1
    assert listed["active"] is True
    deleted = await client.delete(f"/_localexa/faults/{fault_id}", headers=ADMIN)
    assert deleted.status_code == 204
    assert await faults(client) == []
    again = await client.delete(f"/_localexa/faults/{fault_id}", headers=ADMIN)
    assert again.status_code == 404
    assert "message" in again.json()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"path": "/v1/x"}, id="neither-status-nor-delay"),
        pytest.param({"path": "v1/x", "status": 503}, id="relative-path"),
        pytest.param({"path": "/v1/x", "status": 200}, id="not-an-error"),
        pytest.param({"path": "/v1/x", "status": 503, "probability": 1.5}, id="probability"),
        pytest.param({"path": "/v1/x", "status": 503, "count": 0}, id="count"),
        pytest.param({"path": "/v1/x", "status": 503, "method": "BREW"}, id="method"),
        pytest.param({"path": "/v1/x", "status": 503, "region": "MARS"}, id="region"),
        pytest.param({"path": "/v1/x", "status": 503, "delay_ms": 5, "unknown": 1}, id="unknown-field"),
    ],
)
async def test_bad_fault_bodies_are_400(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post("/_localexa/faults", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["message"]
    assert await faults(client) == []


async def test_faults_need_the_admin_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/_localexa/faults", json={"path": "/x", "status": 503})
    assert response.status_code == 401


async def test_count_retires_the_fault_in_the_apis_own_shape(client: httpx.AsyncClient) -> None:
    fault_id = await add_fault(client, method="GET", path="/v1/alexaApiEndpoint", status=503, count=2)
    first = await client.get("/v1/alexaApiEndpoint")
    second = await client.get("/v1/alexaApiEndpoint")
    third = await client.get("/v1/alexaApiEndpoint")
    assert [first.status_code, second.status_code] == [503, 503]
    assert first.headers[FAULT_HEADER] == fault_id
    assert first.headers["X-Amzn-RequestId"]
    assert set(first.json()) == {"message"}  # the customer API's shape
    assert third.status_code != 503
    assert FAULT_HEADER not in third.headers
    [listed] = await faults(client)
    assert (listed["remaining"], listed["fired"], listed["matched"], listed["active"]) == (0, 2, 2, False)


async def test_method_must_match(client: httpx.AsyncClient) -> None:
    await add_fault(client, method="POST", path="/_localexa/customers", status=500)
    listed = await client.get("/_localexa/customers", headers=ADMIN)
    assert listed.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "keys"),
    [
        pytest.param("POST", "/auth/o2/token", {"error", "error_description"}, id="lwa"),
        pytest.param("POST", "/v3/events", {"header", "payload"}, id="events"),
        pytest.param("GET", "/v1/skills/x/credentials", {"code", "message"}, id="smapi"),
        pytest.param(
            "GET", "/credentiallocker/v2/threadNetworks", {"code", "message"}, id="credential-locker"
        ),
    ],
)
async def test_429_adds_retry_after_in_each_family(
    client: httpx.AsyncClient, method: str, path: str, keys: set[str]
) -> None:
    await add_fault(client, method=method, path=path, status=429, retryAfter=7)
    response = await client.request(method, path)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert set(response.json()) == keys


@pytest.mark.parametrize(
    ("method", "path", "field", "client_code", "server_code"),
    [
        pytest.param("POST", "/auth/o2/token", ("error",), "invalid_request", "server_error", id="lwa"),
        pytest.param(
            "POST",
            "/v3/events",
            ("payload", "code"),
            "INVALID_REQUEST_EXCEPTION",
            "INTERNAL_SERVICE_EXCEPTION",
            id="events",
        ),
        pytest.param(
            "GET", "/v1/skills/x/credentials", ("code",), "INVALID_REQUEST", "INTERNAL_ERROR", id="smapi"
        ),
        pytest.param(
            "GET",
            "/credentiallocker/v2/threadNetworks",
            ("code",),
            "INVALID_REQUEST",
            "INTERNAL_ERROR",
            id="credential-locker",
        ),
    ],
)
@pytest.mark.parametrize("status", [418, 402, 502])
async def test_a_status_without_its_own_code_gets_its_familys_client_or_server_code(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    field: tuple[str, ...],
    client_code: str,
    server_code: str,
    status: int,
) -> None:
    """A 4xx the families have no code for is the client's to fix in every family: the Credential
    Locker and SMAPI answered a 418 fault INTERNAL_ERROR (QA of 2026-12-07)."""
    await add_fault(client, method=method, path=path, status=status)
    response = await client.request(method, path)
    assert response.status_code == status
    code = response.json()
    for key in field:
        code = code[key]
    assert code == (client_code if status < 500 else server_code)
    assert str(status) in response.text


async def test_429_retry_after_defaults_to_one_second(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/v1/alexaApiEndpoint", status=429)
    response = await client.get("/v1/alexaApiEndpoint")
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"message": "Rate exceeded."}


@pytest.mark.parametrize(
    ("status", "sent"),
    [
        pytest.param(503, "7", id="503"),
        pytest.param(500, "7", id="500"),
        pytest.param(599, "7", id="599"),
        pytest.param(413, "7", id="413"),
        pytest.param(404, None, id="404-sends-none"),
        pytest.param(400, None, id="400-sends-none"),
    ],
)
async def test_retry_after_is_sent_where_it_means_something_and_listed_as_sent(
    client: httpx.AsyncClient, status: int, sent: str | None
) -> None:
    """`retryAfter` on a 503 was taken, stored and listed, and never sent (QA of 2026-12-06):
    only a 429 carried it. Now 413, 429 and 5xx carry it, and the listing shows what is sent."""
    await add_fault(client, path="/v1/alexaApiEndpoint", status=status, retryAfter=7)
    response = await client.get("/v1/alexaApiEndpoint")
    assert response.status_code == status
    assert response.headers.get("Retry-After") == sent
    [listed] = await faults(client)
    assert listed["retryAfter"] == (int(sent) if sent else None)


async def test_a_429_lists_the_retry_after_it_sends_by_default(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/v1/alexaApiEndpoint", status=429)
    await add_fault(client, path="/v1/alexaApiEndpoint", status=503)
    await add_fault(client, path="/v1/alexaApiEndpoint", delayMs=5, retryAfter=9)
    listed = {f["status"]: f["retryAfter"] for f in await faults(client)}
    assert listed == {429: 1, 503: None, None: None}


async def test_a_fault_acts_before_any_state_change(client: httpx.AsyncClient) -> None:
    await add_fault(client, method="POST", path="/_localexa/customers", status=503, count=1)
    body = {"name": "Ada", "email": "ada@example.com", "password": "pw", "region": "NA"}
    refused = await client.post("/_localexa/customers", json=body, headers=ADMIN)
    assert refused.status_code == 503
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []
    created = await client.post("/_localexa/customers", json=body, headers=ADMIN)
    assert created.status_code == 201


async def test_faulted_calls_are_journaled(client: httpx.AsyncClient) -> None:
    fault_id = await add_fault(client, path="/v1/alexaApiEndpoint", status=503)
    response = await client.get("/v1/alexaApiEndpoint")
    [entry] = await journal(client, path="/v1/alexaApiEndpoint")
    assert entry["status"] == 503
    assert entry["faultId"] == fault_id
    assert entry["requestId"] == response.headers["X-Amzn-RequestId"]


async def test_probability_with_a_seed_repeats(client: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        fault_id = await add_fault(client, path="/v1/alexaApiEndpoint", status=503, probability=0.5, seed=42)
        statuses = [(await client.get("/v1/alexaApiEndpoint")).status_code for _ in range(24)]
        assert (await client.delete(f"/_localexa/faults/{fault_id}", headers=ADMIN)).status_code == 204
        return statuses

    first = await run()
    second = await run()
    assert first == second
    assert 503 in first
    assert any(status != 503 for status in first)
    rule = FaultRule.from_row(
        {
            "id": "f",
            "method": None,
            "path": "/",
            "status": 503,
            "delay_ms": 0,
            "probability": 0.5,
            "count": None,
            "retry_after": None,
            "customer": None,
            "skill": None,
            "region": None,
            "seed": 42,
        }
    )
    assert [s == 503 for s in first] == [rule.draws(n) for n in range(1, 25)]


async def test_probability_zero_never_fires_but_counts_matches(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/v1/alexaApiEndpoint", status=503, probability=0.0)
    for _ in range(3):
        assert (await client.get("/v1/alexaApiEndpoint")).status_code != 503
    [listed] = await faults(client)
    assert (listed["matched"], listed["fired"]) == (3, 0)


async def test_delay_slows_then_lets_the_call_through(client: httpx.AsyncClient) -> None:
    fault_id = await add_fault(client, method="GET", path="/_localexa/clock", delayMs=80, count=1)
    slowed = await client.get("/_localexa/clock", headers=ADMIN)
    assert slowed.status_code == 200
    await client.get("/_localexa/clock", headers=ADMIN)
    later, first = await journal(client, path="/_localexa/clock")
    assert first["faultId"] == fault_id
    assert first["latencyMs"] >= 80  # a lower bound: the sleep lasts at least this long
    assert later["faultId"] is None
    [listed] = await faults(client)
    assert listed["fired"] == 1


async def test_matching_by_customer(client: httpx.AsyncClient, admin: Admin) -> None:
    ada = await admin.customer(name="Ada")
    bob = await admin.customer(name="Bob")
    ada_token = await admin.access_token(ada.user_id, ["profile"])
    bob_token = await admin.access_token(bob.user_id, ["profile"])
    await add_fault(client, path="/user/profile", status=500, customer=ada.user_id)
    faulted = await client.get("/user/profile", headers={"Authorization": f"Bearer {ada_token}"})
    spared = await client.get("/user/profile", headers={"Authorization": f"Bearer {bob_token}"})
    anonymous = await client.get("/user/profile")
    assert faulted.status_code == 500
    assert set(faulted.json()) == {"error", "error_description"}
    assert FAULT_HEADER not in spared.headers
    assert FAULT_HEADER not in anonymous.headers


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("customer", "bob", id="customer-not-an-id"),
        pytest.param("customer", "amzn1.account." + "A" * 28, id="customer-nobody-has-it"),
        pytest.param("customer", "Atza|IwEBIpasted-token", id="customer-a-token-is-not-echoed"),
        pytest.param("skill", "nope", id="skill-not-an-id"),
        pytest.param("skill", "amzn1.ask.skill." + "0" * 36, id="skill-nobody-has-it"),
        pytest.param("skill", "Atza|IwEBIpasted-token", id="skill-a-token-is-not-echoed"),
    ],
)
async def test_a_fault_for_a_customer_or_skill_nobody_has_is_refused(
    client: httpx.AsyncClient, admin: Admin, field: str, value: str
) -> None:
    """`"customer": "bob"` or `"skill": "nope"` was a 201 and the fault could never match (QA of
    2026-12-06)."""
    await admin.customer(name="Ada")
    await admin.skill(name="One")
    response = await client.post(
        "/_localexa/faults", json={"path": "/x", "status": 500, field: value}, headers=ADMIN
    )
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message.startswith(f"{field}: ")
    assert value not in message
    assert await faults(client) == []


async def test_a_fault_for_a_restored_customer_of_any_id_is_taken(client: httpx.AsyncClient) -> None:
    """A restored snapshot may hold a customer id of any form: the check is the customers table."""
    snapshot = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    snapshot["tables"]["customers"] = [
        {
            "id": "bob",
            "name": "Bob",
            "email": "bob@example.com",
            "password_hash": "x",
            "region": "NA",
            "postal_code": None,
            "created_at": "2026-12-06T00:00:00Z",
        }
    ]
    restored = await client.post("/_localexa/restore", json=snapshot, headers=ADMIN)
    assert restored.status_code == 200, restored.text
    await add_fault(client, path="/x", status=500, customer="bob")
    [listed] = await faults(client)
    assert listed["customer"] == "bob"


async def test_a_fault_for_an_existing_skill_and_customer_is_taken(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    made = await admin.skill(name="One")
    customer = await admin.customer(name="Ada")
    await add_fault(client, path="/x", status=500, skill=made.skill_id, customer=customer.user_id)
    [listed] = await faults(client)
    assert (listed["skill"], listed["customer"]) == (made.skill_id, customer.user_id)


async def test_matching_by_skill_in_path_and_by_messaging_token(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    one = await admin.skill(name="One")
    two = await admin.skill(name="Two")
    await add_fault(client, path="/v1/skills/{skillId}/credentials", status=503, skill=one.skill_id)
    assert (await client.get(f"/v1/skills/{one.skill_id}/credentials")).status_code == 503
    assert FAULT_HEADER not in (await client.get(f"/v1/skills/{two.skill_id}/credentials")).headers
    customer = await admin.customer()
    token_one = await admin.access_token(
        customer.user_id, ["alexa::async_event:write"], one.messaging_client_id
    )
    token_two = await admin.access_token(
        customer.user_id, ["alexa::async_event:write"], two.messaging_client_id
    )
    await add_fault(client, method="POST", path="/v3/events", status=503, skill=one.skill_id)
    faulted = await client.post("/v3/events", json={}, headers={"Authorization": f"Bearer {token_one}"})
    spared = await client.post("/v3/events", json={}, headers={"Authorization": f"Bearer {token_two}"})
    assert faulted.status_code == 503
    assert faulted.json()["payload"]["code"] == "SERVICE_UNAVAILABLE_EXCEPTION"
    assert FAULT_HEADER not in spared.headers


async def test_matching_by_region(client: httpx.AsyncClient, app: FastAPI) -> None:
    await add_fault(client, path="/v1/alexaApiEndpoint", status=503, region="EU")
    assert FAULT_HEADER not in (await client.get("/v1/alexaApiEndpoint")).headers
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8081") as eu:
        assert (await eu.get("/v1/alexaApiEndpoint")).status_code == 503
    by_host = await client.get("/v1/alexaApiEndpoint", headers={"Host": "api.eu.amazonalexa.com"})
    assert by_host.status_code == 503


async def test_the_control_plane_is_never_faulted(client: httpx.AsyncClient) -> None:
    fault_id = await add_fault(client, path="/**", status=503)
    assert (await client.get("/_localexa/faults", headers=ADMIN)).status_code == 200
    assert (await client.get("/_localexa/journal", headers=ADMIN)).status_code == 200
    assert (await client.get("/_localexa/health")).status_code == 200
    assert (await client.get("/_localexa/customers", headers=ADMIN)).status_code == 503
    assert (await client.delete(f"/_localexa/faults/{fault_id}", headers=ADMIN)).status_code == 204
    assert (await client.get("/_localexa/customers", headers=ADMIN)).status_code == 200


async def test_a_fault_made_elsewhere_is_seen_after_the_cache_interval(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Another process writes the table; this one's cache reloads (forced here, as time would)."""
    await client.get("/v1/alexaApiEndpoint")  # loads the (empty) cache
    store = app.state.faults
    other = type(store)(app.state.engine)
    await other.create(
        {"method": None, "path": "/v1/alexaApiEndpoint", "status": 503, "delay_ms": 0, "probability": 1.0}
        | {"count": None, "retry_after": None, "customer": None, "skill": None, "region": None, "seed": None},
        now=app.state.clock.now(),
    )
    store.invalidate()  # what the refresh interval does on its own
    assert (await client.get("/v1/alexaApiEndpoint")).status_code == 503


async def test_when_several_match_the_oldest_status_answers_and_every_delay_adds_up(
    client: httpx.AsyncClient,
) -> None:
    """The README's rule: a newer fault with a status counts the call (`matched`) without firing,
    and a newer delay still slows it (both were skipped once an older status fault fired)."""
    oldest = await add_fault(client, path="/v1/alexaApiEndpoint", status=500)
    newer = await add_fault(client, path="/v1/alexaApiEndpoint", status=429, count=2)
    slow = await add_fault(client, path="/v1/alexaApiEndpoint", delayMs=80)
    answer = await client.get("/v1/alexaApiEndpoint")
    assert answer.status_code == 500
    assert answer.headers[FAULT_HEADER] == oldest
    [entry] = await journal(client, path="/v1/alexaApiEndpoint")
    assert entry["latencyMs"] >= 80  # a lower bound: the sleep lasts at least this long
    listed = {f["faultId"]: f for f in await faults(client)}
    assert (listed[oldest]["matched"], listed[oldest]["fired"]) == (1, 1)
    assert (listed[newer]["matched"], listed[newer]["fired"], listed[newer]["remaining"]) == (1, 0, 2)
    assert (listed[slow]["matched"], listed[slow]["fired"]) == (1, 1)


async def test_only_the_faults_that_fire_add_their_delays(client: httpx.AsyncClient) -> None:
    """README "Faults" (corrected 2026-12-06, which said every matching fault's delay added up):
    a newer fault with a status does not fire once an older one answers, so its delay is not
    waited; a fault whose draw does not fire adds none."""
    oldest = await add_fault(client, path="/v1/alexaApiEndpoint", status=500)
    # Delays far longer than the bound, and the bound far above a quick call on a loaded machine:
    # only waiting a delay could reach it (3 s delays and a 2.5-s bound left CI's load 0.5 s).
    newer = await add_fault(client, path="/v1/alexaApiEndpoint", status=503, delayMs=20000)
    never = await add_fault(client, path="/v1/alexaApiEndpoint", delayMs=20000, probability=0.0)
    started = time.monotonic()
    answer = await client.get("/v1/alexaApiEndpoint")
    assert time.monotonic() - started < 10  # neither 20 s delay was waited
    assert (answer.status_code, answer.headers[FAULT_HEADER]) == (500, oldest)
    listed = {f["faultId"]: (f["matched"], f["fired"]) for f in await faults(client)}
    assert listed == {oldest: (1, 1), newer: (1, 0), never: (1, 0)}


async def test_a_faulted_call_is_journaled_with_its_caller_customer_route_and_skill(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A fault answers before routing and authentication: the journal entry still names who
    called and what (the `customer=` filter found no faulted call before)."""
    skill = await admin.skill()
    client_id, _ = await admin.lwa_client()
    token = (await admin.tokens(client_id, skill.developer.user_id, ["alexa::ask:skills:readwrite"]))[
        "access_token"
    ]
    await add_fault(client, path="/v1/skills/*/credentials", status=429)
    answer = await client.get(
        f"/v1/skills/{skill.skill_id}/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 429
    [entry] = await journal(client, customer=skill.developer.user_id, path="/v1/skills/")
    assert entry["faultId"] == answer.headers[FAULT_HEADER]
    assert entry["caller"] == client_id
    assert entry["route"] == "/v1/skills/{skill_id}/credentials"
    assert entry["skill"] == skill.skill_id
