"""How a test case fails or errors: an ErrorResponse from the skill, a case that overruns."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.jobs import WorkerConfig, directive_channel
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.worker import EvaluationWorker
from tests.evaluation import skills
from tests.evaluation.helpers import evaluation, linked_developer, results, run, start
from tests.evaluation.skills import USER, SkillServer
from tests.evaluation.test_recovery import Stalling
from tests.factories import Admin


async def test_an_error_response_fails_the_case_and_shows_the_answer(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    dev = await linked_developer(client, admin, mylights)
    mylights.cloud.update_light(USER, "porch", {"reachable": False})
    try:
        body, found = await run(client, dev, "PowerController", "porch")
    finally:
        mylights.cloud.update_light(USER, "porch", {"reachable": True})
    assert body["status"] == "FAILED"
    assert body["metrics"]["PowerController"]["failedTestCases"] == 4
    first = found[0]
    assert first["status"] == "FAILED"
    event = first["actualResponse"]["event"]
    assert event["header"]["name"] == "ErrorResponse"
    assert event["payload"]["type"] == "ENDPOINT_UNREACHABLE"
    assert first["directive"]["header"]["name"] == "TurnOff"  # the set-up step it failed at
    assert first["expectedResponse"]["event"]["header"]["name"] == "Response"
    assert first["actualCapabilityStates"] == []
    # In words (localexa only; Amazon's results do not say): the step and what answered it.
    assert first["reasons"] == [
        "set-up 1 (Alexa.PowerController.TurnOff) was answered with Alexa.ErrorResponse "
        f"ENDPOINT_UNREACHABLE: {event['payload']['message']}"
    ]


async def test_a_passed_case_carries_no_reasons(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    dev = await linked_developer(client, admin, mylights)
    body, found = await run(client, dev, "PowerController", "kitchen")
    assert body["status"] == "PASSED"
    assert all("reasons" not in result for result in found)


async def test_a_case_that_overruns_its_time_is_an_error(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    await app.state.evaluation_worker.stop()
    dev = await linked_developer(client, admin, mylights)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    worker = EvaluationWorker(
        Runtime.of(app.state),
        config=WorkerConfig(case_timeout=0.2),
        # Discover answers; every later directive hangs.
        channel_factory=lambda runtime, job: Stalling(directive_channel(runtime, job), allowed=1),
    )
    assert await worker.run_once()
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "TEST_CASE_TIME_OUT"
    assert body["metrics"]["PowerController"]["errorTestCases"] == 4
    found = await results(client, dev, evaluation_id)
    assert [r["status"] for r in found] == ["ERROR"] * 4
    assert found[0]["error"] == {
        "code": "TEST_CASE_TIME_OUT",
        "message": (
            "The test case did not finish within 0.2 s: set-up 1 (Alexa.PowerController.TurnOff) "
            "got no answer."
        ),
    }
    # The step's directive (this stalling channel never says what it sent): TurnOff, not the
    # case's TurnOn.
    assert found[0]["directive"]["header"]["name"] == "TurnOff"


async def test_an_error_shows_the_directive_sent_at_the_step_that_got_no_answer(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """Not the plan's template (no messageId, no endpoint, payload null) of another step."""
    with skills.failing_after_discovery() as failing:
        dev = await linked_developer(client, admin, failing)
        body, found = await run(client, dev, "PowerController", "kitchen")
    assert body["status"] == "ERROR"
    first = found[0]
    assert first["status"] == "ERROR"
    assert first["error"]["message"].startswith("set-up 1 (Alexa.PowerController.TurnOff)")
    header = first["directive"]["header"]
    assert (header["name"], header["payloadVersion"]) == ("TurnOff", "3")
    assert header["messageId"]
    assert first["directive"]["endpoint"]["endpointId"] == "kitchen"
