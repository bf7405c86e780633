"""`POST /v3/events`: accepted events update what Alexa knows; every refusal has the gateway's code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.rate_limit import WindowLimiter
from localexa.skill import capability, change_report, discovery_endpoint
from localexa.skill.properties import brightness, power_state
from localexa.skill.reports import add_or_update_report, delete_report
from localexa.skill.responses import event_endpoint, event_header
from tests.factories import Admin, Customer, Skill
from tests.observe.helpers import journal

ASYNC_EVENTS = "alexa::async_event:write"
READWRITE = "alexa::ask:skills:readwrite"


@dataclass
class Sender:
    """A skill with the event permission, enabled by a customer, and that customer's event token."""

    skill: Skill
    customer: Customer
    token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


async def enable(admin: Admin, client: httpx.AsyncClient, skill: Skill) -> None:
    """The developer enables the skill for their own account (SMAPI PUT)."""
    token = await admin.access_token(skill.developer.user_id, [READWRITE])
    answer = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 204, answer.text


async def sender(admin: Admin, client: httpx.AsyncClient, *, permissions: list[str] | None = None) -> Sender:
    skill = await admin.skill(permissions=[ASYNC_EVENTS] if permissions is None else permissions)
    await enable(admin, client, skill)
    tokens = await admin.tokens(skill.messaging_client_id, skill.developer.user_id, [ASYNC_EVENTS])
    return Sender(skill, skill.developer, tokens["access_token"])


def light(endpoint_id: str = "light-1") -> dict[str, Any]:
    return discovery_endpoint(
        endpoint_id,
        "Kitchen",
        [capability("Alexa"), capability("Alexa.PowerController", ["powerState"])],
        description="A light",
        manufacturer_name="Acme",
        display_categories=["LIGHT"],
    )


async def post(client: httpx.AsyncClient, body: Any, headers: dict[str, str]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        "/v3/events", content=content, headers={**headers, "Content-Type": "application/json"}
    )


def assert_gateway_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["header"]["namespace"] == "System"
    assert body["header"]["name"] == "Exception"
    assert body["header"]["messageId"]
    assert body["payload"]["code"] == code
    assert body["payload"]["description"]


