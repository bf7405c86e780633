"""A served process sends no new directive of a run from its SIGTERM on, while its connections
drain (README "Runs are jobs", QA of 2026-12-06).

uvicorn answers a SIGTERM by closing its listeners and waiting for the requests in flight, and
runs the app's lifespan shutdown, which stopped the evaluation worker, only after the last one.
In the QA's repro the worker sent 4 new directives over the ~3 s that took, handed the run over
only then, and the next process ran the case again from its first set-up: the device was
actuated twice. Now `localexa serve` tells the worker as its shutdown begins (server/stopping.py).
Here a directive of the admin API held by the skill keeps the process draining for 4 s.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, build_skill, create_mylights_app
from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation.helpers import finished, linked_developer, results, start
from tests.evaluation.processes import ADMIN_KEY, server_process
from tests.evaluation.skills import CLIENT_ID, CLIENT_SECRET, SkillServer
from tests.factories import Admin
from tests.servers import SERVED_LIMITS, serve_in_thread

pytestmark = pytest.mark.slow

#: How long the skill takes over each directive of the run: one is in flight at the SIGTERM.
ANSWER_SECONDS = 0.5
#: Longest it holds the admin API's directive to the endpoint "hold" (the request the process
#: waits for as it stops): the test lets it go once it has looked, not after a timer a loaded
#: machine could outlast before the test looks.
HOLD_SECONDS = 20.0


@dataclass
class Arrivals:
    """When each directive of the run reached the skill (wall clock), and the held one."""

    run: list[tuple[float, str]] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    #: The run's directives are slow only while the first process runs them (so one is in flight
    #: at its SIGTERM); the next process finishes the run at full speed (~6 s less).
    answer_seconds: float = ANSWER_SECONDS


@pytest.fixture
def skill() -> Iterator[tuple[SkillServer, Arrivals]]:
    cloud = DeviceCloud(
        MyLightsConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, send_change_reports=False)
    )
    handler = build_skill(cloud)
    arrivals = Arrivals()

    async def endpoint(request: Request) -> Response:
        event = json.loads(await request.body())
        header = event["directive"]["header"]
        if event["directive"].get("endpoint", {}).get("endpointId") == "hold":
            arrivals.held.set()
            await asyncio.to_thread(arrivals.release.wait, HOLD_SECONDS)
        else:
            arrivals.run.append((time.time(), f"{header['namespace']}.{header['name']}"))
            await asyncio.sleep(arrivals.answer_seconds)
        return JSONResponse(await handler.handle(event))

    app = create_mylights_app(cloud=cloud)
    app.router.routes.insert(0, Route("/skill", endpoint, methods=["POST"]))
    with serve_in_thread(app) as url:
        try:
            yield SkillServer(url, cloud), arrivals
        finally:
            arrivals.release.set()  # a held directive left waiting ends before the server stops


def _run_row(data_dir: Path, evaluation_id: str) -> tuple[str, int, datetime]:
    with sqlite3.connect(data_dir / "localexa.db") as db:
        status, attempts, lease = db.execute(
            "SELECT status, attempts, lease_expires_at FROM capability_evaluations WHERE id = ?",
            (evaluation_id,),
        ).fetchone()
    expires = datetime.fromisoformat(lease)
    return status, attempts, expires if expires.tzinfo else expires.replace(tzinfo=UTC)


async def test_a_sigterm_stops_the_run_before_the_connections_drain(
    tmp_path: Path, skill: tuple[SkillServer, Arrivals]
) -> None:
    server, arrivals = skill
    data_dir = tmp_path / "data"
    with server_process(data_dir) as (process, url):
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=url, timeout=30) as client:
            admin = Admin(client, ADMIN_KEY)
            dev = await linked_developer(client, admin, server)
            user, skill_id = dev.customer.user_id, dev.skill.skill_id
            linked = f"/_localexa/customers/{user}/skills/{skill_id}/endpoints"
            await client.get(linked, params={"waitSeconds": 10}, headers=admin.headers)
            evaluation_id = await start(client, dev, plan_id_for("BrightnessController"), "porch")
            directive = {"userId": user, "skillId": skill_id, "endpointId": "hold"}
            directive |= {"namespace": "Alexa", "name": "ReportState"}
            held = asyncio.create_task(
                client.post("/_localexa/directives", json=directive, headers=admin.headers)
            )
            assert await asyncio.to_thread(arrivals.held.wait, 10), "the held directive never came"
            # SIGTERM as a directive of the run has just gone out: it is in flight for 0.5 s.
            seen = len(arrivals.run)
            deadline = time.monotonic() + 10
            while len(arrivals.run) == seen:
                assert time.monotonic() < deadline, "the run sent nothing"
                await asyncio.sleep(0.005)
            process.terminate()
            stopped_at = time.time()
            await asyncio.sleep(2.0)
            assert process.poll() is None, "the process no longer waits for the held directive"
            sent_after = [name for at, name in arrivals.run if at > stopped_at]
            status, attempts, lease = _run_row(data_dir, evaluation_id)
            read_at = datetime.now(UTC)
            arrivals.release.set()
            arrivals.answer_seconds = 0.0
            await held
        process.wait(15)
    # Nothing new went out; the run was handed over (its claim given back, its lease ended) while
    # the process still drained its connections.
    assert sent_after == []
    assert (status, attempts) == ("IN_PROGRESS", 0)
    assert lease <= read_at

    with server_process(data_dir) as (_, url):
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=url, timeout=30) as client:
            body = await finished(client, dev, evaluation_id)
            names = [r["name"] for r in await results(client, dev, evaluation_id)]
    assert body["status"] == "PASSED", body
    assert names == ["Bri_1.0", "Bri_1.1", "Bri_2.0", "Bri_2.1", "Bri_3.0", "Bri_3.1"]
