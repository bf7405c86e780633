"""A skill answering an evaluation with JSON of any shape: each test case ends PASSED, FAILED or
ERROR with a reason, never with an exception (which would make the worker hand the whole run back
and retry it, logging a stack trace each time, until it gave up on it).

The cases run through `run_case` with a channel that answers what hypothesis makes; the answers
reach it as the directives area hands them over (decoded JSON objects that passed the invoker).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from localexa.server.directives.recording import valid_endpoints
from localexa.server.evaluation.cases import run_case
from localexa.server.evaluation.channel import Exchange
from localexa.server.evaluation.models import ERROR, FAILED, PASSED
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.prerequisites import _unsupported as unsupported
from localexa.server.evaluation.prerequisites import find_plan
from tests.property import SCALE, json_scalars

PLANS = ["PowerController", "BrightnessController", "ColorController", "ThermostatHeat_FAHRENHEIT"]


class ScriptedChannel:
    """Answers the n-th directive with the n-th answer (the last one again when they run out)."""

    def __init__(self, answers: Sequence[dict[str, Any] | None], failure: str | None = None) -> None:
        self.answers = answers
        self.failure = failure
        self.sent = 0

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        answer = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        directive = {"header": {"namespace": namespace, "name": name}, "payload": payload or {}}
        valid = answer == RESPONSE  # what the skill kit's checks would say, near enough
        verdict = {"valid": valid, "problems": [] if valid else [{"path": "event", "message": "odd"}]}
        return Exchange(directive=directive, response=answer, failure=self.failure, verdict=verdict)


def _outcome(plan: str, answers: Sequence[dict[str, Any] | None], case: int = 0) -> Any:
    test_case = find_plan(plan_id_for(plan)).test_cases[case]
    return asyncio.run(run_case(ScriptedChannel(answers), test_case, "light-1"))


JSON_SCALARS = json_scalars(largest=10**400)
KEYS = st.sampled_from(
    [
        "event",
        "header",
        "payload",
        "context",
        "properties",
        "namespace",
        "name",
        "instance",
        "value",
        "scale",
        "type",
        "message",
        "endpoint",
        "endpointId",
    ]
)
ALEXA_SHAPED = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=14,
)
ANSWERS = st.dictionaries(KEYS, ALEXA_SHAPED, max_size=3)


def _property(namespace: Any, name: Any, value: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "value": value}


RESPONSE = {"event": {"header": {"namespace": "Alexa", "name": "Response"}}}


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([{"event": []}], id="event-a-list"),
        pytest.param([{"event": "hello"}], id="event-a-string"),
        pytest.param(
            [{"event": {"payload": {"type": "X", "message": "down\x00\x1b[31m"}}}], id="unprintable"
        ),
        pytest.param(
            [RESPONSE, RESPONSE, {"context": {"properties": [_property(["Alexa"], {"n": 1}, "ON")]}}],
            id="namespace-a-list",
        ),
        pytest.param(
            [
                RESPONSE,
                RESPONSE,
                {"context": {"properties": [_property("Alexa.PowerController", "powerState", 10**400)]}},
            ],
            id="value-beyond-a-double",
        ),
        pytest.param(
            [
                RESPONSE,
                RESPONSE,
                {"context": {"properties": [_property("Alexa.BrightnessController", "brightness", 10**400)]}},
            ],
            id="brightness-beyond-a-double",
        ),
    ],
)
@pytest.mark.parametrize("plan", PLANS)
def test_an_odd_answer_fails_the_case_with_a_printable_reason(
    plan: str, answers: list[dict[str, Any]]
) -> None:
    outcome = _outcome(plan, answers)

    assert outcome.status == FAILED, outcome
    assert outcome.reasons
    assert all(reason.isprintable() for reason in outcome.reasons), outcome.reasons


def test_no_answer_is_an_error_case() -> None:
    test_case = find_plan(plan_id_for("PowerController")).test_cases[0]
    channel = ScriptedChannel([None], failure="http://127.0.0.1:9/skill did not answer within 0.5 s")

    outcome = asyncio.run(run_case(channel, test_case, "light-1"))

    assert outcome.status == ERROR
    assert outcome.error is not None
    assert outcome.error["code"] == "TEST_CASE_TIME_OUT"


@hypothesis_settings(
    max_examples=150 * SCALE,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    answers=st.lists(st.one_of(ANSWERS, st.just(RESPONSE)), min_size=1, max_size=4),
    plan=st.sampled_from(PLANS),
    case=st.integers(min_value=0, max_value=3),
)
def test_any_answer_ends_the_case_without_an_exception(
    answers: list[dict[str, Any]], plan: str, case: int
) -> None:
    outcome = _outcome(plan, answers, case)

    assert outcome.status in (PASSED, FAILED, ERROR)
    assert (outcome.status == PASSED) == (not outcome.reasons and outcome.error is None)


THERMOSTAT = {
    "endpointId": "thermostat-1",
    "friendlyName": "Hall",
    "description": "A thermostat",
    "manufacturerName": "Acme",
    "displayCategories": ["THERMOSTAT"],
}


@pytest.mark.parametrize(
    "modes",
    [
        pytest.param([{"mode": "HEAT"}, ["COOL"]], id="objects-and-lists"),
        pytest.param([None, 3, True], id="scalars"),
    ],
)
def test_a_discovered_thermostat_listing_odd_modes_does_not_support_the_plan(modes: list[Any]) -> None:
    capabilities = [
        {"type": "AlexaInterface", "interface": "Alexa", "version": "3"},
        {
            "type": "AlexaInterface",
            "interface": "Alexa.ThermostatController",
            "version": "3",
            "properties": {
                "supported": [{"name": "targetSetpoint"}, {"name": "thermostatMode"}],
                "retrievable": True,
            },
            "configuration": {"supportedModes": modes},
        },
    ]
    # What discovery keeps of it (the schema lets the modes through) is what the run checks.
    [kept] = valid_endpoints({"endpoints": [dict(THERMOSTAT, capabilities=capabilities)]})

    reason = unsupported(find_plan(plan_id_for("ThermostatHeat_FAHRENHEIT")), kept["capabilities"])

    assert reason is not None
    assert "does not support the modes" in reason
