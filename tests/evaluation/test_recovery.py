"""A run survives the process that ran it: leases by the wall clock, heartbeats, resumption.

A dead process is simulated by a worker that claims a run (or runs part of it) and then stops
without releasing its lease; a second worker whose wall clock is past the lease takes over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.channel import Exchange, SkillChannel
from localexa.server.evaluation.jobs import WorkerConfig, directive_channel, wall_now
from localexa.server.evaluation.models import CapabilityEvaluation
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.repository import EvaluationRepository
from localexa.server.evaluation.worker import EvaluationWorker
from tests.evaluation.helpers import Developer, evaluation, linked_developer, results, start, wait_until
from tests.evaluation.skills import SkillServer
from tests.factories import Admin

LEASE = WorkerConfig(lease_seconds=30)


def later(seconds: float) -> Callable[[], datetime]:
    return lambda: wall_now() + timedelta(seconds=seconds)


async def queued_run(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, server: SkillServer
) -> tuple[Developer, str]:
    await app.state.evaluation_worker.stop()  # this test drives its own workers
    dev = await linked_developer(client, admin, server)
    return dev, await start(client, dev, plan_id_for("PowerController"), "kitchen")


async def row(app: FastAPI, evaluation_id: str) -> CapabilityEvaluation:
    async with app.state.sessions() as session:
        found: CapabilityEvaluation | None = await session.get(CapabilityEvaluation, evaluation_id)
        assert found is not None
        return found


async def test_a_run_whose_process_died_mid_run_is_resumed(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    runtime = Runtime.of(app.state)
    # Discover and the first test case (set-up, directive, ReportState) go through; then it hangs.
    dead = EvaluationWorker(
        runtime,
        owner="dead",
        config=LEASE,
        channel_factory=lambda runtime, job: Stalling(directive_channel(runtime, job), allowed=4),
    )
    job = await dead.claim()
    assert job is not None
    assert job.id == evaluation_id
    assert job.attempts == 1
    running = asyncio.create_task(dead.execute(job))

    async def one_case_done() -> bool:
        metrics = (await evaluation(client, dev, evaluation_id))["metrics"]
        return bool(metrics.get("PowerController", {}).get("passedTestCases", 0) >= 1)

    await wait_until(one_case_done)
    running.cancel()  # the process dies: no release, no more heartbeats
    await asyncio.gather(running, return_exceptions=True)
    done_before = (await evaluation(client, dev, evaluation_id))["metrics"]["PowerController"][
        "passedTestCases"
    ]
    assert done_before == 1
    assert (await evaluation(client, dev, evaluation_id))["status"] == "IN_PROGRESS"

    # While the lease runs, nobody else may take the run.
    assert await EvaluationWorker(runtime, owner="early", config=LEASE).run_once() is False
    rescuer = EvaluationWorker(runtime, owner="rescuer", config=LEASE, wall=later(31))
    assert await rescuer.run_once() is True
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "PASSED"
    assert body["metrics"]["PowerController"]["passedTestCases"] == 4
    names = [r["name"] for r in await results(client, dev, evaluation_id)]
    assert names == ["Pwr_1.0", "Pwr_1.1", "Pwr_1.2", "Pwr_1.3"]  # each case once, in order
    finished = await row(app, evaluation_id)
    assert finished.attempts == 2
    assert finished.lease_owner is None
    assert finished.active_key is None


async def test_a_run_that_keeps_killing_its_process_ends_in_error(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    runtime = Runtime.of(app.state)
    config = WorkerConfig(lease_seconds=30, max_attempts=1)
    assert await EvaluationWorker(runtime, owner="dead", config=config).claim() is not None
    assert await EvaluationWorker(runtime, owner="next", config=config, wall=later(31)).run_once()
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "TEST_CASE_TIME_OUT"
    assert "interrupted 1 times" in body["error"]["message"]
    assert "endTimestamp" in body
    # The case it died in counts as an error case; the ones after it never ran, and a finished
    # run's total counts what ran (service.py `get`).
    metrics = body["metrics"]["PowerController"]
    assert (metrics["errorTestCases"], metrics["passedTestCases"], metrics["totalTestCases"]) == (1, 0, 1)
    [interrupted] = await results(client, dev, evaluation_id)
    assert (interrupted["name"], interrupted["status"]) == ("Pwr_1.0", "ERROR")
    assert interrupted["error"]["code"] == "TEST_CASE_TIME_OUT"
    assert "interrupted 1 times" in interrupted["error"]["message"]
    # The endpoint is free again.
    assert await start(client, dev, plan_id_for("PowerController"), "kitchen")


async def test_a_worker_that_lost_its_lease_can_no_longer_write(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    _, evaluation_id = await queued_run(client, admin, app, mylights)
    runtime = Runtime.of(app.state)
    lost = await EvaluationWorker(runtime, owner="slow", config=LEASE).claim()
    assert lost is not None
    taken = await EvaluationWorker(runtime, owner="fast", config=LEASE, wall=later(31)).claim()
    assert taken is not None
    assert taken.attempts == 2
    async with runtime.transaction() as session:
        repo = EvaluationRepository(session)
        assert await repo.renew_lease(evaluation_id, lost.lease, later(60)()) is False
        assert await repo.finish(evaluation_id, lost.lease, status="PASSED", ended_at=wall_now()) is False
        assert await repo.renew_lease(evaluation_id, taken.lease, later(60)()) is True


async def test_two_workers_never_claim_the_same_run(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    _, evaluation_id = await queued_run(client, admin, app, mylights)
    runtime = Runtime.of(app.state)
    workers = [EvaluationWorker(runtime, owner=f"w{i}", config=LEASE) for i in range(4)]
    claims = await asyncio.gather(*(w.claim() for w in workers))
    won = [job for job in claims if job is not None]
    assert [job.id for job in won] == [evaluation_id]
    assert (await row(app, evaluation_id)).attempts == 1


async def test_a_worker_that_stops_hands_its_run_over_at_once(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    runtime = Runtime.of(app.state)
    leaving = EvaluationWorker(
        runtime, owner="leaving", config=WorkerConfig(lease_seconds=300, poll_interval=0.01)
    )
    leaving.start()

    async def claimed() -> bool:
        return ((await row(app, evaluation_id)).lease_owner or "").startswith("leaving#")

    await wait_until(claimed)
    await leaving.stop()
    assert (await evaluation(client, dev, evaluation_id))["status"] in ("IN_PROGRESS", "PASSED")
    # No wait for the 300 s lease: the next worker resumes (or finds it done) now.
    await EvaluationWorker(runtime, owner="next", config=LEASE).run_once()
    assert (await evaluation(client, dev, evaluation_id))["status"] == "PASSED"


class Stalling:
    """A channel that hangs after `allowed` sends, as a process does just before it is killed."""

    def __init__(self, inner: SkillChannel, allowed: int) -> None:
        self.inner = inner
        self.allowed = allowed

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        if self.allowed <= 0:
            await asyncio.Event().wait()  # never set: only cancellation ends it
        self.allowed -= 1
        return await self.inner.send(namespace, name, payload)


class Flaky:
    """A channel that fails (as a database error would) for the first `failures` sends."""

    def __init__(self, inner: SkillChannel, failures: list[int]) -> None:
        self.inner = inner
        self.failures = failures

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        if self.failures[0] > 0:
            self.failures[0] -= 1
            raise RuntimeError("the database hiccuped")
        return await self.inner.send(namespace, name, payload)


async def test_a_run_that_fails_inside_the_server_is_handed_back_and_resumed(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    failures = [1]
    worker = EvaluationWorker(
        Runtime.of(app.state),
        owner="w",
        config=LEASE,
        channel_factory=lambda runtime, job: Flaky(directive_channel(runtime, job), failures),
    )
    assert await worker.run_once()  # fails, and hands the run back without waiting for the lease
    assert (await evaluation(client, dev, evaluation_id))["status"] == "IN_PROGRESS"
    assert await worker.run_once()
    assert (await evaluation(client, dev, evaluation_id))["status"] == "PASSED"
    assert (await row(app, evaluation_id)).attempts == 2


async def test_a_run_that_always_fails_inside_the_server_ends_in_error(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    worker = EvaluationWorker(
        Runtime.of(app.state),
        owner="w",
        config=LEASE,
        channel_factory=lambda runtime, job: Flaky(directive_channel(runtime, job), [1000]),
    )
    for _ in range(4):  # three tries, then the fourth claim gives up
        assert await worker.run_once()
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "TEST_CASE_TIME_OUT"
    assert "interrupted 3 times" in body["error"]["message"]
    assert await worker.run_once() is False


class _ForeignKeyGone(Exception):
    sqlstate = "23503"  # what PostgreSQL says when a row the write refers to was deleted


class Vanishing:
    """A channel whose write fails as after a reset elsewhere: the run's rows are gone."""

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        raise IntegrityError("INSERT INTO skill_messages …", {}, _ForeignKeyGone())


