"""`POST /v3/events` takes Amazon's own sample messages it refused before 2026-12-06 (a thermostat
ErrorResponse in `Alexa.ThermostatController`, WakeUp), and checks the scene answers' payload as it
checks a DoorbellPress (a cause type "FOO" or no timestamp was a 202)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import amazon_samples as samples
from tests.events.test_gateway import Sender, assert_gateway_error, post, recorded_messages, sender
from tests.factories import Admin

INVALID_REQUEST = "INVALID_REQUEST_EXCEPTION"


@pytest.fixture
async def who(admin: Admin, client: httpx.AsyncClient) -> Sender:
    return await sender(admin, client)


@pytest.mark.parametrize(
    "path",
    [
        samples.THERMOSTAT_TEMPERATURE_OUT_OF_RANGE,
        samples.THERMOSTAT_SETPOINTS_TOO_CLOSE,
        samples.THERMOSTAT_IS_OFF,
        samples.WAKE_UP,
        samples.ACTIVATION_STARTED,
        samples.DEACTIVATION_STARTED,
    ],
)
async def test_amazons_sample_is_taken(
    admin: Admin, client: httpx.AsyncClient, who: Sender, path: str
) -> None:
    answer = await post(client, samples.scoped(path, who.token), who.headers())
    assert answer.status_code == 202, answer.text
    [kept] = await recorded_messages(admin, who)
    assert kept["name"] == samples.sample(path)["event"]["header"]["name"]


async def test_an_error_type_of_another_interface_is_refused_in_the_thermostats(
    client: httpx.AsyncClient, who: Sender
) -> None:
    event = samples.scoped(samples.THERMOSTAT_IS_OFF, who.token)
    event["event"]["payload"]["type"] = "DOOR_OPEN"  # Alexa.Cooking's
    refused = await post(client, event, who.headers())
    assert_gateway_error(refused, 400, INVALID_REQUEST)
    assert "Alexa.Cooking" in refused.json()["payload"]["description"]


async def test_an_unknown_error_type_is_told_what_the_namespace_takes(
    client: httpx.AsyncClient, who: Sender
) -> None:
    event = samples.scoped(samples.THERMOSTAT_IS_OFF, who.token)
    event["event"]["payload"]["type"] = "FOO"
    refused = await post(client, event, who.headers())
    assert_gateway_error(refused, 400, INVALID_REQUEST)
    description = refused.json()["payload"]["description"]
    assert "'FOO' is no ErrorResponse type of Alexa.ThermostatController" in description
    assert "UNSUPPORTED_THERMOSTAT_MODE" in description
    assert "ACCEPT_GRANT_FAILED" not in description
    assert len(description) < 400, description


def _wake_up_without_token(who: Sender) -> dict[str, Any]:
    event = samples.scoped(samples.WAKE_UP, who.token)
    del event["event"]["header"]["correlationToken"]
    return event


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda p: p["cause"].update(type="FOO"), "event.payload.cause.type", id="cause-foo"),
        pytest.param(lambda p: p.pop("timestamp"), "event.payload.timestamp", id="no-timestamp"),
        pytest.param(lambda p: p.pop("cause"), "event.payload.cause", id="no-cause"),
    ],
)
@pytest.mark.parametrize("path", [samples.ACTIVATION_STARTED, samples.DEACTIVATION_STARTED])
async def test_a_scene_answer_with_a_bad_payload_is_refused(
    admin: Admin, client: httpx.AsyncClient, who: Sender, path: str, change: Any, expected: str
) -> None:
    event = samples.scoped(path, who.token)
    change(event["event"]["payload"])
    refused = await post(client, event, who.headers())
    assert_gateway_error(refused, 400, INVALID_REQUEST)
    assert expected in refused.json()["payload"]["description"]
    assert await recorded_messages(admin, who) == []


async def test_a_wake_up_must_echo_the_turn_ons_correlation_token(
    client: httpx.AsyncClient, who: Sender
) -> None:
    refused = await post(client, _wake_up_without_token(who), who.headers())
    assert_gateway_error(refused, 400, INVALID_REQUEST)
    description = refused.json()["payload"]["description"]
    assert "event.header.correlationToken" in description
    # A WakeUp is no answer (since 2026-12-06 the message says what it must carry).
    assert "a WakeUp must carry the correlationToken of the TurnOn it wakes the endpoint for" in description
    assert "answer" not in description
