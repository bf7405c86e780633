"""validate_response / validate_event verdicts on good and broken answers (spec §4)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from localexa.skill import (
    ErrorType,
    InvalidValue,
    accept_grant_response,
    brightness,
    change_report,
    color,
    color_temperature,
    connectivity,
    discover_response,
    discovery_endpoint,
    error_response,
    power_state,
    response,
    state_report,
    validate_event,
    validate_response,
)
from tests.skill.factories import accept_grant, directive, discover

TURN_ON = directive("Alexa.PowerController", "TurnOn")
GOOD = response(TURN_ON, [power_state(True), brightness(50)])


def broken(change: Callable[[dict[str, Any]], None], message: dict[str, Any] = GOOD) -> dict[str, Any]:
    copied = copy.deepcopy(message)
    change(copied)
    return copied


def _set_property(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(message: dict[str, Any]) -> None:
        message["context"]["properties"][index][key] = value

    return change


def test_a_good_answer_is_ok() -> None:
    verdict = validate_response(TURN_ON, GOOD)
    assert verdict.ok
    assert verdict.name == "Alexa.Response"
    assert not verdict.is_error


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        pytest.param(
            broken(lambda m: m["event"]["header"].update(correlationToken="other")),
            "event.header.correlationToken",
            id="correlation-mismatch",
        ),
        pytest.param(
            broken(lambda m: m["event"]["header"].pop("correlationToken")),
            "event.header.correlationToken",
            id="correlation-missing",
        ),
        pytest.param(
            broken(lambda m: m["event"]["header"].update(name="TurnOn")), "event.header", id="wrong-name"
        ),
        pytest.param(
            broken(lambda m: m["event"]["header"].update(namespace="Alexa.PowerController")),
            "event.header",
            id="wrong-namespace",
        ),
        pytest.param(
            broken(lambda m: m["event"]["header"].update(payloadVersion="2")),
            "event.header.payloadVersion",
            id="payload-version",
        ),
        pytest.param(
            broken(lambda m: m["event"]["header"].update(messageId="no spaces allowed")),
            "event.header.messageId",
            id="message-id",
        ),
        pytest.param(broken(lambda m: m["event"].pop("endpoint")), "event.endpoint", id="no-endpoint"),
        pytest.param(
            broken(lambda m: m["event"]["endpoint"].update(endpointId="other-endpoint")),
            "event.endpoint.endpointId",
            id="other-endpoint",
        ),
        pytest.param(
            broken(_set_property(0, "value", "on")), "context.properties.0.value", id="power-lowercase"
        ),
        pytest.param(
            broken(_set_property(1, "value", 101)), "context.properties.1.value", id="brightness-101"
        ),
        pytest.param(
            broken(_set_property(0, "timeOfSample", "yesterday")),
            "context.properties.0.timeOfSample",
            id="time",
        ),
        pytest.param(
            broken(_set_property(0, "uncertaintyInMilliseconds", -5)),
            "context.properties.0.uncertaintyInMilliseconds",
            id="uncertainty",
        ),
    ],
)
def test_broken_answers_name_the_problem(answer: dict[str, Any], path: str) -> None:
    verdict = validate_response(TURN_ON, answer)
    assert not verdict.ok
    assert not verdict.valid
    assert path in [p.path for p in verdict.problems], verdict.problems


@pytest.mark.parametrize(
    "prop",
    [
        pytest.param(
            dict(color(10, 0.5, 0.5), value={"hue": 400, "saturation": 0.5, "brightness": 0.5}), id="hue"
        ),
        pytest.param(dict(color_temperature(2700), value=500), id="kelvin"),
        pytest.param(dict(connectivity(True), value={"value": "MAYBE"}), id="connectivity"),
        pytest.param(dict(brightness(5), value=True), id="bool-brightness"),
    ],
)
def test_property_values_outside_the_interface_are_problems(prop: dict[str, Any]) -> None:
    verdict = validate_response(TURN_ON, response(TURN_ON, [prop]))
    assert [p.path for p in verdict.problems] == ["context.properties.0.value"]


def test_error_responses() -> None:
    assert validate_response(TURN_ON, InvalidValue().response(TURN_ON)).error_type == "INVALID_VALUE"
    wrong_namespace = broken(
        lambda m: m["event"]["header"].update(namespace="Alexa.PowerController"),
        InvalidValue().response(TURN_ON),
    )
    assert [p.path for p in validate_response(TURN_ON, wrong_namespace).problems] == [
        "event.header.namespace"
    ]
    no_range = broken(
        lambda m: m["event"]["payload"].pop("validRange"),
        error_response(
            TURN_ON, ErrorType.VALUE_OUT_OF_RANGE, "m", validRange={"minimumValue": 0, "maximumValue": 1}
        ),
    )
    assert not validate_response(TURN_ON, no_range).ok
    unknown_type = broken(
        lambda m: m["event"]["payload"].update(type="SORT_OF_BROKEN"), InvalidValue().response(TURN_ON)
    )
    assert [p.path for p in validate_response(TURN_ON, unknown_type).problems] == ["event.payload.type"]
    thermostat = error_response(TURN_ON, "THERMOSTAT_IS_OFF", "off")
    assert thermostat["event"]["header"]["namespace"] == "Alexa.ThermostatController"
    generic = broken(lambda m: m["event"]["header"].update(namespace="Alexa"), thermostat)
    assert validate_response(TURN_ON, thermostat).ok
    assert validate_response(TURN_ON, generic).ok


def test_accept_grant_answers() -> None:
    grant = accept_grant()
    assert validate_response(grant, accept_grant_response(grant)).ok
    wrong = error_response(grant, "INTERNAL_ERROR", "nope", namespace="Alexa.Authorization")
    assert "event.payload.type" in [p.path for p in validate_response(grant, wrong).problems]
    assert not validate_response(grant, response(grant)).ok


@pytest.mark.parametrize("namespace", ["Alexa", "Alexa.PowerController"])
def test_an_accept_grant_failure_of_another_type_and_namespace_is_one_problem_saying_what_is_right(
    namespace: str,
) -> None:
    """It said "ErrorResponse of INTERNAL_ERROR belongs in namespace Alexa.Authorization", which
    read as if INTERNAL_ERROR were right there (QA of 2026-12-07)."""
    grant = accept_grant()
    wrong = error_response(grant, "INTERNAL_ERROR", "nope", namespace=namespace)
    [problem] = validate_response(grant, wrong).problems
    assert problem.path == "event.header.namespace"
    assert problem.message == (
        "an AcceptGrant failure is an ErrorResponse of ACCEPT_GRANT_FAILED in namespace"
        f" Alexa.Authorization, not of INTERNAL_ERROR in namespace {namespace}"
    )
    right_type = error_response(grant, "ACCEPT_GRANT_FAILED", "no", namespace=namespace)
    [problem] = validate_response(grant, right_type).problems
    assert problem.message == "ErrorResponse of ACCEPT_GRANT_FAILED belongs in namespace Alexa.Authorization"


def test_accept_grant_failed_answers_only_accept_grant() -> None:
    grant = accept_grant()
    assert validate_response(grant, error_response(grant, "ACCEPT_GRANT_FAILED", "no")).ok
    for namespace in ("Alexa.Authorization", "Alexa"):
        answer = error_response(TURN_ON, "ACCEPT_GRANT_FAILED", "no", namespace=namespace)
        verdict = validate_response(TURN_ON, answer)
        assert not verdict.ok, namespace
        assert "event.payload.type" in [p.path for p in verdict.problems]
    as_event = error_response(
        TURN_ON, "ACCEPT_GRANT_FAILED", "no", namespace="Alexa.Authorization", scope_token="t"
    )
    assert [p.path for p in validate_event(as_event).problems] == ["event.payload.type"]


def test_state_report_must_report_properties() -> None:
    report_state = directive("Alexa", "ReportState")
    assert validate_response(report_state, state_report(report_state, [power_state(True)])).ok
    empty = validate_response(report_state, state_report(report_state, []))
    assert [p.path for p in empty.problems] == ["context.properties"]
    assert not validate_response(report_state, response(report_state, [power_state(True)])).ok


def test_discover_response_endpoints_are_checked() -> None:
    lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
    assert validate_response(discover(), discover_response(discover(), [lamp])).ok
    twice = validate_response(discover(), discover_response(discover(), [lamp, lamp]))
    assert not twice.ok
    no_alexa = dict(lamp, capabilities=[c for c in lamp["capabilities"] if c["interface"] != "Alexa"])
    assert not validate_response(discover(), discover_response(discover(), [no_alexa])).ok
    long_name = dict(lamp, friendlyName="x" * 129)
    problems = validate_response(discover(), discover_response(discover(), [long_name])).problems
    assert [p.path for p in problems] == ["event.payload.endpoints.0.friendlyName"]


def test_not_an_object_and_not_a_directive() -> None:
    assert [str(p) for p in validate_response(TURN_ON, ["not", "an", "object"]).problems] == [
        "the answer is not a JSON object"
    ]
    assert validate_response({"directive": {}}, GOOD).problems[0].path == "directive"


def test_gateway_events() -> None:
    report = change_report("lamp", [power_state(True)], token="t")
    assert validate_event(report).ok
    no_scope = broken(lambda m: m["event"]["endpoint"].pop("scope"), report)
    assert [p.path for p in validate_event(no_scope).problems] == ["event.endpoint.scope"]
    bad_cause = broken(lambda m: m["event"]["payload"]["change"]["cause"].update(type="MAGIC"), report)
    assert [p.path for p in validate_event(bad_cause).problems] == ["event.payload.change.cause.type"]
    bad_value = broken(lambda m: m["event"]["payload"]["change"]["properties"][0].update(value="DIM"), report)
    assert [p.path for p in validate_event(bad_value).problems] == ["event.payload.change.properties.0.value"]
    async_answer = response(TURN_ON, [power_state(True)], scope_token="t")
    assert validate_event(async_answer).ok
    no_correlation = broken(lambda m: m["event"]["header"].pop("correlationToken"), async_answer)
    assert [p.path for p in validate_event(no_correlation).problems] == ["event.header.correlationToken"]