async def known_endpoints(admin: Admin, who: Sender) -> dict[str, Any]:
    path = f"/_localexa/customers/{who.customer.user_id}/skills/{who.skill.skill_id}/endpoints"
    answer = await admin.client.get(path, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    return {e["endpointId"]: e for e in answer.json()["endpoints"]}


async def recorded_messages(admin: Admin, who: Sender) -> list[dict[str, Any]]:
    """The events and answers localexa kept for this customer and skill, oldest first."""
    path = f"/_localexa/customers/{who.customer.user_id}/skills/{who.skill.skill_id}/messages"
    answer = await admin.client.get(path, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


async def test_reports_add_change_and_delete_endpoints(admin: Admin, client: httpx.AsyncClient) -> None:
    who = await sender(admin, client)

    added = await post(
        client, add_or_update_report([light("light-1"), light("light-2")], token=who.token), who.headers()
    )
    assert added.status_code == 202, added.text
    assert added.content == b""
    assert added.headers["x-amzn-requestid"]
    assert set(await known_endpoints(admin, who)) == {"light-1", "light-2"}

    change = change_report("light-1", [power_state(True)], cause="PHYSICAL_INTERACTION", token=who.token)
    assert (await post(client, change, who.headers())).status_code == 202
    state = (await known_endpoints(admin, who))["light-1"]["state"]
    assert state["Alexa.PowerController.powerState"]["value"] == "ON"

    deleted = await post(client, delete_report(["light-2"], token=who.token), who.headers())
    assert deleted.status_code == 202
    assert set(await known_endpoints(admin, who)) == {"light-1"}

    path = f"/_localexa/customers/{who.customer.user_id}/skills/{who.skill.skill_id}/messages"
    messages = (await admin.client.get(path, headers=admin.headers)).json()["messages"]
    assert [m["name"] for m in messages] == ["DeleteReport", "ChangeReport", "AddOrUpdateReport"]
    assert all(m["direction"] == "event" and m["verdict"]["valid"] for m in messages)
    assert messages[1]["body"]["event"]["endpoint"]["scope"]["token"] == "[redacted]"


async def test_an_asynchronous_answer_updates_the_known_state(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    await post(client, add_or_update_report([light()], token=who.token), who.headers())
    answer = {
        "event": {
            "header": event_header("Alexa", "Response", correlation_token="corr-1"),
            "endpoint": event_endpoint("light-1", who.token),
            "payload": {},
        },
        "context": {"properties": [power_state(False), brightness(30)]},
    }

    assert (await post(client, answer, who.headers())).status_code == 202
    state = (await known_endpoints(admin, who))["light-1"]["state"]
    assert state["Alexa.PowerController.powerState"]["value"] == "OFF"
    assert state["Alexa.BrightnessController.brightness"]["value"] == 30


async def test_invalid_access_tokens(admin: Admin, client: httpx.AsyncClient) -> None:
    who = await sender(admin, client)
    event = change_report("light-1", [power_state(True)], token=who.token)

    assert_gateway_error(await post(client, event, {}), 401, "INVALID_ACCESS_TOKEN_EXCEPTION")
    assert_gateway_error(
        await post(client, event, who.headers("Atza|nope")), 401, "INVALID_ACCESS_TOKEN_EXCEPTION"
    )
    stranger = await admin.customer(name="Eve")
    other = await admin.tokens(who.skill.messaging_client_id, stranger.user_id, [ASYNC_EVENTS])
    foreign_scope = change_report("light-1", [power_state(True)], token=other["access_token"])
    assert_gateway_error(
        await post(client, foreign_scope, who.headers()), 401, "INVALID_ACCESS_TOKEN_EXCEPTION"
    )

    await admin.advance_clock(3601)
    assert_gateway_error(await post(client, event, who.headers()), 401, "INVALID_ACCESS_TOKEN_EXCEPTION")


async def test_skill_disabled_when_the_customer_has_not_enabled_it(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    skill = await admin.skill(permissions=[ASYNC_EVENTS])
    customer = await admin.customer()
    token = (await admin.tokens(skill.messaging_client_id, customer.user_id, [ASYNC_EVENTS]))["access_token"]
    event = change_report("light-1", [power_state(True)], token=token)

    answer = await post(client, event, {"Authorization": f"Bearer {token}"})

    assert_gateway_error(answer, 403, "SKILL_DISABLED_EXCEPTION")


async def test_skill_disabled_at_another_regions_gateway(admin: Admin, client: httpx.AsyncClient) -> None:
    who = await sender(admin, client)
    event = change_report("light-1", [power_state(True)], token=who.token)

    answer = await post(client, event, {**who.headers(), "Host": "api.eu.amazonalexa.com"})

    assert_gateway_error(answer, 403, "SKILL_DISABLED_EXCEPTION")
    assert "NA" in answer.json()["payload"]["description"]


async def test_insufficient_permission(admin: Admin, client: httpx.AsyncClient) -> None:
    without = await sender(admin, client, permissions=[])
    event = change_report("light-1", [power_state(True)], token=without.token)
    assert_gateway_error(
        await post(client, event, without.headers()), 403, "INSUFFICIENT_PERMISSION_EXCEPTION"
    )

    who = await sender(admin, client)
    app_token = await admin.access_token(who.customer.user_id, ["profile"])  # an ordinary app's token
    event = change_report("light-1", [power_state(True)], token=app_token)
    answer = await post(client, event, {"Authorization": f"Bearer {app_token}"})
    assert_gateway_error(answer, 403, "INSUFFICIENT_PERMISSION_EXCEPTION")

    lwa = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": who.skill.messaging_client_id,
            "client_secret": who.skill.messaging_client_secret,
        },
    )
    no_customer = lwa.json()["access_token"]
    event = change_report("light-1", [power_state(True)], token=no_customer)
    answer = await post(client, event, {"Authorization": f"Bearer {no_customer}"})
    assert_gateway_error(answer, 403, "INSUFFICIENT_PERMISSION_EXCEPTION")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param({"hello": "world"}, "event", id="not-an-event"),
        pytest.param("bad-brightness", "brightness", id="bad-property-value"),
        pytest.param("no-scope", "scope", id="no-scope"),
        pytest.param("foreign-namespace", "not an Alexa smart home interface", id="foreign-namespace"),
        # A key twice: the last one won, so a bogus scope token before a valid one was a 202
        # (fuzz37 F4), where every other API refuses it.
        pytest.param("token-twice", "gives the field token more than once", id="key-twice"),
    ],
)
async def test_invalid_events(admin: Admin, client: httpx.AsyncClient, body: Any, fragment: str) -> None:
    who = await sender(admin, client)
    if body == "bad-brightness":
        body = change_report("light-1", [{**brightness(10), "value": 150}], token=who.token)
    elif body == "no-scope":
        body = change_report("light-1", [power_state(True)], token=who.token)
        del body["event"]["endpoint"]["scope"]
    elif body == "token-twice":
        event = change_report("light-1", [power_state(True)], token=who.token)
        text = json.dumps(event)
        body = text.replace('"token": ', '"token": "Atza|bogus", "token": ', 1).encode()
    elif body == "foreign-namespace":
        body = change_report("light-1", [power_state(True)], token=who.token)
        body["event"]["header"].update(namespace="Foo.Bar", name="Baz", correlationToken="c")

    answer = await post(client, body, who.headers())

    assert_gateway_error(answer, 400, "INVALID_REQUEST_EXCEPTION")
    assert fragment in answer.json()["payload"]["description"]


