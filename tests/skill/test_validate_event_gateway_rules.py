"""validate_event takes only the events the gateway really takes, a StateReport with properties,
AddOrUpdateReports without a repeated endpointId, and no `timeOfSample` from the future; the same
sample and StateReport rules hold for validate_response (QA: each was accepted before)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localexa.skill import (
    change_report,
    discover_response,
    discovery_endpoint,
    error_response,
    power_state,
    response,
    state_report,
    validate_event,
    validate_response,
)
from localexa.skill.reports import add_or_update_report, delete_report
from localexa.skill.responses import deferred_response, reply
from localexa.skill.validation import MAX_SAMPLE_AHEAD
from tests.skill.factories import accept_grant, directive, discover

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TURN_ON = directive("Alexa.PowerController", "TurnOn")
REPORT_STATE = directive("Alexa", "ReportState")
LAMP = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")

#: The scene answers' payload (docs: Alexa.SceneController): checked since 2026-12-06.
SCENE_STARTED = {"cause": {"type": "VOICE_INTERACTION"}, "timestamp": "2026-01-01T10:00:00Z"}


def at_now() -> datetime:
    return NOW


def renamed(event: dict[str, Any], namespace: str, name: str, **header: Any) -> dict[str, Any]:
    copied = copy.deepcopy(event)
    copied["event"]["header"].update(namespace=namespace, name=name, **header)
    return copied


REPORT = change_report("lamp", [power_state(True, time_of_sample=NOW)], token="t")
ANSWER = response(TURN_ON, [power_state(True, time_of_sample=NOW)], scope_token="t")


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(renamed(ANSWER, "Alexa", "Bogus"), id="alexa-bogus"),
        pytest.param(renamed(REPORT, "Alexa.Foo", "ChangeReport"), id="alexa-foo-change-report"),
        pytest.param(
            {
                "event": {
                    "header": renamed(REPORT, "Alexa.Discovery", "Foo")["event"]["header"],
                    "payload": {},
                }
            },
            id="discovery-foo",
        ),
        pytest.param(renamed(REPORT, "Alexa.Discovery", "ChangeReport"), id="discovery-change-report"),
        pytest.param(discover_response(discover(), [LAMP]), id="discover-response"),
        pytest.param(deferred_response(TURN_ON, 5), id="deferred-response"),
        pytest.param(
            reply(TURN_ON, "Alexa.Authorization", "AcceptGrant.Response"), id="accept-grant-response"
        ),
    ],
)
def test_an_event_the_gateway_does_not_take_is_named(event: dict[str, Any]) -> None:
    header = event["event"]["header"]
    problems = validate_event(event, now=at_now).problems
    expected = f"{header['namespace']}.{header['name']} is not an event the gateway accepts"
    assert [p.path for p in problems if p.message.startswith(expected)] == ["event.header"], problems


def test_a_synchronous_only_answer_is_said_to_be_one() -> None:
    problems = validate_event(deferred_response(TURN_ON, 5), now=at_now).problems
    assert "only ever a synchronous answer" in problems[0].message


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(REPORT, id="change-report"),
        pytest.param(add_or_update_report([LAMP], token="t"), id="add-or-update-report"),
        pytest.param(delete_report(["lamp"], token="t"), id="delete-report"),
        pytest.param(ANSWER, id="response"),
        pytest.param(
            state_report(REPORT_STATE, [power_state(True, time_of_sample=NOW)], scope_token="t"),
            id="state-report",
        ),
        pytest.param(
            error_response(TURN_ON, "ENDPOINT_UNREACHABLE", "x", scope_token="t"), id="error-response"
        ),
        pytest.param(
            error_response(TURN_ON, "THERMOSTAT_IS_OFF", "x", scope_token="t"), id="thermostat-error-response"
        ),
        pytest.param(error_response(TURN_ON, "NOT_READY", "x", scope_token="t"), id="security-panel-error"),
        pytest.param(
            error_response(TURN_ON, "COOK_DURATION_TOO_LONG", "x", scope_token="t"), id="cooking-error"
        ),
        pytest.param(
            reply(
                directive("Alexa.SceneController", "Activate"),
                "Alexa.SceneController",
                "ActivationStarted",
                SCENE_STARTED,
                scope_token="t",
            ),
            id="scene-activation-started",
        ),
        pytest.param(
            reply(
                directive("Alexa.SceneController", "Deactivate"),
                "Alexa.SceneController",
                "DeactivationStarted",
                SCENE_STARTED,
                scope_token="t",
            ),
            id="scene-deactivation-started",
        ),
    ],
)
def test_the_events_the_gateway_takes_pass(event: dict[str, Any]) -> None:
    verdict = validate_event(event, now=at_now)
    assert verdict.ok, verdict.problems


def test_an_error_response_in_another_interfaces_namespace_is_refused() -> None:
    cooking = error_response(TURN_ON, "THERMOSTAT_IS_OFF", "x", namespace="Alexa.Cooking", scope_token="t")
    assert [(p.path, p.message) for p in validate_event(cooking, now=at_now).problems] == [
        (
            "event.header.namespace",
            "ErrorResponse of THERMOSTAT_IS_OFF belongs in namespace Alexa or Alexa.ThermostatController",
        )
    ]


def test_accept_grant_failed_outside_its_namespace_is_told_in_words() -> None:
    """Human text, not a Python list (until 2026-12-06: "belongs in ['Alexa.Authorization']"),
    from the gateway's check and from that of an answer to AcceptGrant alike."""
    told = "ErrorResponse of ACCEPT_GRANT_FAILED belongs in namespace Alexa.Authorization"
    failed = error_response(TURN_ON, "ACCEPT_GRANT_FAILED", "x", namespace="Alexa", scope_token="t")
    assert ("event.header.namespace", told) in [
        (p.path, p.message) for p in validate_event(failed, now=at_now).problems
    ]
    grant = accept_grant()
    answer = error_response(grant, "ACCEPT_GRANT_FAILED", "x", namespace="Alexa")
    assert ("event.header.namespace", told) in [
        (p.path, p.message) for p in validate_response(grant, answer).problems
    ]