async def test_a_run_whose_data_vanished_stops_without_a_stack_trace(
    client: httpx.AsyncClient,
    admin: Admin,
    app: FastAPI,
    mylights: SkillServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, evaluation_id = await queued_run(client, admin, app, mylights)
    worker = EvaluationWorker(
        Runtime.of(app.state), owner="w", config=LEASE, channel_factory=lambda runtime, job: Vanishing()
    )
    with caplog.at_level(logging.INFO, logger="localexa.evaluation"):
        assert await worker.run_once()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert f"evaluation {evaluation_id}: its data was deleted while it ran" in caplog.text
    # Handed back all the same: another worker may claim it at once.
    assert await EvaluationWorker(Runtime.of(app.state), owner="next", config=LEASE).claim() is not None


class DeletingSkill:
    """A channel whose first send deletes the run's skill through the admin API, then sends."""

    def __init__(self, inner: SkillChannel, client: httpx.AsyncClient, admin: Admin, skill_id: str) -> None:
        self.inner, self.client, self.admin, self.skill_id = inner, client, admin, skill_id

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        if self.skill_id:
            deleted = await self.client.delete(
                f"/_localexa/skills/{self.skill_id}", headers=self.admin.headers
            )
            assert deleted.status_code == 204, deleted.text
            self.skill_id = ""
        return await self.inner.send(namespace, name, payload)


async def test_a_run_whose_skill_is_deleted_through_the_admin_api_stops_quietly(
    client: httpx.AsyncClient,
    admin: Admin,
    app: FastAPI,
    mylights: SkillServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`DELETE /_localexa/skills/{id}` while its run is under way: the run and its rows go with the
    skill, and the worker ends it without a stack trace or a warning, claiming nothing after."""
    dev, evaluation_id = await queued_run(client, admin, app, mylights)
    worker = EvaluationWorker(
        Runtime.of(app.state),
        owner="w",
        config=LEASE,
        channel_factory=lambda runtime, job: DeletingSkill(
            directive_channel(runtime, job), client, admin, dev.skill.skill_id
        ),
    )
    with caplog.at_level(logging.INFO, logger="localexa.evaluation"):
        assert await worker.run_once()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], caplog.text
    async with app.state.sessions() as session:
        assert await session.get(CapabilityEvaluation, evaluation_id) is None
    assert await EvaluationWorker(Runtime.of(app.state), owner="next", config=LEASE).claim() is None
