"""A step answered with something other than the answer it needs says what that answer is and what
is wrong with it:

- a DeferredResponse that echoes another correlationToken fails the case on it (until 2026-12-07
  the evaluator waited for the answer posted later and the case passed on that);
- ReportState answered with an ErrorResponse names its type and message, as the other steps do
  (it said only "ReportState was answered with Alexa.ErrorResponse");
- an ErrorResponse the directive cannot have (ACCEPT_GRANT_FAILED to TurnOn) says why."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localexa.samples.mylights import build_skill
from localexa.server.evaluation.cases import run_case
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.prerequisites import find_plan
from localexa.skill import Message
from tests.evaluation.helpers import finished, results, start
from tests.evaluation.skills import SkillServer, _cloud, _with_skill
from tests.evaluation.test_case_reasons import RESPONSE, Scripted
from tests.evaluation.test_deferred_answers import Deferring, _developer, _post_later
from tests.factories import Admin
from tests.servers import serve_in_thread

OTHER_TOKEN = "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="


class DeferringWithAnotherToken(Deferring):
    """Defers as `Deferring` does (the real answer, with the right token, is posted later), but
    its DeferredResponse echoes another correlationToken."""

    def __call__(self, event: dict[str, Any], answer: Message) -> Message:
        deferred = super().__call__(event, answer)
        if deferred["event"]["header"]["name"] == "DeferredResponse":
            deferred["event"]["header"]["correlationToken"] = OTHER_TOKEN
        return deferred


@pytest.fixture
def deferring_wrongly() -> Iterator[tuple[SkillServer, Deferring]]:
    cloud = _cloud()
    hook = DeferringWithAnotherToken()
    app = _with_skill(cloud, build_skill(cloud), hook)
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered), hook


async def test_a_deferred_response_echoing_another_token_fails_the_case(
    client: httpx.AsyncClient, admin: Admin, deferring_wrongly: tuple[SkillServer, Deferring]
) -> None:
    server, hook = deferring_wrongly
    dev, token = await _developer(client, admin, server)
    stop = asyncio.Event()
    poster = asyncio.create_task(_post_later(client, hook, token, stop))
    try:
        evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
        body = await finished(client, dev, evaluation_id)
    finally:
        stop.set()
        await poster
    found = await results(client, dev, evaluation_id)
    assert body["status"] == "FAILED", found
    first = found[0]
    assert first["status"] == "FAILED"
    assert first["reasons"] == [
        "set-up 1 (Alexa.PowerController.TurnOff) was answered with Alexa.DeferredResponse",
        "set-up 1 (Alexa.PowerController.TurnOff): invalid Alexa.DeferredResponse: "
        "event.header.correlationToken: does not match the directive's",
    ]
    assert first["actualResponse"]["event"]["header"]["name"] == "DeferredResponse"


def _error(kind: str, namespace: str = "Alexa") -> dict[str, Any]:
    return {
        "event": {
            "header": {"namespace": namespace, "name": "ErrorResponse"},
            "payload": {"type": kind, "message": "the bulb is off the mains"},
        }
    }


async def test_report_state_answered_with_an_error_names_it() -> None:
    case = find_plan(plan_id_for("PowerController")).test_cases[0]  # one set-up, TurnOn
    channel = Scripted([RESPONSE, RESPONSE, _error("ENDPOINT_UNREACHABLE")])
    outcome = await run_case(channel, case, "light-1")
    assert outcome.reasons[0] == (
        "ReportState was answered with Alexa.ErrorResponse ENDPOINT_UNREACHABLE: the bulb is off the mains"
    )


class Judged(Scripted):
    """Scripted answers, each judged invalid with one problem."""

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        exchange = await super().send(namespace, name, payload)
        problem = {"path": "event.payload.type", "message": "ACCEPT_GRANT_FAILED answers only AcceptGrant"}
        return type(exchange)(
            exchange.directive, exchange.response, None, {"valid": False, "problems": [problem]}
        )


async def test_an_error_response_the_directive_cannot_have_says_why() -> None:
    case = find_plan(plan_id_for("PowerController")).test_cases[0]
    outcome = await run_case(Judged([_error("ACCEPT_GRANT_FAILED")]), case, "light-1")
    assert outcome.reasons == [
        "set-up 1 (Alexa.PowerController.TurnOff) was answered with Alexa.ErrorResponse "
        "ACCEPT_GRANT_FAILED: the bulb is off the mains",
        "set-up 1 (Alexa.PowerController.TurnOff): invalid Alexa.ErrorResponse: "
        "event.payload.type: ACCEPT_GRANT_FAILED answers only AcceptGrant",
    ]
