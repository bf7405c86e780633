"""Evaluation runs across a reset or a restore (README: Runs are jobs; Reset, snapshot, restore).

A run under way when a snapshot was taken is under way again after its restore: it must be
resumed at once, at its first unfinished test case, not wait for a lease of a worker that is no
longer running it. A reset under a run ends the run's writes; the worker neither crashes nor
writes into the fresh state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.channel import Exchange, SkillChannel
from localexa.server.evaluation.jobs import Job, WorkerConfig, directive_channel
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.worker import EvaluationWorker
from tests.evaluation import skills
from tests.evaluation.helpers import Developer, evaluation, linked_developer, results, start, wait_until
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.observe.helpers import ADMIN

#: The sends of one PowerController test case with My Lights (set-up, directive, ReportState) and
#: of discovery before it.
FIRST_CASE_SENDS = 4


@pytest.fixture(scope="module")
def mylights() -> Iterator[SkillServer]:
    with skills.mylights() as server:
        yield server


class Gated:
    """A channel that waits at a gate after `allowed` sends, until the test opens it."""

    def __init__(self, inner: SkillChannel, allowed: int, gate: asyncio.Event) -> None:
        self.inner = inner
        self.allowed = allowed
        self.gate = gate

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        if self.allowed <= 0:
            await self.gate.wait()
        self.allowed -= 1
        return await self.inner.send(namespace, name, payload)


async def _gated_run(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, server: SkillServer, gate: asyncio.Event
) -> tuple[Developer, str, asyncio.Task[None]]:
    """A run whose worker has finished its first test case and waits at `gate`."""
    await app.state.evaluation_worker.stop()  # this test drives its own workers
    dev = await linked_developer(client, admin, server)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    first = EvaluationWorker(
        Runtime.of(app.state),
        owner="first",
        config=WorkerConfig(lease_seconds=30),
        channel_factory=lambda runtime, job: Gated(directive_channel(runtime, job), FIRST_CASE_SENDS, gate),
    )
    job: Job | None = await first.claim()
    assert job is not None
    assert job.id == evaluation_id
    running = asyncio.create_task(first.execute(job))

    async def one_case_done() -> bool:
        metrics = (await evaluation(client, dev, evaluation_id))["metrics"]
        return bool(metrics.get("PowerController", {}).get("passedTestCases", 0) >= 1)

    await wait_until(one_case_done)
    return dev, evaluation_id, running


async def test_a_run_under_way_in_a_snapshot_is_resumed_at_once_after_its_restore(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    gate = asyncio.Event()
    dev, evaluation_id, running = await _gated_run(client, admin, app, mylights, gate)
    snapshot = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert snapshot.status_code == 200
    gate.set()
    await running  # the first worker carries the run to its end
    assert (await evaluation(client, dev, evaluation_id))["status"] == "PASSED"

    restored = await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(snapshot.json()))
    assert restored.status_code == 200, restored.text
    assert (await evaluation(client, dev, evaluation_id))["status"] == "IN_PROGRESS"
    # Any worker resumes it now (it waited 30 s for the lease of "first", which ran nothing).
    assert await EvaluationWorker(Runtime.of(app.state), owner="next").run_once() is True
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "PASSED"
    names = [r["name"] for r in await results(client, dev, evaluation_id)]
    assert names == ["Pwr_1.0", "Pwr_1.1", "Pwr_1.2", "Pwr_1.3"]  # each case once, in order


async def test_a_worker_whose_run_was_restored_under_it_writes_nothing_more(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    gate = asyncio.Event()
    _, _, running = await _gated_run(client, admin, app, mylights, gate)
    snapshot = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    restored = await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(snapshot))
    assert restored.status_code == 200, restored.text
    gate.set()
    await running  # its next write finds the lease gone: it stops, without raising
    after = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()["tables"]
    assert [r["ordinal"] for r in after["capability_test_case_results"]] == [0]
    [run] = after["capability_evaluations"]
    assert (run["status"], run["next_case"], run["lease_owner"]) == ("IN_PROGRESS", 1, None)


async def test_a_claim_a_restore_ended_writes_nothing_into_its_workers_new_claim(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    """The same worker (one process) claims the restored run again while its old claim still
    waits for an answer: the old claim's writes must fail. With the worker's name as the lease
    they passed (the lease was the same string again): the old claim recorded its case into the
    restored run, the new one then hit a duplicate result, and two processes handed the run back
    and forth thousands of times (QA of 2026-12-06)."""
    await app.state.evaluation_worker.stop()
    gate = asyncio.Event()
    dev = await linked_developer(client, admin, mylights)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    worker = EvaluationWorker(
        Runtime.of(app.state),
        owner="one-process",
        config=WorkerConfig(lease_seconds=30),
        channel_factory=lambda runtime, job: Gated(directive_channel(runtime, job), FIRST_CASE_SENDS, gate),
    )
    old = await worker.claim()
    assert old is not None
    running = asyncio.create_task(worker.execute(old))

    async def one_case_done() -> bool:
        metrics = (await evaluation(client, dev, evaluation_id))["metrics"]
        return bool(metrics.get("PowerController", {}).get("passedTestCases", 0) >= 1)

    await wait_until(one_case_done)
    snapshot = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    restored = await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(snapshot))
    assert restored.status_code == 200, restored.text
    new = await worker.claim()  # the same worker resumes the restored run
    assert new is not None
    assert new.id == evaluation_id
    assert new.lease != old.lease
    gate.set()
    await running  # the old claim's next write finds its lease gone: it stops, writing nothing
    after = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()["tables"]
    assert [r["ordinal"] for r in after["capability_test_case_results"]] == [0]
    [run] = after["capability_evaluations"]
    assert (run["status"], run["next_case"], run["lease_owner"]) == ("IN_PROGRESS", 1, new.lease)


async def test_a_reset_under_a_run_leaves_nothing_of_it_and_the_worker_goes_on(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    gate = asyncio.Event()
    _, _, running = await _gated_run(client, admin, app, mylights, gate)
    reset = await client.post("/_localexa/reset", headers=ADMIN)
    assert reset.status_code == 200, reset.text
    gate.set()
    await running  # its writes find no run: it stops, without raising
    tables = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()["tables"]
    assert tables["capability_evaluations"] == []
    assert tables["capability_test_case_results"] == []
    # The same worker takes the next run of the fresh state.
    dev = await linked_developer(client, admin, mylights)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    assert await EvaluationWorker(Runtime.of(app.state), owner="first").run_once() is True
    assert (await evaluation(client, dev, evaluation_id))["status"] == "PASSED"
