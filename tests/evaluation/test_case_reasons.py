"""What a test case says when the skill answered, but not with Alexa.Response: a DeferredResponse
(its payload has no type or message: the reason read "… DeferredResponse None: None"), and an
answer after which localexa cannot send ReportState (an INVALID_AUTHORIZATION_CREDENTIAL makes the
link NEEDS_RELINK): the case failed on the skill's answer; it is no case left unanswered (ERROR)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localexa.server.evaluation.cases import run_case
from localexa.server.evaluation.channel import ChannelClosed, Exchange
from localexa.server.evaluation.models import FAILED
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.prerequisites import find_plan

RESPONSE = {"event": {"header": {"namespace": "Alexa", "name": "Response"}, "payload": {}}}
DEFERRED = {
    "event": {
        "header": {"namespace": "Alexa", "name": "DeferredResponse"},
        "payload": {"estimatedDeferralInSeconds": 7},
    }
}
RELINK = {
    "event": {
        "header": {"namespace": "Alexa", "name": "ErrorResponse"},
        "payload": {"type": "INVALID_AUTHORIZATION_CREDENTIAL", "message": "token revoked"},
    }
}
CLOSED = "The customer must link the account again."


class Scripted:
    """Answers the n-th directive with the n-th answer; None: the channel is closed by then."""

    def __init__(self, answers: Sequence[dict[str, Any] | None]) -> None:
        self.answers = answers
        self.sent = 0

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        answer = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        if answer is None:
            raise ChannelClosed(CLOSED)
        directive = {"header": {"namespace": namespace, "name": name}, "payload": payload or {}}
        return Exchange(directive=directive, response=answer, verdict={"valid": True, "problems": []})


def _first_power_case() -> Any:
    return find_plan(plan_id_for("PowerController")).test_cases[0]


async def test_a_deferred_response_fails_the_case_with_a_reason_without_none() -> None:
    outcome = await run_case(Scripted([DEFERRED]), _first_power_case(), "light-1")
    assert outcome.status == FAILED
    assert outcome.reasons == [
        "set-up 1 (Alexa.PowerController.TurnOff) was answered with Alexa.DeferredResponse"
    ]


async def test_an_answer_that_ends_the_link_fails_the_case_instead_of_erring() -> None:
    case = _first_power_case()
    answers = [RESPONSE] * len(case.initial_setups) + [RELINK, None]
    outcome = await run_case(Scripted(answers), case, "light-1")
    assert outcome.status == FAILED
    assert outcome.error is None
    assert outcome.reasons == [
        "Alexa.PowerController.TurnOn was answered with Alexa.ErrorResponse "
        "INVALID_AUTHORIZATION_CREDENTIAL: token revoked",
        f"ReportState: {CLOSED}",
    ]
    assert outcome.actual_response == RELINK


async def test_a_directive_that_cannot_be_sent_at_all_is_still_an_error() -> None:
    case = _first_power_case()
    outcome = await run_case(Scripted([RESPONSE] * len(case.initial_setups) + [None]), case, "light-1")
    assert outcome.error is not None
    assert outcome.error["code"] == "TEST_CASE_TIME_OUT"
