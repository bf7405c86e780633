"""Run one test case of a plan against the endpoint (spec §2 "Test plan content").

1. Send each `initialSetups` directive; each must be answered with `Alexa.Response`.
2. Send the directive under test; it must be answered with a valid `Alexa.Response`.
3. Ask `Alexa.ReportState` and compare the reported properties with `expectedCapabilityStates`,
   within `capabilityTolerances` (compare.py).

PASSED when all three hold, FAILED otherwise (the result shows the directive, the actual and the
expected response and states). ERROR when the skill gave no answer at all (timeout, unreachable)
or the directive could not be sent: TEST_CASE_TIME_OUT, the one code `SHCapabilityErrorCode` has
for a test case. The whole case also runs under a timeout (worker.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from localexa.server.directives.invoker import printable
from localexa.server.evaluation.channel import ChannelClosed, Exchange, SkillChannel, StopGate
from localexa.server.evaluation.compare import mismatches, relevant_states
from localexa.server.evaluation.models import ERROR, FAILED, PASSED
from localexa.server.evaluation.plans import TestCase
from localexa.server.evaluation.schemas import ErrorCode

logger = logging.getLogger("localexa.evaluation")

RESPONSE = "Alexa.Response"
STATE_REPORT = "Alexa.StateReport"


@dataclass
class CaseOutcome:
    name: str
    status: str
    directive: dict[str, Any] | None = None
    actual_response: dict[str, Any] | None = None
    expected_response: dict[str, Any] | None = None
    actual_states: list[dict[str, Any]] = field(default_factory=list)
    expected_states: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    #: Why it FAILED (localexa's `reasons` in the result, beside Amazon's fields).
    reasons: list[str] = field(default_factory=list)


class _NoAnswer(Exception):
    def __init__(self, what: str, why: str, directive: dict[str, Any] | None = None) -> None:
        super().__init__(f"{what}: {why}")
        self.message = f"{what}: {why}"
        #: The directive as sent, when it was: the result shows it, not the plan's template.
        self.directive = directive


def expected_response(endpoint_id: str) -> dict[str, Any]:
    """What a correct answer looks like (the parts that are checked)."""
    return {
        "event": {
            "header": {"namespace": "Alexa", "name": "Response", "payloadVersion": "3"},
            "endpoint": {"endpointId": endpoint_id},
        }
    }


def timed_out(
    case: TestCase, message: str, endpoint_id: str, directive: dict[str, Any] | None = None
) -> CaseOutcome:
    """The case as an ERROR TEST_CASE_TIME_OUT; `directive` the one it waited on (the plan's
    directive of the case without it)."""
    return CaseOutcome(
        name=case.name,
        status=ERROR,
        directive=dict(directive if directive is not None else case.directive),
        expected_response=expected_response(endpoint_id),
        expected_states=[dict(s) for s in case.expected_states],
        error={"code": ErrorCode.TEST_CASE_TIME_OUT.value, "message": message},
    )


def _label(directive: dict[str, Any]) -> str:
    header = directive.get("header") or {}
    return f"{header.get('namespace')}.{header.get('name')}"


@dataclass
class Progress:
    """The step a test case is at (its time limit may cut it off there): what it waits for, and
    the plan's directive for it."""

    what: str = ""
    directive: dict[str, Any] = field(default_factory=dict)


async def _send(
    channel: SkillChannel, directive: dict[str, Any], what: str, progress: Progress | None = None
) -> Exchange:
    if progress is not None:
        progress.what, progress.directive = what, dict(directive)
    header = directive.get("header") or {}
    try:
        exchange = await channel.send(
            str(header.get("namespace")), str(header.get("name")), directive.get("payload")
        )
    except ChannelClosed as exc:
        raise _NoAnswer(what, exc.message) from exc
    if exchange.failure is not None:
        raise _NoAnswer(what, exchange.failure, exchange.directive)
    return exchange


def _detail(payload: Any) -> str:
    """` TYPE: message` of an ErrorResponse's payload, as much of it as there is ('' for a payload
    without either, such as a DeferredResponse's: it read "None: None")."""
    if not isinstance(payload, dict):
        return ""
    kind, message = payload.get("type"), payload.get("message")
    parts = [str(part) for part in (kind, message) if part is not None and part != ""]
    return " " + ": ".join(parts) if parts else ""


