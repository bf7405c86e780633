"""A worker that stops sends no new directive (README "Runs are jobs", QA of 2026-12-06).

On a staging server a run's process got SIGTERM at 00:24:00.96, yet a directive went out and was
answered at 00:24:04.72 before the run was "handed over": `stop` let the test case in flight run
to its end, each of its remaining set-ups, its directive and its ReportState. Now the directive in
flight is answered (within the stop grace) and nothing more is sent: the case is handed over
unrecorded, and the next worker runs it again from its first set-up.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.channel import Exchange, SkillChannel
from localexa.server.evaluation.jobs import Job, WorkerConfig, directive_channel
from localexa.server.evaluation.models import CapabilityEvaluation
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.worker import EvaluationWorker
from tests.evaluation.helpers import evaluation, linked_developer, results, start
from tests.evaluation.skills import SkillServer
from tests.factories import Admin


class StopsItsWorker:
    """A channel that begins its worker's stop as its `at`-th directive goes out (as SIGTERM
    arriving while the skill works on it), and records every directive sent."""

    def __init__(self, inner: SkillChannel, at: int) -> None:
        self.inner = inner
        self.at = at
        self.sent: list[str] = []
        self.worker: EvaluationWorker | None = None
        self.stopping: asyncio.Task[None] | None = None
        self.began = asyncio.Event()

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        self.sent.append(f"{namespace}.{name}")
        if len(self.sent) == self.at:
            assert self.worker is not None
            self.stopping = asyncio.create_task(self.worker.stop())
            self.began.set()
            await asyncio.sleep(0.05)  # the stop has begun while this directive is in flight
        return await self.inner.send(namespace, name, payload)


async def test_a_stopping_worker_sends_no_new_directive_and_hands_the_case_over(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    await app.state.evaluation_worker.stop()  # this test drives its own workers
    dev = await linked_developer(client, admin, mylights)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    runtime = Runtime.of(app.state)
    channels: list[StopsItsWorker] = []
    made = asyncio.Event()

    def factory(runtime: Runtime, job: Job) -> SkillChannel:
        # Discover, then the first case's set-up, then its directive: the stop comes with that.
        channel = StopsItsWorker(directive_channel(runtime, job), at=3)
        channel.worker = leaving
        channels.append(channel)
        made.set()
        return channel

    leaving = EvaluationWorker(
        runtime,
        owner="leaving",
        config=WorkerConfig(lease_seconds=300, poll_interval=0.01),
        channel_factory=factory,
    )
    leaving.start()
    await asyncio.wait_for(made.wait(), 15)  # the worker makes the channel when it claims the run
    [channel] = channels
    await asyncio.wait_for(channel.began.wait(), 15)
    assert channel.stopping is not None
    await asyncio.wait_for(channel.stopping, 15)
    # The directive in flight was answered; its ReportState, a new directive, was never sent.
    assert channel.sent == [
        "Alexa.Discovery.Discover",
        "Alexa.PowerController.TurnOff",
        "Alexa.PowerController.TurnOn",
    ]
    assert await results(client, dev, evaluation_id) == []  # the case in flight: not recorded
    async with app.state.sessions() as session:
        run = await session.get(CapabilityEvaluation, evaluation_id)
        assert run is not None
        assert run.status == "IN_PROGRESS"
        assert run.next_case == 0
        # A clean hand-over gives its claim back: three restarts ended a run in ERROR (README QA).
        assert run.attempts == 0
        assert run.lease_expires_at is not None
        lease = run.lease_expires_at.replace(tzinfo=run.lease_expires_at.tzinfo or UTC)
        assert lease <= datetime.now(UTC)  # handed over: no wait for the 300 s lease
    # The next worker runs the case again from its first set-up, and the rest after it.
    assert await EvaluationWorker(runtime, owner="next", config=WorkerConfig()).run_once()
    body = await evaluation(client, dev, evaluation_id)
    assert body["status"] == "PASSED", body
    names = [r["name"] for r in await results(client, dev, evaluation_id)]
    assert names == ["Pwr_1.0", "Pwr_1.1", "Pwr_1.2", "Pwr_1.3"]
