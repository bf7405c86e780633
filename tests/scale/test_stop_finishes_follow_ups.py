"""A stopped process finishes its after-link follow-ups first, or hands over what it cannot.

QA of 2026-12-06, two processes on PostgreSQL + Redis: a customer's enable-and-link through A, a
skill that takes 5 s to answer, SIGTERM to A 0.5 s later. A exited within 0.24 s and cancelled the
follow-up; on B `waitSeconds=20` waited its 20 s and showed Discover and AcceptGrant `PENDING`,
and they stayed so, also once A had started again. Now A goes on with its follow-ups as it stops
(directives/after_link_runner.py `drain`): they end `SUCCEEDED`, B's `waitSeconds` sees them end,
and A exits once they have.

A link answered after A's window for sending (the directive timeout from the SIGTERM on: its code
exchange with the skill's token server took that long) left a follow-up A may no longer send.
Until 2026-12-06 its steps ended `FAILED` (`not sent: … send it with POST …`); now A hands it
over: left `PENDING`, A's lease ended at once, and B (PostgreSQL) at its next sweep, or A's restart
(SQLite) at its start, sends both steps.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.scale.conftest import REDIRECT, MyLights, Pair
from tests.scale.follow_up_servers import BACKENDS, STATUS, endpoints_view, follow_up_servers, usable
from tests.scale.processes import ServerProcess, query
from tests.scale.world import ACCOUNT_LINKING, app_token, bearer, concurrently, customer, skill
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

ASYNC_EVENTS = "alexa::async_event:write"
#: How long the skill takes over each answer (the QA's took 5 s; the directive timeout is 8 s).
#: The SIGTERM comes half a second after the first Discover: each link's Discover is still held.
ANSWER_SECONDS = 1.25
#: The first test's processes: the defaults (the QA's).
DIRECTIVE_TIMEOUT = "8"
LEASE_SECONDS = 30.0
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


@pytest.fixture
def own_pair(tmp_path: Path) -> Iterator[Pair]:
    """A and B beside each other on PostgreSQL and Redis, for one test: it stops A, which the
    module's `pair` (tests/scale/conftest.py) would have to start again for its teardown."""
    usable("postgresql")
    with follow_up_servers(tmp_path, "postgresql", LEASE_SECONDS, DIRECTIVE_TIMEOUT) as servers:
        try:
            servers.start_both()
            yield Pair(servers.a, servers.b, servers.database_url)
        finally:
            servers.a.stop()
            servers.b.stop()


def test_a_stopping_process_finishes_its_follow_ups_for_another_to_see(
    own_pair: Pair, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    answering, endpoint = slow_skill
    pair = own_pair
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
    for body in outcomes:
        assert body["discovery"]["status"] == "SUCCEEDED", body
        assert body["acceptGrant"]["status"] == "SUCCEEDED", body
        assert [e["endpointId"] for e in body["endpoints"]] == ["lamp"], body
    # uvicorn raises the signal it caught again once shut down: the clean end of a SIGTERM.
    assert exit_code == -signal.SIGTERM, pair.a.log()
    assert "cut off" not in pair.a.log()
    # Discover answered 0.75 s after the SIGTERM, then AcceptGrant sent and answered 1.25 s later:
    # B saw all of it end, and A exited once it had (not after a timeout of anyone's).
    assert (len(answering.discovers), len(answering.accept_grants)) == (LINKS, LINKS)
    assert all(at > stopped_at for at in answering.accept_grants)
    assert seen_at - stopped_at < 2 * ANSWER_SECONDS + 2, seen_at - stopped_at
    assert exited_at - stopped_at < 2 * ANSWER_SECONDS + 3, exited_at - stopped_at


#: The handover test's processes: they send directives for 1 s after a SIGTERM ...
HANDOVER_DIRECTIVE_TIMEOUT = 1.0
#: ... and sweep for follow-ups to take over every third of this. Long enough that a takeover
#: only once A's lease ran out (as before the handover) would miss the bounds below.
HANDOVER_LEASE_SECONDS = 6.0
#: How long the skill's token server holds the link's code exchange after the SIGTERM: past A's
#: window for sending, within the exchange's own timeout (4.5 s).
EXCHANGE_HOLD_SECONDS = HANDOVER_DIRECTIVE_TIMEOUT + 1.0


@dataclass
class SlowLinkingSkill:
    """A skill whose token server holds the code exchange until `release`; its endpoint answers
    Discover (one lamp) and AcceptGrant at once, noting when each came."""

    exchange_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    discovers: list[float] = field(default_factory=list)
    accept_grants: list[float] = field(default_factory=list)
    url: str = ""

    async def token(self, _request: Request) -> Response:
        self.exchange_arrived.set()
        await asyncio.to_thread(self.release.wait, 30)
        token = {"access_token": secrets.token_urlsafe(16), "refresh_token": secrets.token_urlsafe(16)}
        return JSONResponse({**token, "token_type": "bearer", "expires_in": 3600})

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        if message["directive"]["header"]["name"] == "Discover":
            self.discovers.append(time.time())
            lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
            return JSONResponse(discover_response(message, [lamp]))
        self.accept_grants.append(time.time())
        return JSONResponse(accept_grant_response(message))

    def account_linking(self) -> dict[str, object]:
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.url}/authorize",
            "accessTokenUrl": f"{self.url}/token",
            "clientId": "alexa-skill",
            "clientSecret": "skill-secret",
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [REDIRECT],
        }


