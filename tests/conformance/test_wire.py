"""What every API answers on the wire, checked in one sweep per claim of
../shared/spec/alexa-api-surface.md and the seeds: status, `Content-Type`, the exact keys of each
family's error body, and `X-Amzn-RequestId` ("Send X-Amzn-RequestId on every response", §1.3;
Smart Home REST seed "Amazon request ID")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.enablement.helpers import ACCOUNT_LINKING, READWRITE, bearer, enablement_path, link, linked_skill
from tests.enablement.token_server import TokenServer
from tests.factories import Admin, Customer, Skill

THREAD = "alexa::thread_network_credentials:read"
EVENTS = "alexa::async_event:write"


@dataclass
class World:
    """One customer who linked one skill (development stage), and every token they hold."""

    customer: Customer
    skill: Skill
    customer_token: str  # alexa::skills:account_linking
    developer_token: str  # the skill's developer, alexa::ask:skills:readwrite
    event_token: str  # the skill's messaging client for the customer (AcceptGrant's)
    app: tuple[str, str] = field(default=("", ""))


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Admin, token_server: TokenServer) -> World:
    skill = await linked_skill(admin, token_server, permissions=[THREAD, EVENTS])
    customer = await admin.customer()
    customer_token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    linked = await link(client, customer_token, skill.skill_id)
    assert linked.status_code == 201, linked.text
    event = await admin.tokens(skill.messaging_client_id, customer.user_id, [EVENTS])
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    return World(customer, skill, customer_token, developer, event["access_token"], await admin.lwa_client())


JSON_ERROR_KEYS = {
    "lwa": {"error", "error_description"},
    "smapi": {"code", "message"},
    "smapi-bad-request": {"code", "message", "violations"},
    "customer": {"message"},
    "locker": {"code", "message"},
    "events": {"header", "payload"},
}


def calls(w: World) -> list[tuple[str, str, dict[str, Any], int, str | None]]:
    """(method, path, request kwargs, status, error family or None for a success)."""
    skill = w.skill.skill_id
    dev, cust, evt = bearer(w.developer_token), bearer(w.customer_token), bearer(w.event_token)
    client_id, secret = w.app
    testing = f"/v1/skills/{skill}/smartHome/testing"
    return [
        # LWA (spec §3)
        (
            "POST",
            "/auth/o2/token",
            {
                "data": {
                    "grant_type": "client_credentials",
                    "scope": "alexa:skill_messaging",
                    "client_id": w.skill.messaging_client_id,
                    "client_secret": w.skill.messaging_client_secret,
                }
            },
            200,
            None,
        ),
        (
            "POST",
            "/auth/o2/token",
            {
                "data": {
                    "grant_type": "refresh_token",
                    "refresh_token": "Atzr|nope",
                    "client_id": client_id,
                    "client_secret": secret,
                }
            },
            400,
            "lwa",
        ),
        (
            "POST",
            "/auth/o2/token",
            {"data": {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}},
            401,
            "lwa",
        ),
        ("GET", "/auth/o2/tokeninfo", {"params": {"access_token": w.customer_token}}, 200, None),
        ("GET", "/auth/o2/tokeninfo", {"params": {"access_token": "Atza|nope"}}, 400, "lwa"),
        ("GET", "/user/profile", {"headers": bearer("Atza|nope")}, 401, "lwa"),
        # Skill Enablement, developer (§1.1): 204 without a body
        ("PUT", f"/v1/skills/{skill}/stages/development/enablement", {"headers": dev}, 204, None),
        ("GET", f"/v1/skills/{skill}/stages/development/enablement", {"headers": dev}, 204, None),
        ("GET", f"/v1/skills/{skill}/stages/live/enablement", {"headers": dev}, 404, "smapi"),
        ("GET", f"/v1/skills/{skill}/stages/beta/enablement", {"headers": dev}, 400, "smapi-bad-request"),
        ("GET", f"/v1/skills/{skill}/stages/development/enablement", {}, 401, "smapi"),
        (
            "PUT",
            f"/v1/skills/{skill}/stages/development/enablement",
            {"headers": cust},
            403,
            "smapi-bad-request",
        ),
        # Skill Credentials (§1.4)
        ("GET", f"/v1/skills/{skill}/credentials", {"headers": dev}, 200, None),
        ("GET", "/v1/skills/amzn1.ask.skill.nope/credentials", {"headers": dev}, 404, "smapi"),
        # Customer enablement (§1.2)
        ("GET", "/v1/alexaApiEndpoint", {"headers": cust}, 200, None),
        ("GET", enablement_path(skill), {"headers": cust}, 200, None),
        ("GET", enablement_path("amzn1.ask.skill.nope"), {"headers": cust}, 404, "customer"),
        (
            "POST",
            enablement_path(skill),
            {"headers": cust, "json": {"stage": "development"}},
            400,
            "customer",
        ),
        ("GET", "/v1/alexaApiEndpoint", {}, 401, "customer"),
        # Evaluation (§2): BadRequestError for 400/401/403/404/429
        ("GET", f"{testing}/capabilityTestPlans", {"headers": dev}, 200, None),
        ("GET", f"{testing}/capabilityTestPlans", {}, 401, "smapi-bad-request"),
        (
            "GET",
            f"{testing}/capabilityEvaluations",
            {"headers": dev, "params": {"stage": "development"}},
            200,
            None,
        ),
        ("GET", f"{testing}/capabilityEvaluations/nope", {"headers": dev}, 404, "smapi-bad-request"),
        # Event gateway (§4): 202
        ("POST", "/v3/events", {"headers": bearer("Atza|nope"), "json": {}}, 401, "events"),
        # Credential Locker (§7)
        (
            "GET",
            "/credentiallocker/v2/threadNetworks",
            {"headers": evt, "params": {"extendedPanId": "dead00beef00cafe"}},
            200,
            None,
        ),
        ("GET", "/credentiallocker/v2/threadNetworks", {"headers": evt}, 400, "locker"),
        (
            "GET",
            "/credentiallocker/v2/threadNetworks",
            {"params": {"extendedPanId": "dead00beef00cafe"}},
            401,
            "locker",
        ),
    ]


async def test_every_api_answers_its_status_content_type_error_keys_and_request_id(
    client: httpx.AsyncClient, world: World
) -> None:
    ids: set[str] = set()
    for method, path, kwargs, status, family in calls(world):
        response = await client.request(method, path, **kwargs)
        where = f"{method} {path} {kwargs.get('params', '')}"
        assert response.status_code == status, (where, response.text)
        request_id = response.headers.get("X-Amzn-RequestId")
        assert request_id, where
        ids.add(request_id)
        if status == 204:
            assert response.content == b"", where
            continue
        assert response.headers["content-type"].split(";")[0] == "application/json", where
        body = response.json()
        if family is not None:
            assert set(body) == JSON_ERROR_KEYS[family], (where, body)
            if family == "smapi-bad-request":
                assert body["violations"], where
                assert {"code", "message"} <= set(body["violations"][0]), where
            if family == "events":
                assert set(body["payload"]) == {"code", "description"}, where
    assert len(ids) == len(calls(world))  # one id per response


async def test_bodiless_successes_still_carry_a_request_id(client: httpx.AsyncClient, world: World) -> None:
    """The 200s without a body (customer DELETE, seed; Credential Locker PUT, seed) and the event
    gateway's 202."""
    put = await client.put(
        "/credentiallocker/v2/threadNetworks",
        json={
            "threadNetwork": {
                "extendedPanId": "dead00beef00cafe",
                "networkName": "Home",
                "networkKey": "00112233445566778899aabbccddeeff",
            }
        },
        headers=bearer(world.event_token),
    )
    assert (put.status_code, put.content) == (200, b"")
    assert put.headers["X-Amzn-RequestId"]
    dev = bearer(world.developer_token)
    event = {
        "event": {
            "header": {
                "namespace": "Alexa.Discovery",
                "name": "DeleteReport",
                "payloadVersion": "3",
                "messageId": "m-1",
            },
            "payload": {
                "endpoints": [{"endpointId": "gone"}],
                "scope": {"type": "BearerToken", "token": world.event_token},
            },
        }
    }
    posted = await client.post(
        "/v3/events",
        content=json.dumps(event),
        headers={**bearer(world.event_token), "Content-Type": "application/json"},
    )
    assert posted.status_code == 202, posted.text
    assert posted.headers["X-Amzn-RequestId"]
    deleted = await client.delete(enablement_path(world.skill.skill_id), headers=bearer(world.customer_token))
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert deleted.headers["X-Amzn-RequestId"]
    assert (
        await client.get(f"/v1/skills/{world.skill.skill_id}/credentials", headers=dev)
    ).status_code == 200


async def test_page_answers_carry_a_request_id(client: httpx.AsyncClient, world: World) -> None:
    client_id, _ = world.app
    page = await client.get(
        "/ap/oa",
        params={
            "client_id": client_id,
            "scope": "profile",
            "response_type": "code",
            "redirect_uri": "https://app.example.com/cb",
        },
    )
    assert page.status_code == 200
    assert page.headers["X-Amzn-RequestId"]
    redirect = await client.get(
        "/ap/oa",
        params={
            "client_id": client_id,
            "scope": "profile",
            "response_type": "token",
            "redirect_uri": "https://app.example.com/cb",
        },
    )
    assert redirect.status_code == 302
    assert redirect.headers["X-Amzn-RequestId"]


async def test_ask_clis_legacy_client_reads_credentials_with_a_raw_token(
    client: httpx.AsyncClient, world: World
) -> None:
    """ask-cli's internal SMAPI client (`smapi-client/resources/skill.js`) also reads
    `skills/{id}/credentials`, sending `authorization: <token>` without `Bearer ` (spec §6)."""
    answer = await client.get(
        f"/v1/skills/{world.skill.skill_id}/credentials", headers={"authorization": world.developer_token}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["skillMessagingCredentials"]["clientId"] == world.skill.messaging_client_id