def test_an_asynchronous_state_report_must_report_properties() -> None:
    empty = state_report(REPORT_STATE, [], scope_token="t")
    assert [p.path for p in validate_event(empty, now=at_now).problems] == ["context.properties"]


def test_an_add_or_update_report_lists_each_endpoint_once() -> None:
    twice = add_or_update_report([LAMP, LAMP], token="t")
    problems = validate_event(twice, now=at_now).problems
    assert [p.path for p in problems] == ["event.payload"]
    assert "endpointId values must be unique; listed more than once: lamp" in problems[0].message


@pytest.mark.parametrize(
    ("sampled", "how_far"),
    [
        pytest.param("2099-01-01T00:00:00Z", "about 72 years (26603 days)", id="2099"),
        pytest.param("9999-12-31T23:59:59.999999Z", "about 7979 years (2912383 days)", id="9999"),
        pytest.param("2026-03-01T12:05:01Z", "5 min 1 s", id="just-over-the-skew"),
    ],
)
def test_a_sample_from_the_future_is_refused_naming_the_property(sampled: str, how_far: str) -> None:
    report = copy.deepcopy(REPORT)
    report["event"]["payload"]["change"]["properties"][0]["timeOfSample"] = sampled
    problems = validate_event(report, now=at_now).problems
    assert [(p.path, p.message) for p in problems] == [
        (
            "event.payload.change.properties.0.timeOfSample",
            f"Alexa.PowerController.powerState was sampled at {sampled}, {how_far} ahead of Alexa's clock "
            "(2026-03-01T12:00:00.000Z); at most 5 min of clock skew is allowed",
        )
    ]


def test_clock_skew_within_the_tolerance_passes_and_context_samples_count_too() -> None:
    skewed = power_state(True, time_of_sample=NOW + MAX_SAMPLE_AHEAD)
    assert validate_event(change_report("lamp", [skewed], token="t"), now=at_now).ok
    future = power_state(False, time_of_sample=NOW + timedelta(days=1))
    in_context = change_report("lamp", [skewed], [future], token="t")
    assert [p.path for p in validate_event(in_context, now=at_now).problems] == [
        "context.properties.0.timeOfSample"
    ]
    answer = response(TURN_ON, [future], scope_token="t")
    assert [p.path for p in validate_event(answer, now=at_now).problems] == [
        "context.properties.0.timeOfSample"
    ]


def test_a_synchronous_answer_from_the_future_is_invalid_by_the_receivers_clock() -> None:
    future = state_report(REPORT_STATE, [power_state(True, time_of_sample=NOW + timedelta(hours=2))])
    verdict = validate_response(REPORT_STATE, future, now=at_now)
    assert [p.path for p in verdict.problems] == ["context.properties.0.timeOfSample"]
    assert "2 h ahead" in verdict.problems[0].message
    # A receiver whose clock travelled two hours on reads the same sample as the present.
    assert validate_response(REPORT_STATE, future, now=lambda: NOW + timedelta(hours=2)).ok
    # Without `now`, the wall clock: a sample of 2099 is still from the future.
    far = state_report(REPORT_STATE, [power_state(True, time_of_sample=datetime(2099, 1, 1, tzinfo=UTC))])
    assert not validate_response(REPORT_STATE, far).ok
