"""An asynchronous answer that reached a gateway while its directive was being recorded in another
process: the gateway found no directive to judge it against (nor an exchange to join), and the
recording had not seen it yet to adopt it, so it is stored with a verdict of valid under an
exchange of its own. The evaluation judges it against the directive itself: until 2026-12-07 it
took the stored verdict, and passed a case on an `Alexa.Response` for another endpoint.

The race is narrow (a skill posting the instant it answers, to another server process); the test
writes what it leaves behind, the event row, as the gateway would have."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.samples.mylights import build_skill
from localexa.server.directives.models import EVENT
from localexa.server.directives.recording import message_row
from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation.helpers import Developer, finished, results, start
from tests.evaluation.skills import SkillServer, _cloud, _with_skill
from tests.evaluation.test_deferred_answers import Deferring, _developer
from tests.factories import Admin
from tests.servers import serve_in_thread


@pytest.fixture
def deferring() -> Iterator[tuple[SkillServer, Deferring]]:
    cloud = _cloud()
    hook = Deferring()
    app = _with_skill(cloud, build_skill(cloud), hook)
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered), hook


async def _orphaned(app: FastAPI, dev: Developer, hook: Deferring, stop: asyncio.Event) -> None:
    """Each asynchronous answer, for the porch light, written as an event of an exchange of its own
    with the verdict the gateway gives an answer it cannot match to a directive."""
    while not stop.is_set():
        for answer in hook.take():
            answer["event"]["endpoint"]["endpointId"] = "porch"
            answer["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": "event-token"}
            verdict: dict[str, Any] = {
                "valid": True,
                "problems": [],
                "name": "Alexa.Response",
                "errorType": None,
            }
            async with app.state.sessions() as session, session.begin():
                session.add(
                    message_row(
                        at=app.state.clock.now(),
                        customer_id=dev.customer.user_id,
                        skill_id=dev.skill.skill_id,
                        direction=EVENT,
                        exchange_id=str(uuid.uuid4()),
                        body=answer,
                        key="event",
                        verdict=verdict,
                    )
                )
        await asyncio.sleep(0.02)


async def test_an_unjudged_asynchronous_answer_for_another_endpoint_fails_the_case(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, deferring: tuple[SkillServer, Deferring]
) -> None:
    server, hook = deferring
    dev, _token = await _developer(client, admin, server)
    stop = asyncio.Event()
    writer = asyncio.create_task(_orphaned(app, dev, hook, stop))
    try:
        evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
        body = await finished(client, dev, evaluation_id)
    finally:
        stop.set()
        await writer
    found = await results(client, dev, evaluation_id)
    assert body["status"] == "FAILED", found
    assert found[0]["reasons"] == [
        "set-up 1 (Alexa.PowerController.TurnOff): invalid Alexa.Response: "
        "event.endpoint.endpointId: does not match the directive's"
    ]
