"""Helpers of the evaluation tests: a developer whose own account enabled and linked a skill, and
calls of the evaluation API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation.skills import REDIRECT, SkillServer
from tests.factories import Admin, Customer, Skill

ACCOUNT_LINKING = "alexa::skills:account_linking"
READWRITE = "alexa::ask:skills:readwrite"
READ = "alexa::ask:skills:read"


@dataclass
class Developer:
    customer: Customer
    skill: Skill
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def base(self) -> str:
        return f"/v1/skills/{self.skill.skill_id}/smartHome/testing"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def developer_with_skill(
    admin: Admin,
    server: SkillServer | None = None,
    *,
    stages: list[str] | None = None,
    endpoint: str | None = None,
) -> Developer:
    """A developer, a skill of theirs pointing at `server` (if any), and a SMAPI token."""
    customer = await admin.customer(name="Dev")
    skill = await admin.skill(
        customer,
        endpoint=endpoint or (f"{server.url}/skill" if server else "http://127.0.0.1:9/skill"),
        account_linking=server.account_linking() if server else None,
        stages=stages,
    )
    token = await admin.access_token(customer.user_id, [READWRITE])
    return Developer(customer, skill, token)


async def link(client: httpx.AsyncClient, admin: Admin, dev: Developer, server: SkillServer) -> None:
    """Enable and link the skill in the developer's own account (app-to-app, spec §1.2)."""
    token = await admin.access_token(dev.customer.user_id, [ACCOUNT_LINKING])
    body = {
        "stage": "development",
        "accountLinkRequest": {"redirectUri": REDIRECT, "authCode": server.auth_code(), "type": "AUTH_CODE"},
    }
    answer = await client.post(
        f"/v1/users/~current/skills/{dev.skill.skill_id}/enablement", json=body, headers=bearer(token)
    )
    assert answer.status_code == 201, answer.text


async def linked_developer(client: httpx.AsyncClient, admin: Admin, server: SkillServer) -> Developer:
    dev = await developer_with_skill(admin, server)
    await link(client, admin, dev, server)
    return dev


async def start(
    client: httpx.AsyncClient,
    dev: Developer,
    plan_id: str,
    endpoint_id: str,
    stage: str = "development",
) -> str:
    """Start a run; answers its id."""
    body = {"capabilityTestPlan": {"id": plan_id}, "endpoint": {"endpointId": endpoint_id}, "stage": stage}
    answer = await client.post(f"{dev.base}/capabilityEvaluations", json=body, headers=dev.headers)
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert started["capabilityTestPlan"] == {"id": plan_id}
    assert started["endpoint"] == {"endpointId": endpoint_id}
    evaluation_id: str = started["id"]
    return evaluation_id


async def evaluation(client: httpx.AsyncClient, dev: Developer, evaluation_id: str) -> dict[str, Any]:
    answer = await client.get(f"{dev.base}/capabilityEvaluations/{evaluation_id}", headers=dev.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def finished(
    client: httpx.AsyncClient, dev: Developer, evaluation_id: str, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll the run until it leaves IN_PROGRESS (the app's own worker runs it)."""
    deadline = time.monotonic() + timeout
    while True:
        body = await evaluation(client, dev, evaluation_id)
        if body["status"] != "IN_PROGRESS":
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"evaluation {evaluation_id} still IN_PROGRESS: {body}")
        await asyncio.sleep(0.05)


async def results(client: httpx.AsyncClient, dev: Developer, evaluation_id: str) -> list[dict[str, Any]]:
    answer = await client.get(
        f"{dev.base}/capabilityEvaluations/{evaluation_id}/results",
        params={"maxResults": 50},
        headers=dev.headers,
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["testCaseResults"]
    return items


async def run(
    client: httpx.AsyncClient, dev: Developer, plan: str, endpoint_id: str, stage: str = "development"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the plan named `plan` to its end: the run and its results."""
    evaluation_id = await start(client, dev, plan_id_for(plan), endpoint_id, stage)
    return await finished(client, dev, evaluation_id), await results(client, dev, evaluation_id)


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Poll for work another task does (no timing assertion: only a generous limit)."""
    for _ in range(int(timeout / 0.005)):
        if await condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")
