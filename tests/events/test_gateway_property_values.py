"""Property values the gateway refused only since 2026-12-06 (each was a 202, and stored as the
endpoint's state): a speaker's volume of 150 or muted "yes", a toggle state "MAYBE" or a toggle
property without its instance, a range value "high", a property of no Alexa interface, and a
thermostat setpoint outside −100 to 100 °C (Amazon's schema bound read as degrees Celsius), or the
same in °F or K (told in the value's own scale since the evening of 2026-12-06)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localexa.skill import change_report
from localexa.skill.validation import validate_event
from tests.events.test_gateway import Sender, assert_gateway_error, known_endpoints, post
from tests.events.test_gateway_event_rules import _with_light
from tests.factories import Admin

NOW = "2026-01-01T10:00:00Z"


def _prop(namespace: str, name: str, value: Any, instance: str | None = None) -> dict[str, Any]:
    prop = {"namespace": namespace, "name": name, "value": value}
    if instance is not None:
        prop["instance"] = instance
    return {**prop, "timeOfSample": NOW, "uncertaintyInMilliseconds": 0}


def _temperature(value: float, scale: str) -> dict[str, Any]:
    return {"value": value, "scale": scale}


REFUSED = [
    pytest.param(_prop("Alexa.Speaker", "volume", 150), "value", "between 0 and 100", id="volume-150"),
    pytest.param(_prop("Alexa.Speaker", "volume", 5.5), "value", "an integer", id="volume-5.5"),
    pytest.param(_prop("Alexa.Speaker", "muted", "yes"), "value", "true or false", id="muted-yes"),
    pytest.param(
        _prop("Alexa.ToggleController", "toggleState", "MAYBE", "Fan.Oscillate"),
        "value",
        "one of ON, OFF",
        id="toggle-maybe",
    ),
    pytest.param(
        _prop("Alexa.ToggleController", "toggleState", "ON"),
        "instance",
        "must name the instance",
        id="no-instance",
    ),
    pytest.param(
        _prop("Alexa.RangeController", "rangeValue", "high", "Fan.Speed"),
        "value",
        "a number",
        id="range-high",
    ),
    pytest.param(
        _prop("Foo.Bar", "level", 1), "namespace", "Foo.Bar is not an Alexa interface", id="foo-bar"
    ),
    pytest.param(
        _prop("Alexa.ThermostatController", "targetSetpoint", _temperature(500, "CELSIUS")),
        "value",
        "between -100 and 100 °C",
        id="setpoint-500c",
    ),
    pytest.param(
        _prop("Alexa.ThermostatController", "upperSetpoint", _temperature(250, "FAHRENHEIT")),
        "value",
        "must be between -148 and 212 °F",
        id="setpoint-250f",
    ),
    pytest.param(
        _prop("Alexa.ThermostatController", "lowerSetpoint", _temperature(10, "KELVIN")),
        "value",
        "must be between 173.15 and 373.15 K",
        id="setpoint-10k",
    ),
]

TAKEN = [
    pytest.param(_prop("Alexa.Speaker", "volume", 100), id="volume-100"),
    pytest.param(_prop("Alexa.Speaker", "muted", False), id="muted-false"),
    pytest.param(_prop("Alexa.ToggleController", "toggleState", "OFF", "Fan.Oscillate"), id="toggle-off"),
    pytest.param(_prop("Alexa.RangeController", "rangeValue", -3.5, "Fan.Speed"), id="range-negative"),
    pytest.param(_prop("Alexa.ModeController", "mode", "Wash.Cycle.Delicates", "Wash.Cycle"), id="mode"),
    pytest.param(
        _prop("Alexa.ThermostatController", "targetSetpoint", _temperature(72, "FAHRENHEIT")),
        id="setpoint-72f",
    ),
    pytest.param(
        _prop("Alexa.ThermostatController", "targetSetpoint", _temperature(295.15, "KELVIN")),
        id="setpoint-kelvin",
    ),
    # The bounds the messages give, each in its own scale, are taken.
    *(
        pytest.param(
            _prop("Alexa.ThermostatController", "targetSetpoint", _temperature(value, scale)),
            id=f"setpoint-bound-{value}-{scale}",
        )
        for value, scale in [
            (-148, "FAHRENHEIT"),
            (212, "FAHRENHEIT"),
            (173.15, "KELVIN"),
            (373.15, "KELVIN"),
        ]
    ),
]


@pytest.mark.parametrize(("prop", "field", "reason"), REFUSED)
def test_the_kits_check_refuses_the_value(prop: dict[str, Any], field: str, reason: str) -> None:
    [problem] = validate_event(change_report("light-1", [prop], token="t")).problems
    assert problem.path == f"event.payload.change.properties.0.{field}"
    assert reason in problem.message


@pytest.mark.parametrize("prop", TAKEN)
def test_the_kits_check_takes_the_value(prop: dict[str, Any]) -> None:
    verdict = validate_event(change_report("light-1", [prop], token="t"))
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize(("prop", "field", "reason"), REFUSED)
async def test_the_gateway_refuses_the_value_and_stores_nothing(
    admin: Admin, client: httpx.AsyncClient, prop: dict[str, Any], field: str, reason: str
) -> None:
    who: Sender = await _with_light(admin, client)
    refused = await post(client, change_report("light-1", [prop], token=who.token), who.headers())
    assert_gateway_error(refused, 400, "INVALID_REQUEST_EXCEPTION")
    assert reason in refused.json()["payload"]["description"]
    assert (await known_endpoints(admin, who))["light-1"]["state"] == {}
