"""One process carries several runs at once (`LOCALEXA_EVALUATION_CONCURRENT_RUNS`, default 4): a
slow skill's run no longer holds every other skill's run behind it (one at a time, the quick run
below waited the slow one's ~40 s out, its status IN_PROGRESS all along)."""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI

from localexa.server.evaluation.plans import plan_id_for
from localexa.server.settings import Settings
from tests.evaluation import skills
from tests.evaluation.helpers import evaluation, finished, linked_developer, start
from tests.evaluation.skills import SkillServer
from tests.factories import Admin


def test_the_setting_is_four_runs_and_bounded() -> None:
    assert Settings(demo=False).evaluation_concurrent_runs == 4
    assert Settings(demo=False, evaluation_concurrent_runs=1).evaluation_concurrent_runs == 1


async def test_a_quick_run_ends_while_a_slow_skills_run_goes_on(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, mylights: SkillServer
) -> None:
    assert app.state.evaluation_worker.config.concurrent_runs == 4
    with skills.mylights(delay=1.0) as slow:
        slow_dev = await linked_developer(client, admin, slow)
        quick_dev = await linked_developer(client, admin, mylights)
        before = len(slow.answered)
        slow_run = await start(client, slow_dev, plan_id_for("PowerController"), "kitchen")
        for _ in range(200):  # the slow run is under way: its skill got a directive
            if len(slow.answered) > before:
                break
            await asyncio.sleep(0.05)
        began = time.monotonic()
        quick_run = await start(client, quick_dev, plan_id_for("PowerController"), "kitchen")
        quick = await finished(client, quick_dev, quick_run, timeout=30)
        assert quick["status"] == "PASSED"
        assert (await evaluation(client, slow_dev, slow_run))["status"] == "IN_PROGRESS"
        assert time.monotonic() - began < 30
        # Leave no run behind for tests that start an app of their own on this database.
        await client.post("/_localexa/reset", headers=admin.headers)
