"""Property, response, event and ErrorResponse builders produce what validate_* accepts (spec §4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from localexa.skill import (
    ErrorType,
    ExpiredAuthorizationCredential,
    InvalidAuthorizationCredential,
    SkillError,
    accept_grant_response,
    add_or_update_report,
    brightness,
    capability,
    change_report,
    color,
    color_temperature,
    connectivity,
    deferred_response,
    delete_report,
    discover_response,
    discovery_endpoint,
    error_response,
    lower_setpoint,
    power_state,
    response,
    state_report,
    target_setpoint,
    temperature,
    thermostat_mode,
    upper_setpoint,
    validate_event,
    validate_response,
)
from localexa.skill.errors import ERRORS_BY_TYPE, RequestedSetpointsTooClose
from localexa.skill.messages import error_namespace
from tests.skill.factories import accept_grant, directive, discover, header, payload

TURN_ON = directive("Alexa.PowerController", "TurnOn")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_property_builders_write_alexa_values() -> None:
    moment = datetime(2017, 2, 3, 16, 20, 50, 520000, tzinfo=UTC)
    assert power_state(True, time_of_sample=moment, uncertainty_ms=500) == {
        "namespace": "Alexa.PowerController",
        "name": "powerState",
        "value": "ON",
        "timeOfSample": "2017-02-03T16:20:50.520Z",
        "uncertaintyInMilliseconds": 500,
    }
    values = {
        (p["namespace"], p["name"]): p["value"]
        for p in [
            brightness(40),
            color(350.5, 0.7, 0.4),
            color_temperature(2700),
            target_setpoint(21.5),
            lower_setpoint(68, "FAHRENHEIT"),
            upper_setpoint(74, "FAHRENHEIT"),
            thermostat_mode("HEAT"),
            connectivity(False),
            temperature(19.0, "CELSIUS"),
        ]
    }
    assert values == {
        ("Alexa.BrightnessController", "brightness"): 40,
        ("Alexa.ColorController", "color"): {"hue": 350.5, "saturation": 0.7, "brightness": 0.4},
        ("Alexa.ColorTemperatureController", "colorTemperatureInKelvin"): 2700,
        ("Alexa.ThermostatController", "targetSetpoint"): {"value": 21.5, "scale": "CELSIUS"},
        ("Alexa.ThermostatController", "lowerSetpoint"): {"value": 68, "scale": "FAHRENHEIT"},
        ("Alexa.ThermostatController", "upperSetpoint"): {"value": 74, "scale": "FAHRENHEIT"},
        ("Alexa.ThermostatController", "thermostatMode"): "HEAT",
        ("Alexa.EndpointHealth", "connectivity"): {"value": "UNREACHABLE"},
        ("Alexa.TemperatureSensor", "temperature"): {"value": 19.0, "scale": "CELSIUS"},
    }
    assert TIMESTAMP.match(brightness(1)["timeOfSample"])


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: brightness(101), id="brightness-high"),
        pytest.param(lambda: brightness(50.5), id="brightness-float"),  # type: ignore[arg-type]
        pytest.param(lambda: color(361, 0.5, 0.5), id="hue"),
        pytest.param(lambda: color(10, 1.5, 0.5), id="saturation"),
        pytest.param(lambda: color_temperature(999), id="kelvin"),
        pytest.param(lambda: target_setpoint(20, "RANKINE"), id="scale"),  # type: ignore[arg-type]
        pytest.param(lambda: thermostat_mode("WARM"), id="mode"),
        pytest.param(lambda: power_state(True, uncertainty_ms=-1), id="uncertainty"),
        # Built before, then refused by the gateway (QA of 2026-12-05); "5" was a TypeError.
        pytest.param(lambda: power_state(True, uncertainty_ms=True), id="uncertainty-bool"),
        pytest.param(lambda: power_state(True, uncertainty_ms=1.5), id="uncertainty-float"),  # type: ignore[arg-type]
        pytest.param(lambda: power_state(True, uncertainty_ms="5"), id="uncertainty-str"),  # type: ignore[arg-type]
        pytest.param(
            lambda: deferred_response(directive("Alexa.PowerController", "TurnOn"), -1),
            id="deferral-negative",
        ),
        pytest.param(
            lambda: deferred_response(directive("Alexa.PowerController", "TurnOn"), "x"),  # type: ignore[arg-type]
            id="deferral-str",
        ),
    ],
)
def test_property_builders_refuse_values_alexa_refuses(build: Any) -> None:
    with pytest.raises(ValueError, match=r"."):
        build()


def _error_for(error_type: ErrorType) -> SkillError:
    cls = ERRORS_BY_TYPE[error_type]
    needs_args: dict[ErrorType, tuple[Any, ...]] = {
        ErrorType.ENDPOINT_LOW_POWER: (12,),
        ErrorType.NOT_SUPPORTED_IN_CURRENT_MODE: ("COLOR",),
        ErrorType.VALUE_OUT_OF_RANGE: (0, 100),
        ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE: (10, 30),
        ErrorType.REQUESTED_SETPOINTS_TOO_CLOSE: (2,),
    }
    return cls(*needs_args.get(error_type, ()))


def test_there_is_an_error_class_for_every_type() -> None:
    assert set(ERRORS_BY_TYPE) == set(ErrorType)


@pytest.mark.parametrize("error_type", [pytest.param(t, id=t.value) for t in ErrorType])
def test_every_error_type_builds_a_valid_error_response(error_type: ErrorType) -> None:
    event = accept_grant() if error_type is ErrorType.ACCEPT_GRANT_FAILED else TURN_ON
    answer = _error_for(error_type).response(event)
    assert header(answer)["name"] == "ErrorResponse"
    assert header(answer)["namespace"] == (
        ERRORS_BY_TYPE[error_type].namespace or error_namespace(error_type)
    )
    assert payload(answer)["type"] == error_type.value
    verdict = validate_response(event, answer)
    assert verdict.ok, verdict.problems
    assert verdict.valid  # the name a directive result's verdict uses
    assert verdict.error_type == error_type.value


def test_extra_fields_of_error_types() -> None:
    assert payload(_error_for(ErrorType.VALUE_OUT_OF_RANGE).response(TURN_ON))["validRange"] == {
        "minimumValue": 0,
        "maximumValue": 100,
    }
    assert payload(_error_for(ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE).response(TURN_ON))["validRange"] == {
        "minimumValue": {"value": 10, "scale": "CELSIUS"},
        "maximumValue": {"value": 30, "scale": "CELSIUS"},
    }
    assert payload(_error_for(ErrorType.REQUESTED_SETPOINTS_TOO_CLOSE).response(TURN_ON))[
        "minimumTemperatureDelta"
    ] == {"value": 2, "scale": "CELSIUS"}
    assert payload(_error_for(ErrorType.ENDPOINT_LOW_POWER).response(TURN_ON))["percentageState"] == 12
    assert (
        payload(_error_for(ErrorType.NOT_SUPPORTED_IN_CURRENT_MODE).response(TURN_ON))["currentDeviceMode"]
        == "COLOR"
    )


@pytest.mark.parametrize(
    "error_type",
    [
        "VALUE_OUT_OF_RANGE",
        "TEMPERATURE_VALUE_OUT_OF_RANGE",
        "ENDPOINT_LOW_POWER",
        "NOT_SUPPORTED_IN_CURRENT_MODE",
    ],
)
def test_error_response_refuses_a_type_without_its_extra_field(error_type: str) -> None:
    with pytest.raises(ValueError, match=error_type):
        error_response(TURN_ON, error_type, "missing the extra field")


def test_minimum_temperature_delta_is_optional() -> None:
    """alexa-thermostatcontroller-errorresponse: "optionally include … minimumTemperatureDelta"."""
    answer = RequestedSetpointsTooClose().response(TURN_ON)
    assert "minimumTemperatureDelta" not in payload(answer)
    assert header(answer)["namespace"] == "Alexa.ThermostatController"
    assert validate_response(TURN_ON, answer).ok
    bad = error_response(TURN_ON, "REQUESTED_SETPOINTS_TOO_CLOSE", "x")
    bad["event"]["payload"]["minimumTemperatureDelta"] = {"value": 2}  # no scale: still checked
    assert not validate_response(TURN_ON, bad).ok


@pytest.mark.parametrize(
    ("error", "error_type"),
    [
        pytest.param(ExpiredAuthorizationCredential(), "EXPIRED_AUTHORIZATION_CREDENTIAL", id="expired"),
        pytest.param(InvalidAuthorizationCredential(), "INVALID_AUTHORIZATION_CREDENTIAL", id="invalid"),
    ],
)
def test_credential_error_response_shape(error: SkillError, error_type: str) -> None:
    answer = error.response(TURN_ON)
    message_id = header(answer)["messageId"]
    assert answer == {
        "event": {
            "header": {
                "namespace": "Alexa",
                "name": "ErrorResponse",
                "payloadVersion": "3",
                "messageId": message_id,
                "correlationToken": TURN_ON["directive"]["header"]["correlationToken"],
            },
            "endpoint": {"endpointId": "endpoint-001"},
            "payload": {"type": error_type, "message": error.message},
        }
    }
    assert message_id != TURN_ON["directive"]["header"]["messageId"]


def test_response_and_state_report_echo_the_directive() -> None:
    answer = response(TURN_ON, [power_state(True)], scope_token="tok")
    assert header(answer)["name"] == "Response"
    assert answer["event"]["endpoint"] == {
        "endpointId": "endpoint-001",
        "scope": {"type": "BearerToken", "token": "tok"},
    }
    assert answer["context"]["properties"][0]["value"] == "ON"
    report_state = directive("Alexa", "ReportState")
    report = state_report(report_state, [power_state(False)])
    assert header(report)["name"] == "StateReport"
    assert validate_response(report_state, report).ok
    assert "context" not in response(TURN_ON)


def test_deferred_discover_and_accept_grant_answers() -> None:
    deferred = deferred_response(TURN_ON, 7)
    assert payload(deferred) == {"estimatedDeferralInSeconds": 7}
    assert validate_response(TURN_ON, deferred).ok
    endpoint = discovery_endpoint(
        "lamp-1",
        "Lamp",
        [capability("Alexa.PowerController", ["powerState"])],
        description="A lamp",
        manufacturer_name="Acme",
        display_categories=["LIGHT"],
    )
    assert endpoint["capabilities"][0]["interface"] == "Alexa"  # added when missing
    found = discover_response(discover(), [endpoint])
    assert (header(found)["namespace"], header(found)["name"]) == ("Alexa.Discovery", "Discover.Response")
    assert validate_response(discover(), found).ok
    granted = accept_grant_response(accept_grant())
    assert header(granted) | {"messageId": "x"} == {
        "namespace": "Alexa.Authorization",
        "name": "AcceptGrant.Response",
        "payloadVersion": "3",
        "messageId": "x",
    }
    assert validate_response(accept_grant(), granted).ok


def test_gateway_events_are_valid_events() -> None:
    report = change_report(
        "lamp-1", [power_state(True)], [brightness(10)], cause="APP_INTERACTION", token="t"
    )
    assert report["event"]["payload"]["change"]["cause"] == {"type": "APP_INTERACTION"}
    assert report["context"]["properties"][0]["name"] == "brightness"
    assert validate_event(report).ok
    endpoint = discovery_endpoint("lamp-1", "Lamp", [], description="d", manufacturer_name="m")
    assert validate_event(add_or_update_report([endpoint], token="t")).ok
    assert validate_event(delete_report(["lamp-1"], token="t")).ok
    with pytest.raises(ValueError, match="at least one"):
        change_report("lamp-1", [])


@pytest.mark.parametrize(
    ("build", "given", "value"),
    [
        (power_state, True, "ON"),
        (power_state, False, "OFF"),
        (power_state, "ON", "ON"),
        (power_state, "OFF", "OFF"),
        (connectivity, True, {"value": "OK"}),
        (connectivity, "UNREACHABLE", {"value": "UNREACHABLE"}),
    ],
)
def test_switch_builders_take_a_bool_or_the_interfaces_value(build: Any, given: Any, value: Any) -> None:
    assert build(given)["value"] == value


@pytest.mark.parametrize("given", ["maybe", "off", 1, 0, None, "OK"])
def test_power_state_refuses_what_is_neither(given: Any) -> None:
    """`power_state("OFF")` built ON (the argument's truthiness was read; QA of 2026-12-06)."""
    with pytest.raises(ValueError, match=r"power_state\(\) takes True, False, 'ON' or 'OFF'"):
        power_state(given)


@pytest.mark.parametrize("given", ["MAYBE", "ON", 1, None])
def test_connectivity_refuses_what_is_neither(given: Any) -> None:
    with pytest.raises(ValueError, match=r"connectivity\(\) takes True, False, 'OK' or 'UNREACHABLE'"):
        connectivity(given)