@pytest.fixture
def slow_linking() -> Iterator[SlowLinkingSkill]:
    side = SlowLinkingSkill()
    routes = [Route("/token", side.token, methods=["POST"]), Route("/skill", side.answer, methods=["POST"])]
    try:
        with serve_in_thread(Starlette(routes=routes)) as url:
            side.url = url
            yield side
    finally:
        side.release.set()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return usable(request.param)


def _link_in_background(server: ServerProcess, side: SlowLinkingSkill, pool: ThreadPoolExecutor) -> Any:
    """Start a new customer's enable-and-link through `server`: ((userId, skillId), the POST's
    future answer)."""
    owner = skill(
        server,
        endpoint=f"{side.url}/skill",
        permissions=[ASYNC_EVENTS],
        account_linking=side.account_linking(),
    )
    user_id = customer(server, "Linker")
    token = app_token(server, user_id, [ACCOUNT_LINKING])
    link = {"redirectUri": REDIRECT, "authCode": "any-code", "type": "AUTH_CODE"}
    body = {"stage": "development", "accountLinkRequest": link}

    def post() -> Any:
        with server.client() as http:
            path = f"/v1/users/~current/skills/{owner.skill_id}/enablement"
            return http.post(path, json=body, headers=bearer(token))

    return (user_id, owner.skill_id), pool.submit(post)


def test_a_stopping_process_hands_over_what_it_may_no_longer_send(
    tmp_path: Path, backend: str, slow_linking: SlowLinkingSkill
) -> None:
    side = slow_linking
    timeout = str(HANDOVER_DIRECTIVE_TIMEOUT)
    with follow_up_servers(tmp_path, backend, HANDOVER_LEASE_SECONDS, timeout) as servers:
        a, b = servers.a, servers.b
        try:
            if backend == "postgresql":
                servers.start_both()
            else:
                a.start()
            with ThreadPoolExecutor(1) as pool:
                pair, linking = _link_in_background(a, side, pool)
                assert side.exchange_arrived.wait(10), "A never exchanged the code"
                assert a.process is not None
                stopped_at = time.time()
                a.process.terminate()  # uvicorn waits for the link's answer before it exits
                time.sleep(EXCHANGE_HOLD_SECONDS)
                side.release.set()
                linked = linking.result(30)
            assert linked.status_code == 201, linked.text
            exit_code = a.process.wait(20)
            exited_at = time.time()
            handed_over = query(servers.database_url, STATUS)
            restarted_at = None
            if backend == "sqlite":
                b.start()  # the restart, on the same file
                restarted_at = time.time()
            # No call but the read: B takes the follow-up over at its next sweep.
            view = endpoints_view(b, pair[0], pair[1], wait=30)
            seen_at = time.time()
            done = query(servers.database_url, STATUS)
        finally:
            a.stop()
            b.stop()
    assert view["discovery"]["status"] == "SUCCEEDED", (view, a.log(), b.log())
    assert view["acceptGrant"]["status"] == "SUCCEEDED", (view, a.log(), b.log())
    assert [e["endpointId"] for e in view["endpoints"]] == ["lamp"], view
    assert exit_code == -signal.SIGTERM, a.log()
    assert "handed over (not sent)" in a.log(), a.log()
    # A sent nothing past its window; B (or the restart) sent each step once.
    assert (len(side.discovers), len(side.accept_grants)) == (1, 1)
    assert side.discovers[0] > stopped_at + EXCHANGE_HOLD_SECONDS
    assert "taken over (discovery, accept_grant)" in b.log()
    assert done == [("SUCCEEDED", "SUCCEEDED", None, None, 2)], done
    # A did not wait for anything once the link was answered (no cut-off, no lease).
    assert exited_at - stopped_at < EXCHANGE_HOLD_SECONDS + 2, exited_at - stopped_at
    after_sigterm = seen_at - stopped_at
    if restarted_at is None:
        # PostgreSQL: A's lease ended as it handed over, so B's next sweep (every third of a
        # lease) takes it over, not a lease after A's last renewal.
        print(f"handover on PostgreSQL: both steps SUCCEEDED {after_sigterm:.2f} s after the SIGTERM")
        assert after_sigterm < EXCHANGE_HOLD_SECONDS + HANDOVER_LEASE_SECONDS / 3 + 2, after_sigterm
        return
    # SQLite: as A exited the row was PENDING with no lease left to wait out; the restart's first
    # sweep, at its start, took it over.
    ((discovery, grant, owner, lease_end, attempts),) = handed_over
    assert (discovery, grant, owner, attempts) == ("PENDING", "PENDING", None, 1), handed_over
    assert _as_utc(lease_end) <= datetime.fromtimestamp(exited_at, UTC), handed_over
    after_restart = seen_at - restarted_at
    print(f"handover on SQLite: both steps SUCCEEDED {after_restart:.2f} s after the restart was healthy")
    assert after_restart < 2, after_restart


def _as_utc(value: Any) -> datetime:
    """A lease end as read back: PostgreSQL gives an aware datetime, SQLite a naive UTC one
    (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    return value if value.tzinfo else value.replace(tzinfo=UTC)
