"""A run that ends in ERROR reports metrics that add up, and that match its results list.

The rule (service.py `EvaluationService.get`): a finished run counts what ran, so
totalTestCases = passedTestCases + failedTestCases + errorTestCases = the number of results.
Before, the plan's size was reported as the total of a run that ended before some of its cases,
e.g. `totalTestCases: 4` with every outcome count 0.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.channel import ChannelClosed, Exchange
from localexa.server.evaluation.jobs import WorkerConfig, directive_channel
from localexa.server.evaluation.worker import EvaluationWorker
from tests.evaluation.helpers import (
    Developer,
    developer_with_skill,
    evaluation,
    link,
    results,
    run,
    wait_until,
)
from tests.evaluation.skills import SkillServer
from tests.evaluation.test_recovery import LEASE, Stalling, later, queued_run
from tests.factories import Admin

OUTCOMES = ("passedTestCases", "failedTestCases", "errorTestCases")


def assert_adds_up(metrics: dict[str, int], found: list[dict[str, Any]]) -> None:
    assert metrics["totalTestCases"] == sum(metrics[key] for key in OUTCOMES), metrics
    assert metrics["totalTestCases"] == len(found), (metrics, found)
    for key, status in zip(OUTCOMES, ("PASSED", "FAILED", "ERROR"), strict=True):
        assert metrics[key] == sum(1 for r in found if r["status"] == status), (metrics, found)


class Unreachable:
    """The skill no longer answers at all: Discover cannot be sent."""

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        raise ChannelClosed("the skill endpoint is unreachable")


async def one_case_then_killed(client: httpx.AsyncClient, app: FastAPI, dev: Developer, run_id: str) -> None:
    """A process runs Discover and the first test case, then dies holding the lease."""
    dead = EvaluationWorker(
        Runtime.of(app.state),
        owner="dead",
        config=LEASE,
        channel_factory=lambda runtime, job: Stalling(directive_channel(runtime, job), allowed=4),
    )
    job = await dead.claim()
    assert job is not None
    running = asyncio.create_task(dead.execute(job))

    async def one_case_done() -> bool:
        metrics = (await evaluation(client, dev, run_id))["metrics"]
        return bool(metrics.get("PowerController", {}).get("passedTestCases", 0) >= 1)

    await wait_until(one_case_done)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    # While it is going, the total is the plan's size: what it will run.
    going = await evaluation(client, dev, run_id)
    assert going["status"] == "IN_PROGRESS"
    assert going["metrics"]["PowerController"]["totalTestCases"] == 4


async def test_a_run_that_errors_before_any_case_counts_none(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    # The skill endpoint is unreachable: Discover fails before the first case.
    dev = await developer_with_skill(admin, mylights, endpoint="http://127.0.0.1:9/skill")
    await link(client, admin, dev, mylights)
    body, found = await run(client, dev, "PowerController", "kitchen")
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "DISCOVERY_FAILED"
    assert body["metrics"] == {
        "PowerController": {
            "totalTestCases": 0,
            "passedTestCases": 0,
            "failedTestCases": 0,
            "errorTestCases": 0,
        }
    }
    assert found == []


async def test_a_run_whose_prerequisite_fails_partway_counts_what_ran(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, run_id = await queued_run(client, admin, app, mylights)
    await one_case_then_killed(client, app, dev, run_id)
    # The process that resumes it finds the skill unreachable: Discover fails after one case.
    rescuer = EvaluationWorker(
        Runtime.of(app.state),
        owner="rescuer",
        config=LEASE,
        wall=later(31),
        channel_factory=lambda runtime, job: Unreachable(),
    )
    assert await rescuer.run_once()
    body = await evaluation(client, dev, run_id)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "DISCOVERY_FAILED"
    metrics = body["metrics"]["PowerController"]
    assert (metrics["totalTestCases"], metrics["passedTestCases"], metrics["errorTestCases"]) == (1, 1, 0)
    found = await results(client, dev, run_id)
    assert [r["name"] for r in found] == ["Pwr_1.0"]
    assert_adds_up(metrics, found)


async def test_a_run_interrupted_too_often_partway_counts_what_ran(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, run_id = await queued_run(client, admin, app, mylights)
    await one_case_then_killed(client, app, dev, run_id)
    # The next claim is past max_attempts: the case it died in is an ERROR result, the rest never ran.
    config = WorkerConfig(lease_seconds=30, max_attempts=1)
    assert await EvaluationWorker(
        Runtime.of(app.state), owner="next", config=config, wall=later(31)
    ).run_once()
    body = await evaluation(client, dev, run_id)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "TEST_CASE_TIME_OUT"
    metrics = body["metrics"]["PowerController"]
    assert (metrics["totalTestCases"], metrics["passedTestCases"], metrics["errorTestCases"]) == (2, 1, 1)
    found = await results(client, dev, run_id)
    assert [(r["name"], r["status"]) for r in found] == [("Pwr_1.0", "PASSED"), ("Pwr_1.1", "ERROR")]
    assert_adds_up(metrics, found)
    # The results answer agrees when paged: its totalCount is the same total.
    answer = await client.get(
        f"{dev.base}/capabilityEvaluations/{run_id}/results", params={"maxResults": 1}, headers=dev.headers
    )
    assert answer.json()["paginationContext"]["totalCount"] == metrics["totalTestCases"]


async def test_a_finished_run_that_passed_still_counts_the_whole_plan(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, run_id = await queued_run(client, admin, app, mylights)
    assert await EvaluationWorker(Runtime.of(app.state), owner="w", config=LEASE).run_once()
    body = await evaluation(client, dev, run_id)
    assert body["status"] == "PASSED"
    metrics = body["metrics"]["PowerController"]
    assert (metrics["totalTestCases"], metrics["passedTestCases"]) == (4, 4)
    assert_adds_up(metrics, await results(client, dev, run_id))
