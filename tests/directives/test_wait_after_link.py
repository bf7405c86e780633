"""`waitSeconds` waits for Discover and AcceptGrant of the current link, even when asked at once.

Over real HTTP the after-link hook runs only after the link's 201 is sent, so the GET that
follows can arrive before the follow-up has begun (or, on a re-link, while the stored status is
still the previous link's), and with several server processes the follow-up may run in another
one. Here a hook placed before localexa's own stands for a busy server (the follow-up starts
late), and a second runner for another process.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.server.directives import after_link_runner
from localexa.server.directives.runtime import Runtime
from localexa.server.enablement.hooks import after_link_hooks
from localexa.server.enablement.repository import EnablementRepository
from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.factories import Admin
from tests.servers import serve_in_loop

SKILL_DELAY = 0.05
#: Long enough that the GET sent right after the link always comes before the follow-up starts.
HOOK_DELAY = 0.2
#: The delay makes every try the race it names; a few tries catch an unlucky interleaving too.
TRIES = 5


class SlowSkill:
    """Answers Discover with one endpoint named after the Discover count, both after a delay."""

    def __init__(self) -> None:
        self.discovers = itertools.count(1)

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        await asyncio.sleep(SKILL_DELAY)
        if message["directive"]["header"]["name"] == "Discover":
            lamp = discovery_endpoint(
                f"lamp-{next(self.discovers)}", "Lamp", [], description="d", manufacturer_name="m"
            )
            return JSONResponse(discover_response(message, [lamp]))
        return JSONResponse(accept_grant_response(message))


@pytest.fixture
async def slow_skill_url() -> AsyncIterator[str]:
    routes = [Route("/skill", SlowSkill().answer, methods=["POST"])]
    async with serve_in_loop(Starlette(routes=routes)) as url:
        yield url


async def _late(app: FastAPI, enablement_id: str) -> None:
    await asyncio.sleep(HOOK_DELAY)


@pytest.fixture
def late_follow_up(app: FastAPI) -> Iterator[None]:
    """The follow-up starts HOOK_DELAY after the link's answer was sent."""
    hooks = after_link_hooks(app)
    hooks.insert(0, _late)
    yield
    hooks.remove(_late)


@pytest.fixture
async def follow_up_elsewhere(app: FastAPI) -> AsyncIterator[None]:
    """The follow-up runs in another runner (as in another server process): the GET's runner
    knows nothing of it."""
    elsewhere = after_link_runner.AfterLinkRunner(Runtime.of(app.state))

    async def on_link_elsewhere(app: FastAPI, enablement_id: str) -> None:
        await asyncio.sleep(HOOK_DELAY)
        async with elsewhere.runtime.transaction() as session:
            enablement = await EnablementRepository(session).by_id(enablement_id)
            assert enablement is not None
        await elsewhere.start(enablement.customer_id, enablement.skill_id)

    hooks = after_link_hooks(app)
    index = hooks.index(after_link_runner.on_link)
    hooks[index] = on_link_elsewhere
    yield
    hooks[index] = after_link_runner.on_link
    await elsewhere.aclose()


async def _slow_skill(admin: Admin, slow_skill_url: str, mylights: MyLights) -> str:
    skill = await admin.skill(
        endpoint=f"{slow_skill_url}/skill",
        permissions=[ASYNC_EVENTS],
        account_linking=mylights.account_linking(),
    )
    return skill.skill_id


async def _customer_and_token(admin: Admin) -> tuple[str, str]:
    customer = await admin.customer()
    return customer.user_id, await admin.access_token(customer.user_id, [ACCOUNT_LINKING])


async def _view_at_once(http: httpx.AsyncClient, admin: Admin, user_id: str, skill_id: str) -> dict[str, Any]:
    answer = await http.get(
        f"/_localexa/customers/{user_id}/skills/{skill_id}/endpoints",
        params={"waitSeconds": 10},
        headers=admin.headers,
    )
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def _statuses(view: dict[str, Any]) -> tuple[Any, Any]:
    return (
        (view["discovery"] or {}).get("status"),
        (view["acceptGrant"] or {}).get("status"),
    )


@pytest.mark.usefixtures("late_follow_up")
async def test_wait_right_after_the_link_sees_the_follow_up_done(
    admin: Admin, localexa_url: str, mylights: MyLights, slow_skill_url: str
) -> None:
    skill_id = await _slow_skill(admin, slow_skill_url, mylights)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        for attempt in range(TRIES):
            user_id, token = await _customer_and_token(admin)

            await post_link(http, token, skill_id, mylights)
            view = await _view_at_once(http, admin, user_id, skill_id)

            assert _statuses(view) == ("SUCCEEDED", "SUCCEEDED"), (attempt, view)
            assert len(view["endpoints"]) == 1, (attempt, view)


@pytest.mark.usefixtures("late_follow_up")
async def test_wait_after_a_relink_does_not_answer_with_the_previous_link(
    admin: Admin, localexa_url: str, mylights: MyLights, slow_skill_url: str
) -> None:
    skill_id = await _slow_skill(admin, slow_skill_url, mylights)
    user_id, token = await _customer_and_token(admin)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        await post_link(http, token, skill_id, mylights)
        first = await _view_at_once(http, admin, user_id, skill_id)
        assert [e["endpointId"] for e in first["endpoints"]] == ["lamp-1"]

        unlinked = await http.delete(
            f"/v1/users/~current/skills/{skill_id}/enablement",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert unlinked.status_code == 200, unlinked.text
        await post_link(http, token, skill_id, mylights)
        again = await _view_at_once(http, admin, user_id, skill_id)

    assert _statuses(again) == ("SUCCEEDED", "SUCCEEDED")
    # The second Discover's endpoint, not the first link's answer kept from before.
    assert [e["endpointId"] for e in again["endpoints"]] == ["lamp-2"]


@pytest.mark.usefixtures("follow_up_elsewhere")
async def test_wait_sees_a_follow_up_run_by_another_process(
    admin: Admin, localexa_url: str, mylights: MyLights, slow_skill_url: str
) -> None:
    skill_id = await _slow_skill(admin, slow_skill_url, mylights)
    user_id, token = await _customer_and_token(admin)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        await post_link(http, token, skill_id, mylights)
        view = await _view_at_once(http, admin, user_id, skill_id)

    assert _statuses(view) == ("SUCCEEDED", "SUCCEEDED")
    assert [e["endpointId"] for e in view["endpoints"]] == ["lamp-1"]