@pytest.mark.parametrize("size", [300 * 1024, 2 * 1024 * 1024], ids=["over-256KB", "over-the-server-cap"])
async def test_request_entity_too_large(admin: Admin, client: httpx.AsyncClient, size: int) -> None:
    who = await sender(admin, client)
    event = change_report("light-1", [power_state(True)], token=who.token)
    event["event"]["payload"]["padding"] = "x" * size

    answer = await post(client, event, who.headers())
    assert_gateway_error(answer, 413, "REQUEST_ENTITY_TOO_LARGE_EXCEPTION")
    # One limit stated, the gateway's, whichever check refused it: a body past the server's own
    # cap (1 MB) was told "larger than 1048576 bytes" (spec QA L6).
    assert answer.json()["payload"]["description"] == (
        "The event is larger than the gateway accepts: at most 262144 bytes (256 KB)."
    )


async def test_throttling_per_skill(app: FastAPI, admin: Admin, client: httpx.AsyncClient) -> None:
    who = await sender(admin, client)
    await post(client, add_or_update_report([light()], token=who.token), who.headers())
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)
    event = change_report("light-1", [power_state(True)], token=who.token)

    statuses = [(await post(client, event, who.headers())).status_code for _ in range(2)]
    throttled = await post(client, event, who.headers())

    assert statuses == [202, 202]
    assert_gateway_error(throttled, 429, "THROTTLING_EXCEPTION")
    assert int(throttled.headers["retry-after"]) >= 1


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
async def test_a_number_that_is_not_finite_is_refused_and_nothing_is_kept(
    admin: Admin, client: httpx.AsyncClient, number: str
) -> None:
    """`1e400` parses as Infinity: PostgreSQL's json refuses the token (this was a 500 there) and
    SQLite kept text no JSON parser reads back. Now a 400 on both, and the report left nothing."""
    who = await sender(admin, client)
    endpoint = light("light-1")
    endpoint["cookie"] = {"n": "PLACEHOLDER"}
    body = json.dumps(add_or_update_report([endpoint], token=who.token)).replace('"PLACEHOLDER"', number)
    answer = await post(client, body.encode(), who.headers())
    assert_gateway_error(answer, 400, "INVALID_REQUEST_EXCEPTION")
    assert "not finite" in answer.json()["payload"]["description"]
    assert await known_endpoints(admin, who) == {}


async def test_a_refused_event_is_journaled_without_its_body(client: httpx.AsyncClient) -> None:
    """README (Journal): a request refused before its route read the body, a 401 for a missing or
    invalid token, is journaled with `requestBody: null`; the gateway read the body first, so its
    401s kept it (readme37b F2)."""
    for headers in ({}, {"Authorization": "Bearer Atza|not-a-token"}):
        answer = await client.post("/v3/events", content=b'{"event": {"sent": "anyway"}}', headers=headers)
        assert answer.status_code == 401, answer.text
    entries = await journal(client, path="/v3/events")
    assert [entry["status"] for entry in entries] == [401, 401]
    assert [entry["requestBody"] for entry in entries] == [None, None]
