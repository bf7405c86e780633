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
            if error_type is ErrorType.SUBSCRIPTION_REQUIRED:  # a type of two interfaces
                continue
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


# -- since 2026-12-06: the interfaces' own payloadVersion, the smart vision types, a short misplacement

READ_DATA = directive("Alexa.DataController", "ReportData", payload={})


def _amazons_data_controller_error() -> dict[str, Any]:
    """Amazon's Alexa.DataController.ErrorResponse page's example, filled in."""
    return {
        "event": {
            "header": {
                "namespace": "Alexa.DataController",
                "name": "ErrorResponse",
                "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
                "correlationToken": READ_DATA["directive"]["header"]["correlationToken"],
                "payloadVersion": "1.0",
            },
            "endpoint": {"scope": {"type": "BearerToken", "token": "t"}, "endpointId": "endpoint-001"},
            "payload": {"type": "DATA_RETRIEVAL_NOT_SUPPORTED", "message": "no history kept"},
        }
    }


def test_amazons_data_controller_error_response_with_payload_version_1_0_is_valid() -> None:
    event = _amazons_data_controller_error()
    assert validate_event(event).ok, validate_event(event).problems
    assert validate_response(READ_DATA, event).ok


@pytest.mark.parametrize(
    ("namespace", "name", "version", "expected"),
    [
        ("Alexa.DataController", "ErrorResponse", "3", "'1.0'"),
        ("Alexa", "ErrorResponse", "1.0", "'3'"),
        ("Alexa.Video", "ErrorResponse", "1.0", "'3'"),
        ("Alexa", "Response", "1.0", "'3'"),
        ("Alexa.SmartVision.SnapshotProvider", "ErrorResponse", "1.0", "'1.1'"),
    ],
)
def test_every_other_payload_version_is_refused(
    namespace: str, name: str, version: str, expected: str
) -> None:
    event = _amazons_data_controller_error()
    event["event"]["header"].update(namespace=namespace, name=name, payloadVersion=version)
    problems = [p for p in validate_event(event).problems if p.path == "event.header.payloadVersion"]
    assert [p.message.startswith(f"Input should be {expected}") for p in problems] == [True], problems


@pytest.mark.parametrize(
    ("namespace", "error_type", "version"),
    [
        ("Alexa.SmartVision.ObjectDetectionSensor", "SUBSCRIPTION_REQUIRED", "1.0"),
        ("Alexa.SmartVision.ObjectDetectionSensor", "INVALID_VALUE", "1.0"),
        ("Alexa.SmartVision.SnapshotProvider", "SUBSCRIPTION_REQUIRED", "1.1"),
        ("Alexa.SmartVision.SnapshotProvider", "DISABLED_BY_USER", "1.1"),
        ("Alexa.DataController", "DATA_DELETION_NOT_SUPPORTED", "1.0"),
    ],
)
def test_the_kit_writes_the_interfaces_payload_version(namespace: str, error_type: str, version: str) -> None:
    answer = error_response(SET_TARGET, error_type, "no", namespace=namespace)
    assert answer["event"]["header"]["payloadVersion"] == version
    assert validate_response(SET_TARGET, answer).ok, validate_response(SET_TARGET, answer).problems


def test_subscription_required_answers_in_the_namespace_of_its_class() -> None:
    from localexa.skill.interface_errors import (
        DisabledByUser,
        ObjectDetectionSubscriptionRequired,
        SnapshotSubscriptionRequired,
    )

    for cls, namespace in [
        (ObjectDetectionSubscriptionRequired, "Alexa.SmartVision.ObjectDetectionSensor"),
        (SnapshotSubscriptionRequired, "Alexa.SmartVision.SnapshotProvider"),
        (DisabledByUser, "Alexa.SmartVision.SnapshotProvider"),
    ]:
        answer = cls().response(SET_TARGET)
        assert answer["event"]["header"]["namespace"] == namespace
        assert validate_response(SET_TARGET, answer).ok
    with pytest.raises(ValueError, match="namespace="):
        error_response(SET_TARGET, "SUBSCRIPTION_REQUIRED", "no")


def test_disabled_by_user_is_no_type_of_object_detection() -> None:
    answer = error_response(
        SET_TARGET, "DISABLED_BY_USER", "no", namespace="Alexa.SmartVision.ObjectDetectionSensor"
    )
    [problem] = validate_response(SET_TARGET, answer).problems
    assert problem.message == (
        "ErrorResponse of DISABLED_BY_USER belongs in namespace Alexa or Alexa.SmartVision.SnapshotProvider"
    )


@pytest.mark.parametrize("check", ["response", "event"])
def test_a_generic_type_in_a_namespace_without_errorresponse_is_told_to_use_alexa(check: str) -> None:
    turn_on = directive("Alexa.PowerController", "TurnOn")
    answer = error_response(
        turn_on, "ENDPOINT_UNREACHABLE", "x", scope_token="t", namespace="Alexa.PowerController"
    )
    verdict = validate_response(turn_on, answer) if check == "response" else validate_event(answer)
    assert [(p.path, p.message) for p in verdict.problems] == [
        (
            "event.header.namespace",
            "ErrorResponse of ENDPOINT_UNREACHABLE belongs in namespace Alexa "
            "(Alexa.PowerController has no ErrorResponse of its own)",
        )
    ]
