"""The SDK's evaluation resource against the real evaluation API and worker: My Lights (the sample
skill, a real HTTP server on 127.0.0.1) runs the PowerController plan to PASSED."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from localexa.client import AsyncClient, Client, NotFoundError
from localexa.client.types import Evaluation
from tests.client.contract import developer, in_thread
from tests.evaluation import skills
from tests.evaluation.skills import REDIRECT, SkillServer

LINKING = "alexa::skills:account_linking"


@pytest.fixture(scope="module")
def mylights() -> Iterator[SkillServer]:
    with skills.mylights() as server:
        yield server


async def finished(client: AsyncClient, skill_id: str, evaluation_id: str) -> Evaluation:
    """Poll until the app's worker ends the run (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while True:
        run = await client.evaluations.get(skill_id, evaluation_id)
        if run.status != "IN_PROGRESS" or time.monotonic() > deadline:
            return run
        await asyncio.sleep(0.05)


async def test_a_capability_evaluation_end_to_end(
    sdk: AsyncClient, sync_sdk: Client, mylights: SkillServer
) -> None:
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(
        vendor_id=dev.vendor_id,
        name="My Lights",
        endpoint=f"{mylights.url}/skill",
        account_linking=mylights.account_linking(),
    )
    skill_id = skill.skill_id
    app_client = await sdk.admin.lwa_clients.create(name="App", redirect_uris=[REDIRECT])
    linking = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=dev.user_id, scopes=[LINKING]
    )
    await sdk.customer_enablement.enable_and_link(
        skill_id, auth_code=mylights.auth_code(), redirect_uri=REDIRECT, token=linking.access_token
    )

    smapi = sdk.with_options(auth=dev.token)
    plan_pages = [page async for page in smapi.evaluations.test_plans(skill_id, max_results=2).pages()]
    assert len(plan_pages) > 1
    assert plan_pages[0].total_count == sum(len(p.items) for p in plan_pages)
    power = next(p for page in plan_pages for p in page.items if p.name == "PowerController")

    started = await smapi.evaluations.create(skill_id, test_plan_id=power.id, endpoint_id="kitchen")
    assert started.endpoint is not None
    assert started.endpoint.endpoint_id == "kitchen"
    run = await finished(smapi, skill_id, started.id)
    assert run.status == "PASSED", run
    assert run.metrics is not None
    assert run.metrics["PowerController"].passed_test_cases == run.metrics["PowerController"].total_test_cases
    assert run.input is not None
    assert run.input.capability_test_plan.id == power.id

    sync_smapi = sync_sdk.with_options(auth=dev.token)
    results = await in_thread(
        lambda: list(sync_smapi.evaluations.results(skill_id, started.id, max_results=1))
    )
    assert len(results) == run.metrics["PowerController"].total_test_cases
    assert {r.status for r in results} == {"PASSED"}
    assert results[0].directive is not None

    listed = [e async for e in smapi.evaluations.list(skill_id, stage="development")]
    assert started.id in {e.id for e in listed}
    with pytest.raises(NotFoundError) as missing:
        await smapi.evaluations.get(skill_id, "no-such-run")
    assert missing.value.violations  # this API answers 404 as a BadRequestError with violations
