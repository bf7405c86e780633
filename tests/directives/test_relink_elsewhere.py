"""A relink's follow-up owns the status row, even while an older follow-up still waits elsewhere.

Two runners stand for two server processes (a relink through process A cannot cancel the
follow-up process B started for the previous link). B's Discover is slow and answered badly; A's
relink follow-up succeeds meanwhile. When B's answer finally comes, its outcome must not
overwrite A's, B must not go on to send AcceptGrant for the old link, and what B's Discover found
(the previous link's account's devices) must not replace what A's found.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.server.directives import after_link_runner
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.factories import Admin
from tests.servers import serve_in_loop

#: How long the first (stale) Discover waits before its bad answer; well under the directive timeout.
STALE_DELAY = 1.0


class Skill:
    """The armed Discover waits, then answers garbage (or, with `stale_lamp`, a valid answer
    listing that endpoint); the others answer at once and well, listing `lamp`."""

    def __init__(self, stale_lamp: str | None = None) -> None:
        self.stale_lamp = stale_lamp
        #: Discovers still to answer slowly and badly (the test arms one once the link is made).
        self.slow_discovers = 0
        self.first_discover_arrived = asyncio.Event()
        self.accept_grants = 0

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        name = message["directive"]["header"]["name"]
        if name == "Discover" and self.slow_discovers:
            self.slow_discovers -= 1
            self.first_discover_arrived.set()
            await asyncio.sleep(STALE_DELAY)
            if self.stale_lamp is None:
                return JSONResponse({"not": "a Discover.Response"})
            old = discovery_endpoint(self.stale_lamp, "Old", [], description="d", manufacturer_name="m")
            return JSONResponse(discover_response(message, [old]))
        if name == "Discover":
            lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
            return JSONResponse(discover_response(message, [lamp]))
        self.accept_grants += 1
        return JSONResponse(accept_grant_response(message))


@pytest.fixture(params=[None, "old-lamp"], ids=["stale-garbage", "stale-valid"])
async def skill(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Skill, str]]:
    answering = Skill(request.param)
    async with serve_in_loop(Starlette(routes=[Route("/skill", answering.answer, methods=["POST"])])) as url:
        yield answering, url


async def test_an_older_follow_up_elsewhere_does_not_overwrite_the_relinks(
    app: FastAPI, admin: Admin, localexa_url: str, mylights: MyLights, skill: tuple[Skill, str]
) -> None:
    answering, url = skill
    made = await admin.skill(
        endpoint=f"{url}/skill", permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    mylights.cloud.set_alexa_credentials(made.messaging_client_id, made.messaging_client_secret)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        await post_link(http, token, made.skill_id, mylights)
    assert await app.state.after_link_runner.wait(customer.user_id, made.skill_id, timeout=10)
    answering.slow_discovers = 1
    process_b = after_link_runner.AfterLinkRunner(Runtime.of(app.state))
    process_a = after_link_runner.AfterLinkRunner(Runtime.of(app.state))
    try:
        await process_b.start(customer.user_id, made.skill_id)  # the previous link's follow-up
        await asyncio.wait_for(answering.first_discover_arrived.wait(), 10)
        await process_a.start(customer.user_id, made.skill_id)  # the relink's, in another process
        assert await process_a.wait(customer.user_id, made.skill_id, timeout=10)
        grants_after_relink = answering.accept_grants
        await asyncio.wait(set(process_b._tasks.values()), timeout=10)
    finally:
        await process_a.aclose()
        await process_b.aclose()

    async with Runtime.of(app.state).transaction() as session:
        row = await DirectiveRepository(session).status(customer.user_id, made.skill_id)
    assert row is not None
    assert (row.discovery_status, row.discovery_message) == ("SUCCEEDED", None)
    assert row.accept_grant_status == "SUCCEEDED"
    # The stale follow-up sent no AcceptGrant of its own after its Discover came back.
    assert answering.accept_grants == grants_after_relink
    async with Runtime.of(app.state).transaction() as session:
        endpoints = await DirectiveRepository(session).endpoints(customer.user_id, made.skill_id)
    assert [e.endpoint_id for e in endpoints] == ["lamp"]
