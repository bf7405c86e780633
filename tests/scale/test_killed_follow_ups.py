"""A follow-up whose process was killed is run again by another process; a live one is not.

QA of 2026-12-06: a `localexa serve` killed with SIGKILL (the OOM killer, Docker's kill after its
10 s grace, a second Ctrl-C) while its after-link follow-up waited for the skill left Discover and
AcceptGrant `PENDING` for ever: `waitSeconds` waited to its end in every process, also after a
restart, on SQLite and on PostgreSQL. Now the process running a follow-up holds a lease on it
that it renews, and once the lease runs out another process (PostgreSQL: one running beside it;
SQLite: the restart) takes the follow-up over and sends the steps still PENDING
(directives/after_link_leases.py). A follow-up whose process lives and renews its lease is never
taken over, however long its skill takes.

The lease is short here (`LOCALEXA_AFTER_LINK_LEASE_SECONDS`), so no test waits 30 s.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.scale.conftest import REDIRECT, MyLights
from tests.scale.follow_up_servers import BACKENDS, STATUS, endpoints_view, follow_up_servers, usable
from tests.scale.processes import ServerProcess, query
from tests.scale.world import ACCOUNT_LINKING, app_token, bearer, customer, skill
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

ASYNC_EVENTS = "alexa::async_event:write"
#: The killed process's lease: another process takes its follow-up over at most this long (and a
#: third of it, its sweep's period) after the kill. The shortest the settings take: whether A
#: still renews it before the kill does not matter (a takeover of a live one is the test below's).
KILL_LEASE_SECONDS = 1.0
#: The live process's lease: renewed every second, so a loaded machine does not make it miss one.
LIVE_LEASE_SECONDS = 3.0
#: How long past A's first lease the live test watches the row: two of B's sweeps (every third
#: of a lease), where one after the lease ran out takes over a follow-up that is not renewed.
LIVE_WATCH_SECONDS = 2 * LIVE_LEASE_SECONDS / 3
#: Longer than the skill is held (two leases), so the held Discover is answered, not timed out.
DIRECTIVE_TIMEOUT = "30"


@dataclass
class HeldSkill:
    """Holds each Discover until `release` is set, then answers it (one lamp); AcceptGrant at once."""

    discovers: int = 0
    accept_grants: int = 0
    discover_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        if message["directive"]["header"]["name"] == "Discover":
            self.discovers += 1
            self.discover_arrived.set()
            await asyncio.to_thread(self.release.wait, 60)
            lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
            return JSONResponse(discover_response(message, [lamp]))
        self.accept_grants += 1
        return JSONResponse(accept_grant_response(message))


@pytest.fixture
def held_skill() -> Iterator[tuple[HeldSkill, str]]:
    answering = HeldSkill()
    app = Starlette(routes=[Route("/skill", answering.answer, methods=["POST"])])
    try:
        with serve_in_thread(app) as url:
            yield answering, f"{url}/skill"
    finally:
        answering.release.set()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return usable(request.param)


def _link(server: ServerProcess, mylights: MyLights, endpoint: str) -> tuple[str, str]:
    """A customer's enable-and-link of a skill with AcceptGrant: (userId, skillId)."""
    owner = skill(
        server, endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    user_id = customer(server, "Linker")
    token = app_token(server, user_id, [ACCOUNT_LINKING])
    link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
    body = {"stage": "development", "accountLinkRequest": link}
    with server.client() as http:
        path = f"/v1/users/~current/skills/{owner.skill_id}/enablement"
        answer = http.post(path, json=body, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return user_id, owner.skill_id


def _as_utc(value: Any) -> datetime:
    """A lease end as read back: PostgreSQL gives an aware datetime, SQLite a naive UTC one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_killed_process_s_follow_up_is_run_again_by_another(
    tmp_path: Path, backend: str, mylights: MyLights, held_skill: tuple[HeldSkill, str]
) -> None:
    answering, endpoint = held_skill
    with follow_up_servers(tmp_path, backend, KILL_LEASE_SECONDS, DIRECTIVE_TIMEOUT) as servers:
        a, b = servers.a, servers.b
        try:
            if backend == "postgresql":
                servers.start_both()
            else:
                a.start()
            user_id, skill_id = _link(a, mylights, endpoint)
            assert answering.discover_arrived.wait(10), "A never sent Discover"
            (pending,) = query(servers.database_url, STATUS)
            assert pending[:2] == ("PENDING", "PENDING"), pending
            assert pending[2], "no lease on a follow-up under way"

            a.kill()  # SIGKILL: no shutdown code runs, the follow-up is just gone
            answering.release.set()
            if backend == "sqlite":
                b.start()  # the restart, on the same file
            # No call but the read: B takes the follow-up over once A's lease runs out.
            view = endpoints_view(b, user_id, skill_id, wait=30)
            done = query(servers.database_url, STATUS)
        finally:
            a.stop()
            b.stop()
    assert view["discovery"]["status"] == "SUCCEEDED", (view, b.log())
    assert view["acceptGrant"]["status"] == "SUCCEEDED", (view, b.log())
    assert [e["endpointId"] for e in view["endpoints"]] == ["lamp"], view
    # A's Discover (never answered to A), B's again, then B's AcceptGrant.
    assert (answering.discovers, answering.accept_grants) == (2, 1)
    assert "taken over (discovery, accept_grant)" in b.log()
    # Over: no lease left, and two runs of the link's follow-up.
    assert done == [("SUCCEEDED", "SUCCEEDED", None, None, 2)]


def test_a_live_process_s_follow_up_is_not_taken_over_while_it_renews_its_lease(
    tmp_path: Path, backend: str, mylights: MyLights, held_skill: tuple[HeldSkill, str]
) -> None:
    answering, endpoint = held_skill
    lease = timedelta(seconds=LIVE_LEASE_SECONDS)
    with follow_up_servers(tmp_path, backend, LIVE_LEASE_SECONDS, DIRECTIVE_TIMEOUT) as servers:
        a, b = servers.a, servers.b
        try:
            # B beside A on the same database, sweeping for abandoned follow-ups. On SQLite B
            # starts once A has created the file (one's first start makes it from scratch).
            if backend == "postgresql":
                servers.start_both()
            else:
                a.start()
                b.start()
            user_id, skill_id = _link(a, mylights, endpoint)
            assert answering.discover_arrived.wait(10), "A never sent Discover"
            (first,) = query(servers.database_url, STATUS)
            owner, first_end = first[2], _as_utc(first[3])
            # The skill holds Discover until A's first lease has run out and B has swept twice
            # since: only A's renewals kept it A's.
            latest_end = first_end
            while datetime.now(UTC) < first_end + timedelta(seconds=LIVE_WATCH_SECONDS):
                (row,) = query(servers.database_url, STATUS)
                assert row[:3] == ("PENDING", "PENDING", owner), row
                latest_end = max(latest_end, _as_utc(row[3]))
                time.sleep(0.2)
            answering.release.set()
            view = endpoints_view(b, user_id, skill_id, wait=30)
            done = query(servers.database_url, STATUS)
        finally:
            a.stop()
            b.stop()
    assert latest_end > first_end + lease / 2, "A never renewed its lease"
    assert view["discovery"]["status"] == "SUCCEEDED", view
    assert view["acceptGrant"]["status"] == "SUCCEEDED", view
    # One Discover: B never sent its own.
    assert (answering.discovers, answering.accept_grants) == (1, 1)
    assert "taken over" not in a.log() + b.log()
    assert done == [("SUCCEEDED", "SUCCEEDED", None, None, 1)]
