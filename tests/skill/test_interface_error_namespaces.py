"""ErrorResponse namespaces and types as Amazon's interface pages document them (since 2026-12-06):
Amazon's thermostat samples answer a SetTargetTemperature; each interface takes its own types and
the generic ones; a type of another interface is refused; an unknown type's message says, shortly,
what the namespace takes."""

from __future__ import annotations

from typing import Any

import pytest

from localexa.skill.errors import ERRORS_BY_TYPE, error_response
from localexa.skill.messages.errors import INTERFACE_TYPES, ErrorType, error_namespace
from localexa.skill.validation import validate_event, validate_response
from tests import amazon_samples as samples
from tests.skill.factories import directive

SET_TARGET = directive("Alexa.ThermostatController", "SetTargetTemperature", payload={})


@pytest.mark.parametrize(
    "path",
    [
        samples.THERMOSTAT_TEMPERATURE_OUT_OF_RANGE,
        samples.THERMOSTAT_SETPOINTS_TOO_CLOSE,
        samples.THERMOSTAT_IS_OFF,
    ],
)
def test_amazons_thermostat_samples_are_valid_answers(path: str) -> None:
    verdict = validate_response(SET_TARGET, samples.sample(path))
    assert verdict.ok, verdict.problems
    assert verdict.error_type == samples.sample(path)["event"]["payload"]["type"]


@pytest.mark.parametrize(
    ("namespace", "error_type"),
    [
        ("Alexa.ThermostatController", "UNSUPPORTED_THERMOSTAT_MODE"),
        ("Alexa.ThermostatController", "DUAL_SETPOINTS_UNSUPPORTED"),
        ("Alexa.ThermostatController", "TRIPLE_SETPOINTS_UNSUPPORTED"),
        ("Alexa.ThermostatController", "UNWILLING_TO_SET_VALUE"),
        ("Alexa.ThermostatController", "UNWILLING_TO_SET_SCHEDULE"),
        ("Alexa.ThermostatController", "ENDPOINT_UNREACHABLE"),  # a generic type in an interface
        ("Alexa.ThermostatController.Configuration", "CONFIGURATION_UPDATE_NOT_ALLOWED"),
        ("Alexa.ThermostatController.Schedule", "INSUFFICIENT_SPACE"),
        ("Alexa.Video", "NOT_SUBSCRIBED"),
        ("Alexa.Cooking", "DOOR_OPEN"),
        ("Alexa.DataController", "DATA_RETRIEVAL_NOT_SUPPORTED"),
        ("Alexa.Safety", "OBSTACLE_DETECTED"),
        ("Alexa", "UNSUPPORTED_THERMOSTAT_MODE"),  # an interface's type in Alexa, as before
    ],
)
def test_documented_namespace_and_type_pairs_are_valid(namespace: str, error_type: str) -> None:
    answer = error_response(SET_TARGET, error_type, "no", namespace=namespace)
    verdict = validate_response(SET_TARGET, answer)
    assert verdict.ok, verdict.problems


def test_a_type_of_another_interface_is_refused() -> None:
    answer = error_response(SET_TARGET, "DOOR_OPEN", "no", namespace="Alexa.Video")
    [problem] = validate_response(SET_TARGET, answer).problems
    assert problem.path == "event.header.namespace"
    assert "Alexa.Cooking" in problem.message


def test_requested_setpoints_too_close_needs_no_minimum_delta() -> None:
    answer = samples.sample(samples.THERMOSTAT_SETPOINTS_TOO_CLOSE)
    del answer["event"]["payload"]["minimumTemperatureDelta"]
    assert validate_response(SET_TARGET, answer).ok


def test_every_interface_type_builds_in_its_namespace() -> None:
    for namespace, types in INTERFACE_TYPES.items():
        for error_type in types:
            assert error_namespace(error_type) == namespace
            assert ERRORS_BY_TYPE[error_type].type is error_type


def _unknown(namespace: str) -> dict[str, Any]:
    event = samples.sample(samples.THERMOSTAT_IS_OFF)
    event["event"]["header"]["namespace"] = namespace
    event["event"]["payload"]["type"] = "NOPE"
    return event


@pytest.mark.parametrize("namespace", ["Alexa", "Alexa.ThermostatController", "Alexa.Video"])
def test_an_unknown_type_is_told_shortly_what_the_namespace_takes(namespace: str) -> None:
    [problem] = validate_event(_unknown(namespace)).problems
    assert problem.path == "event.payload.type"
    assert problem.message.startswith(f"'NOPE' is no ErrorResponse type of {namespace}; it takes ")
    assert "ACCEPT_GRANT_FAILED" not in problem.message
    assert len(problem.message) < 700, len(problem.message)
    if namespace != "Alexa":
        assert len(problem.message) < 300
        own = sorted(INTERFACE_TYPES[namespace])
        assert ", ".join(own) in problem.message
    else:
        assert ErrorType.ENDPOINT_UNREACHABLE in problem.message
        assert ErrorType.DOOR_OPEN not in problem.message