def _answered_otherwise(exchange: Exchange, what: str) -> list[str]:
    """`<what> was answered with <name> TYPE: message`, then what is wrong with that answer itself
    (an ErrorResponse of a type the directive cannot have, a DeferredResponse echoing another
    correlationToken): the verdict's problems were dropped."""
    # The skill's answer: `event` and its `payload` may be any JSON value, the message any text.
    event = (exchange.response or {}).get("event")
    payload = event.get("payload") if isinstance(event, dict) else None
    name = exchange.answer_name or "no event"
    answered = [printable(f"{what} was answered with {name}{_detail(payload)}")]
    if exchange.answer_name and not exchange.verdict.get("valid", True):
        answered += [f"{what}: invalid {name}: {p}" for p in exchange.problems()]
    return answered


def _response_problems(exchange: Exchange, what: str) -> list[str]:
    if exchange.answer_name != RESPONSE:
        return _answered_otherwise(exchange, what)
    if not exchange.verdict.get("valid", True):
        return [f"{what}: invalid Alexa.Response: {p}" for p in exchange.problems()]
    return []


async def run_case(
    channel: SkillChannel, case: TestCase, endpoint_id: str, progress: Progress | None = None
) -> CaseOutcome:
    expected_states = [dict(s) for s in case.expected_states]
    outcome = CaseOutcome(
        name=case.name,
        status=FAILED,
        directive=dict(case.directive),
        expected_response=expected_response(endpoint_id),
        expected_states=expected_states,
    )
    try:
        for number, setup in enumerate(case.initial_setups, start=1):
            what = f"set-up {number} ({_label(setup['directive'])})"
            exchange = await _send(channel, setup["directive"], what, progress)
            problems = _response_problems(exchange, what)
            if problems:
                outcome.directive, outcome.actual_response = exchange.directive, exchange.response
                outcome.reasons = problems
                return outcome
        exchange = await _send(channel, case.directive, _label(case.directive), progress)
        outcome.directive, outcome.actual_response = exchange.directive, exchange.response
        problems = _response_problems(exchange, _label(case.directive))
        try:
            report = await _send(
                channel, {"header": {"namespace": "Alexa", "name": "ReportState"}}, "ReportState", progress
            )
        except _NoAnswer as exc:
            if not problems:
                raise
            # The skill answered the directive wrongly (an INVALID_AUTHORIZATION_CREDENTIAL
            # ErrorResponse makes the link NEEDS_RELINK, so ReportState cannot even be sent): the
            # case failed on that answer; it is no case the skill left unanswered.
            outcome.reasons = [*problems, exc.message]
            return outcome
    except _NoAnswer as exc:
        outcome.status = ERROR
        outcome.error = {"code": ErrorCode.TEST_CASE_TIME_OUT.value, "message": exc.message}
        if exc.directive is not None:
            outcome.directive = exc.directive
        return outcome
    if report.answer_name != STATE_REPORT:
        problems += _answered_otherwise(report, "ReportState")
    elif not report.verdict.get("valid", True):
        # A StateReport with another endpoint's endpointId, a foreign correlationToken or a broken
        # header is no report of this endpoint's state: the case passed on it until 2026-12-07.
        problems += [f"ReportState: invalid Alexa.StateReport: {p}" for p in report.problems()]
    reported = report.properties()
    outcome.actual_states = relevant_states(reported, expected_states)
    problems += mismatches(expected_states, reported, case.tolerances)
    outcome.reasons = problems
    outcome.status = FAILED if problems else PASSED
    return outcome


async def run_case_in_time(
    channel: StopGate, case: TestCase, endpoint_id: str, timeout: float, run_id: str
) -> CaseOutcome:
    """`run_case` within the case's time limit (worker.py); a case over it is an ERROR case."""
    progress = Progress()
    try:
        outcome = await asyncio.wait_for(run_case(channel, case, endpoint_id, progress), timeout)
    except TimeoutError:
        # The directive sent at the step that got no answer (the plan's template showed, without
        # messageId or endpoint), and the step named in the message.
        sent = channel.last_sent
        waited = f": {progress.what} got no answer" if progress.what else ""
        message = f"The test case did not finish within {timeout:g} s{waited}."
        outcome = timed_out(case, message, endpoint_id, sent or progress.directive or None)
    if outcome.reasons:
        logger.info("evaluation %s: %s %s: %s", run_id, case.name, outcome.status, "; ".join(outcome.reasons))
    return outcome
