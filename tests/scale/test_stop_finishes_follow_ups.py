"""A process stopped while its after-link follow-ups wait for the skill finishes them first.

QA of 2026-12-06, two processes on PostgreSQL + Redis: a customer's enable-and-link through A, a
skill that takes 5 s to answer, SIGTERM to A 0.5 s later. A exited within 0.24 s and cancelled the
follow-up; on B `waitSeconds=20` waited its 20 s and showed Discover and AcceptGrant `PENDING`,
and they stayed so, also once A had started again. Now A goes on with its follow-ups as it stops
(directives/after_link_runner.py `drain`): they end `SUCCEEDED`, B's `waitSeconds` sees them end,
and A exits once they have.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.scale.conftest import REDIRECT, MyLights, Pair
from tests.scale.world import ACCOUNT_LINKING, app_token, bearer, concurrently, customer, skill
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

ASYNC_EVENTS = "alexa::async_event:write"
#: How long the skill takes over each answer (the QA's took 5 s; the directive timeout is 8 s).
ANSWER_SECONDS = 2.0
#: Customers who link at once through A (the QA's rolling restart left 2 PENDING per restart).
LINKS = 3


@dataclass
class SlowSkill:
    """Answers Discover (one lamp) and AcceptGrant, each after `ANSWER_SECONDS`."""

    discovers: list[float] = field(default_factory=list)
    accept_grants: list[float] = field(default_factory=list)
    discover_arrived: threading.Event = field(default_factory=threading.Event)

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        if message["directive"]["header"]["name"] == "Discover":
            self.discovers.append(time.time())
            self.discover_arrived.set()
            await asyncio.sleep(ANSWER_SECONDS)
            lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
            return JSONResponse(discover_response(message, [lamp]))
        self.accept_grants.append(time.time())
        await asyncio.sleep(ANSWER_SECONDS)
        return JSONResponse(accept_grant_response(message))


@pytest.fixture
def slow_skill() -> Iterator[tuple[SlowSkill, str]]:
    answering = SlowSkill()
    app = Starlette(routes=[Route("/skill", answering.answer, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield answering, f"{url}/skill"


def test_a_stopping_process_finishes_its_follow_ups_for_another_to_see(
    pair: Pair, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    answering, endpoint = slow_skill
    owner = skill(
        pair.a, endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    customers = [customer(pair.a, f"Linker{n}") for n in range(LINKS)]
    calls = []
    for user_id in customers:
        token = app_token(pair.a, user_id, [ACCOUNT_LINKING])
        link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
        body = {"stage": "development", "accountLinkRequest": link}
        path = f"/v1/users/~current/skills/{owner.skill_id}/enablement"
        calls.append((pair.a, "POST", path, {"json": body, "headers": bearer(token)}))
    linked = concurrently(calls)
    assert [answer.status_code for answer in linked] == [201] * LINKS, [a.text for a in linked]
    assert answering.discover_arrived.wait(10), "A never sent Discover"
    time.sleep(0.5)

    assert pair.a.process is not None
    stopped_at = time.time()
    pair.a.process.terminate()
    try:
        outcomes = []
        with pair.b.client() as http:
            for user_id in customers:
                path = f"/_localexa/customers/{user_id}/skills/{owner.skill_id}/endpoints"
                answer = http.get(path, params={"waitSeconds": 20}, headers=pair.b.admin_headers)
                assert answer.status_code == 200, answer.text
                outcomes.append(answer.json())
        seen_at = time.time()
        exit_code = pair.a.process.wait(20)
        exited_at = time.time()
    finally:
        pair.a.start()  # for the module's teardown, and a test after this one
    for body in outcomes:
        assert body["discovery"]["status"] == "SUCCEEDED", body
        assert body["acceptGrant"]["status"] == "SUCCEEDED", body
        assert [e["endpointId"] for e in body["endpoints"]] == ["lamp"], body
    # uvicorn raises the signal it caught again once shut down: the clean end of a SIGTERM.
    assert exit_code == -signal.SIGTERM, pair.a.log()
    assert "cut off" not in pair.a.log()
    # Discover answered 1.5 s after the SIGTERM, then AcceptGrant sent and answered 2 s later:
    # B saw all of it end, and A exited once it had (not after a timeout of anyone's).
    assert (len(answering.discovers), len(answering.accept_grants)) == (LINKS, LINKS)
    assert all(at > stopped_at for at in answering.accept_grants)
    assert seen_at - stopped_at < 2 * ANSWER_SECONDS + 2, seen_at - stopped_at
    assert exited_at - stopped_at < 2 * ANSWER_SECONDS + 3, exited_at - stopped_at
