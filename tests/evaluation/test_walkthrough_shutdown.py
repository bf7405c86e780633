"""README walk-through, "Runs are jobs": "A process that shuts down cleanly hands its run over at
once", for a skill whose endpoint is a `python:` handler too.

Walked with `localexa serve` on PostgreSQL and SIGTERM mid-run, it did not: the directives
router's lifespan, which ends before the app's, closed the Lambda pool first and killed the
worker of the step in flight; that step then raised CancelledError (lambda_pool `_died`), the run
took it for a lost lease and kept it, and the next process waited out the lease (30 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from localexa.server.app import create_app
from localexa.server.evaluation.models import ERROR, CapabilityEvaluation, CapabilityTestCaseResult
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.evaluation import skills
from tests.evaluation.helpers import developer_with_skill, link, start, wait_until
from tests.evaluation.skills import SkillServer
from tests.factories import Admin

HANDLER = "python:localexa.samples.mylights.lambda_handler:handler"


@pytest.fixture
def slow_mylights(monkeypatch: pytest.MonkeyPatch) -> Iterator[SkillServer]:
    """My Lights answering after 0.2 s, behind its Lambda handler (MYLIGHTS_URL forwarding)."""
    with skills.mylights(delay=0.2) as server:
        monkeypatch.setenv("MYLIGHTS_URL", server.url)
        yield server


async def test_a_server_shutting_down_mid_step_hands_a_lambda_skills_run_over_at_once(
    settings: Settings, slow_mylights: SkillServer
) -> None:
    # A lease far longer than the test: a run kept by the stopped process would still hold it.
    app = create_app(settings.model_copy(update={"evaluation_lease_seconds": 300.0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            admin = Admin(client, ADMIN_KEY)
            dev = await developer_with_skill(admin, slow_mylights, endpoint=HANDLER)
            await link(client, admin, dev, slow_mylights)
            follow_up = await client.get(  # Discover and AcceptGrant after the link, out of the way
                f"/_localexa/customers/{dev.customer.user_id}/skills/{dev.skill.skill_id}/endpoints",
                params={"waitSeconds": 10},
                headers={"X-Localexa-Admin-Key": ADMIN_KEY},
            )
            assert follow_up.json()["discovery"]["status"] == "SUCCEEDED", follow_up.text
            evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
            answered = len(slow_mylights.answered)

            async def stepping() -> bool:
                # Answers go on coming: the run is past Discover, with its next directive in flight.
                return len(slow_mylights.answered) >= answered + 2

            await wait_until(stepping)
    # The app is shut down, its database closed: read the run as the next process would.
    reader = create_app(settings)
    async with reader.router.lifespan_context(reader):
        await reader.state.evaluation_worker.stop()  # look, do not resume
        async with reader.state.sessions() as session:
            run = await session.get(CapabilityEvaluation, evaluation_id)
            assert run is not None
            # This run's results: on PostgreSQL the database is the session's, and no `app`
            # fixture emptied it before this test (an earlier test's run may be left there).
            results = CapabilityTestCaseResult.__table__
            kept = (
                await session.execute(results.select().where(results.c.evaluation_id == evaluation_id))
            ).all()
    assert run.status == "IN_PROGRESS"
    assert run.lease_expires_at is not None
    lease = run.lease_expires_at.replace(tzinfo=run.lease_expires_at.tzinfo or UTC)
    assert lease <= datetime.now(UTC), "the run still waits for the stopped process's lease"
    # The step in flight finished before the pool closed: no case was lost to the shutdown.
    assert [r.name for r in kept if r.status == ERROR] == []
