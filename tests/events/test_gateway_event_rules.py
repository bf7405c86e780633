"""`POST /v3/events` refuses what QA found accepted (each was a 202 before): a `timeOfSample` from
the future (it froze the property's state for good), events the gateway does not take (some
applied their properties), an asynchronous StateReport without properties, and an
AddOrUpdateReport listing one endpointId twice. A refusal is a 400 INVALID_REQUEST_EXCEPTION,
and nothing of the event is kept."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from localexa.server.directives.endpoints import merge_properties
from localexa.skill import change_report, state_report
from localexa.skill.properties import brightness, power_state
from localexa.skill.reports import add_or_update_report
from localexa.skill.responses import deferred_response, event_endpoint, event_header
from localexa.skill.validation import MAX_SAMPLE_AHEAD
from tests.events.test_gateway import (
    ASYNC_EVENTS,
    Sender,
    assert_gateway_error,
    known_endpoints,
    light,
    post,
    recorded_messages,
    sender,
)
from tests.factories import Admin
from tests.skill.factories import directive

INVALID_REQUEST = "INVALID_REQUEST_EXCEPTION"
POWER = "Alexa.PowerController.powerState"


async def _with_light(admin: Admin, client: httpx.AsyncClient) -> Sender:
    who = await sender(admin, client)
    added = await post(client, add_or_update_report([light()], token=who.token), who.headers())
    assert added.status_code == 202, added.text
    return who


def _report_sampled_at(who: Sender, time_of_sample: str, on: bool) -> dict[str, Any]:
    report = change_report("light-1", [power_state(on)], token=who.token)
    report["event"]["payload"]["change"]["properties"][0]["timeOfSample"] = time_of_sample
    return report


def _power(state: dict[str, Any]) -> Any:
    return state[POWER]["value"] if POWER in state else None


@pytest.mark.parametrize("future", ["2099-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
async def test_a_sample_from_the_future_is_refused_and_later_reports_still_apply(
    admin: Admin, client: httpx.AsyncClient, future: str
) -> None:
    who = await _with_light(admin, client)

    refused = await post(client, _report_sampled_at(who, future, on=False), who.headers())

    assert_gateway_error(refused, 400, INVALID_REQUEST)
    description = refused.json()["payload"]["description"]
    assert f"{POWER} was sampled at {future}" in description
    assert "years" in description
    assert "ahead of Alexa's clock" in description
    assert _power((await known_endpoints(admin, who))["light-1"]["state"]) is None
    # A present sample still updates the state: nothing froze it.
    now = power_state(True)["timeOfSample"]
    assert (await post(client, _report_sampled_at(who, now, on=True), who.headers())).status_code == 202
    assert _power((await known_endpoints(admin, who))["light-1"]["state"]) == "ON"
    assert [m["name"] for m in await recorded_messages(admin, who)] == ["ChangeReport", "AddOrUpdateReport"]


async def test_the_future_is_judged_by_localexas_clock_with_some_skew_allowed(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await _with_light(admin, client)
    wall = datetime.now(UTC)
    within_skew = (wall + MAX_SAMPLE_AHEAD - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tomorrow = (wall + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert (
        await post(client, _report_sampled_at(who, within_skew, on=True), who.headers())
    ).status_code == 202
    answer = await post(client, _report_sampled_at(who, tomorrow, on=False), who.headers())
    assert_gateway_error(answer, 400, INVALID_REQUEST)
    assert "23 h 59 min" in answer.json()["payload"]["description"]

    # localexa's clock travels two days on: tomorrow's sample is now in the past.
    await admin.advance_clock(2 * 86400)
    fresh = await admin.tokens(who.skill.messaging_client_id, who.customer.user_id, [ASYNC_EVENTS])
    who = Sender(who.skill, who.customer, fresh["access_token"])
    assert (await post(client, _report_sampled_at(who, tomorrow, on=False), who.headers())).status_code == 202
    assert _power((await known_endpoints(admin, who))["light-1"]["state"]) == "OFF"


def _answer(who: Sender, namespace: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": {
            "header": event_header(namespace, name, correlation_token="corr-1"),
            "endpoint": event_endpoint("light-1", who.token),
            "payload": {},
        },
        "context": {"properties": [power_state(False), brightness(30)]},
        **extra,
    }


def _no_such_events(who: Sender) -> list[tuple[str, dict[str, Any]]]:
    change = change_report("light-1", [power_state(False)], token=who.token)
    discovery_foo = {
        "event": {"header": event_header("Alexa.Discovery", "Foo"), "payload": {}},
    }
    discovery_change = copy.deepcopy(change)
    discovery_change["event"]["header"]["namespace"] = "Alexa.Discovery"
    foo_change = copy.deepcopy(change)
    foo_change["event"]["header"]["namespace"] = "Alexa.Foo"
    discover_response = {
        "event": {
            "header": event_header("Alexa.Discovery", "Discover.Response"),
            "payload": {"endpoints": [light()], "scope": {"type": "BearerToken", "token": who.token}},
        }
    }
    deferred = deferred_response(directive("Alexa.PowerController", "TurnOff", correlation_token="corr-1"))
    deferred["event"]["endpoint"] = event_endpoint("light-1", who.token)
    deferred["context"] = {"properties": [power_state(False)]}
    return [
        ("Alexa.Bogus", _answer(who, "Alexa", "Bogus")),
        ("Alexa.Foo.ChangeReport", foo_change),
        ("Alexa.Discovery.Foo", discovery_foo),
        ("Alexa.Discovery.ChangeReport", discovery_change),
        ("Alexa.Discovery.Discover.Response", discover_response),
        ("Alexa.DeferredResponse", deferred),
    ]


async def test_events_the_gateway_does_not_take_are_refused_and_change_nothing(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await _with_light(admin, client)
    on = await post(client, change_report("light-1", [power_state(True)], token=who.token), who.headers())
    assert on.status_code == 202
    before = await known_endpoints(admin, who)

    for name, event in _no_such_events(who):
        answer = await post(client, event, who.headers())
        assert_gateway_error(answer, 400, INVALID_REQUEST)
        assert f"{name} is not an event the gateway accepts" in answer.json()["payload"]["description"], name

    assert await known_endpoints(admin, who) == before
    assert _power(before["light-1"]["state"]) == "ON"
    assert [m["name"] for m in await recorded_messages(admin, who)] == ["ChangeReport", "AddOrUpdateReport"]


@pytest.mark.parametrize(
    ("namespace", "name", "payload"),
    [
        pytest.param("Alexa", "StateReport", {}, id="state-report"),
        pytest.param(
            "Alexa.SceneController",
            "ActivationStarted",
            {"cause": {"type": "VOICE_INTERACTION"}, "timestamp": "2026-01-01T10:00:00Z"},
            id="scene-activation-started",
        ),
        pytest.param(
            "Alexa.ThermostatController",
            "ErrorResponse",
            {"type": "THERMOSTAT_IS_OFF", "message": "off"},
            id="thermostat-error-response",
        ),
        pytest.param(
            "Alexa.Cooking",
            "ErrorResponse",
            {"type": "COOK_DURATION_TOO_LONG", "message": "too long"},
            id="cooking-error-response",
        ),
    ],
)
async def test_documented_asynchronous_answers_are_still_accepted(
    admin: Admin, client: httpx.AsyncClient, namespace: str, name: str, payload: dict[str, Any]
) -> None:
    who = await _with_light(admin, client)
    answer = _answer(who, namespace, name)
    answer["event"]["payload"] = payload
    assert (await post(client, answer, who.headers())).status_code == 202


async def test_a_doorbell_press_is_an_event_with_its_own_payload(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    """Alexa.DoorbellEventSource documents DoorbellPress as sent to the gateway: still a 202 once
    the gateway took only the events it knows, and its payload is checked."""
    who = await _with_light(admin, client)
    press = {
        "context": {},
        "event": {
            "header": event_header("Alexa.DoorbellEventSource", "DoorbellPress"),
            "endpoint": event_endpoint("light-1", who.token),
            "payload": {"cause": {"type": "PHYSICAL_INTERACTION"}, "timestamp": "2026-03-01T12:00:00.00Z"},
        },
    }
    assert (await post(client, press, who.headers())).status_code == 202
    press["event"]["header"] = event_header("Alexa.DoorbellEventSource", "DoorbellPress")
    press["event"]["payload"] = {"cause": {"type": "PHYSICAL_INTERACTION"}}
    assert_gateway_error(await post(client, press, who.headers()), 400, INVALID_REQUEST)


async def test_an_asynchronous_state_report_without_properties_is_refused(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await _with_light(admin, client)
    report_state = directive("Alexa", "ReportState", endpoint_id="light-1", correlation_token="corr-1")
    empty = state_report(report_state, [], scope_token=who.token)

    answer = await post(client, empty, who.headers())

    assert_gateway_error(answer, 400, INVALID_REQUEST)
    assert "a StateReport must report the endpoint's properties" in answer.json()["payload"]["description"]
    assert [m["name"] for m in await recorded_messages(admin, who)] == ["AddOrUpdateReport"]


async def test_an_add_or_update_report_listing_an_endpoint_twice_is_refused(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    twice = add_or_update_report([light("light-1"), light("light-2"), light("light-1")], token=who.token)

    answer = await post(client, twice, who.headers())

    assert_gateway_error(answer, 400, INVALID_REQUEST)
    assert "listed more than once: light-1" in answer.json()["payload"]["description"]
    assert await known_endpoints(admin, who) == {}
    assert await recorded_messages(admin, who) == []


def test_the_known_state_keeps_no_sample_from_the_future() -> None:
    """What a synchronous answer reports is learned whatever its verdict (recording.py): the state
    itself skips a sample from the future, and a stored one (kept before the rule) no longer
    outranks the present."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    present = power_state(True, time_of_sample=now)
    future = power_state(False, time_of_sample=datetime(2099, 1, 1, tzinfo=UTC))
    skewed = power_state(False, time_of_sample=now + MAX_SAMPLE_AHEAD)

    assert merge_properties({}, [future], now) == {}
    assert merge_properties({POWER: present}, [future], now)[POWER]["value"] == "ON"
    assert merge_properties({POWER: future}, [present], now)[POWER]["value"] == "ON"
    assert merge_properties({POWER: present}, [skewed], now)[POWER]["value"] == "OFF"
    # Without a clock (as before), only the order of samples counts.
    assert merge_properties({POWER: future}, [present])[POWER]["value"] == "OFF"
