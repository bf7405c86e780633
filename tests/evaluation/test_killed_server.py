"""A real server process killed with SIGKILL mid-run: a second process finishes the run.

Two `localexa serve` processes share one SQLite file (as two replicas share one PostgreSQL). The
first starts the run and is killed after its first test case; the second, which never saw the
POST, claims the run once the lease (2 s here) has expired and resumes it. The skill answers
slowly (so the first is killed mid-run) until the kill, then at full speed: the rest of the run
only has to finish.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation import skills
from tests.evaluation.helpers import linked_developer
from tests.evaluation.processes import ADMIN_KEY, server_process
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.servers import SERVED_LIMITS

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_mylights() -> Iterator[SkillServer]:
    with skills.mylights(delay=0.15) as server:
        yield server


async def test_a_killed_server_leaves_its_run_to_another(tmp_path: Path, slow_mylights: SkillServer) -> None:
    data_dir = tmp_path / "shared"
    with server_process(data_dir) as (first, first_url):
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=first_url, timeout=30) as client:
            dev = await linked_developer(client, Admin(client, ADMIN_KEY), slow_mylights)
            body = {
                "capabilityTestPlan": {"id": plan_id_for("BrightnessController")},
                "endpoint": {"endpointId": "porch"},
                "stage": "development",
            }
            started = await client.post(f"{dev.base}/capabilityEvaluations", json=body, headers=dev.headers)
            assert started.status_code == 200, started.text
            run = f"{dev.base}/capabilityEvaluations/{started.json()['id']}"
            deadline = time.monotonic() + 60
            while True:
                state = (await client.get(run, headers=dev.headers)).json()
                if state.get("metrics", {}).get("BrightnessController", {}).get("passedTestCases", 0) >= 1:
                    break
                assert time.monotonic() < deadline, state
                await _sleep()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    slow_mylights.pace.delay = 0.0  # slow only so the first process is killed mid-run
    assert state["status"] == "IN_PROGRESS"
    done_when_killed = state["metrics"]["BrightnessController"]["passedTestCases"]
    assert done_when_killed < 6

    with server_process(data_dir) as (_, second_url):
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=second_url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                state = (await client.get(run, headers=dev.headers)).json()
                if state["status"] != "IN_PROGRESS":
                    break
                assert time.monotonic() < deadline, state
                await _sleep()
            results = (await client.get(f"{run}/results", headers=dev.headers)).json()
    assert state["status"] == "PASSED", state
    assert state["metrics"]["BrightnessController"]["passedTestCases"] == 6
    names = [r["name"] for r in results["testCaseResults"]]
    assert names == ["Bri_1.0", "Bri_1.1", "Bri_2.0", "Bri_2.1", "Bri_3.0", "Bri_3.1"]


async def _sleep() -> None:
    await asyncio.sleep(0.1)
