"""A stopping process finishes its after-link follow-ups, within a bound, and leaves none PENDING.

Shutdown cancelled the follow-ups and left Discover and AcceptGrant `PENDING` with no process
ever to run them (QA of 2026-12-06; tests/scale/test_stop_finishes_follow_ups.py has the two
served processes). Now the runner waits for them (after_link_runner.py `drain`): a step it can no
longer send, or a follow-up it cuts off, ends `FAILED` naming the call that sends it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.directives import after_link_runner
from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.settings import Settings
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.directives.slow_skill import SlowSkill, slow_skill_served
from tests.factories import Admin
from tests.observe.helpers import ADMIN

#: Short, so a stop's window for sending passes quickly.
DIRECTIVE_TIMEOUT = 1.0
#: How long the skill holds its Discover answer (within the directive timeout).
SLOW_DISCOVER = 0.6


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"directive_timeout": DIRECTIVE_TIMEOUT})


@pytest.fixture
async def slow_skill() -> AsyncIterator[tuple[SlowSkill, str]]:
    async with slow_skill_served(SLOW_DISCOVER) as served:
        yield served


async def _link(admin: Admin, http: httpx.AsyncClient, mylights: MyLights, endpoint: str) -> str:
    """Link a new customer; the path of their endpoints view."""
    made = await admin.skill(
        endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    await post_link(http, token, made.skill_id, mylights)
    return f"/_localexa/customers/{customer.user_id}/skills/{made.skill_id}/endpoints"


async def _status(http: httpx.AsyncClient, path: str) -> dict[str, Any]:
    answer = await http.get(path, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_drain_waits_for_a_follow_up_under_way(
    app: FastAPI, admin: Admin, localexa_url: str, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    skill, endpoint = slow_skill
    runner: AfterLinkRunner = app.state.after_link_runner
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        path = await _link(admin, http, mylights, endpoint)
        await asyncio.wait_for(skill.discover_arrived.wait(), 10)
        await runner.drain()  # as at shutdown: Discover is answered, AcceptGrant sent after it
        body = await _status(http, path)
    assert body["discovery"]["status"] == "SUCCEEDED", body
    assert body["acceptGrant"]["status"] == "SUCCEEDED", body
    assert skill.accept_grants == 1


async def test_a_follow_up_past_the_window_for_sending_fails_with_the_retry(
    app: FastAPI, admin: Admin, localexa_url: str, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    """A link answered while the connections drain starts its follow-up after the stop began;
    past the directive timeout it sends nothing, and says how to send it."""
    skill, endpoint = slow_skill
    runner: AfterLinkRunner = app.state.after_link_runner
    runner.begin_stop()
    await asyncio.sleep(DIRECTIVE_TIMEOUT + 0.05)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        path = await _link(admin, http, mylights, endpoint)
        answer = await http.get(path, params={"waitSeconds": 10}, headers=ADMIN)
        body = answer.json()
    assert not skill.discover_arrived.is_set()
    base = path.removesuffix("/endpoints")
    discovery, grant = body["discovery"], body["acceptGrant"]
    assert discovery["status"] == grant["status"] == "FAILED", body
    assert discovery["message"] == (
        f"not sent: the server process running the follow-up was stopping; send it with POST {base}/discover"
    )
    assert grant["message"].endswith(f"send it with POST {base}/accept-grant")


async def test_a_follow_up_that_overruns_the_drain_is_cut_off_and_failed(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skill, endpoint = slow_skill
    runner: AfterLinkRunner = app.state.after_link_runner
    # The bound already past: the drain cuts off what still runs at once.
    monkeypatch.setattr(after_link_runner, "DRAIN_SLACK_SECONDS", -3 * DIRECTIVE_TIMEOUT)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        path = await _link(admin, http, mylights, endpoint)
        await asyncio.wait_for(skill.discover_arrived.wait(), 10)
        await runner.drain()
        body = await _status(http, path)
    base = path.removesuffix("/endpoints")
    discovery, grant = body["discovery"], body["acceptGrant"]
    assert discovery["status"] == grant["status"] == "FAILED", body
    assert discovery["message"] == (
        "not finished: the server process running the follow-up was stopping; "
        f"send it with POST {base}/discover"
    )
    assert grant["message"].endswith(f"send it with POST {base}/accept-grant")
    assert runner._tasks == {}
