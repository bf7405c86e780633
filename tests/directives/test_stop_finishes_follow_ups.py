"""A stopping process finishes its after-link follow-ups, within a bound, and leaves none to no one.

Shutdown cancelled the follow-ups and left Discover and AcceptGrant `PENDING` with no process
ever to run them (QA of 2026-12-06; tests/scale/test_stop_finishes_follow_ups.py has the served
processes). Now the runner waits for them (after_link_runner.py `drain`). A step it can no longer
send, or a follow-up it cuts off, ended `FAILED` naming the call that sends it again; since
2026-12-06 it is handed over instead: left `PENDING` with the lease ended at once, for another
process (here a second runner on the same database, as another process's sweep) to take over.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.server.core.clock import as_utc
from localexa.server.directives import after_link_leases as leases
from localexa.server.directives import after_link_runner
from localexa.server.directives.after_link import mark_pending
from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.settings import Settings
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.directives.slow_skill import SlowSkill, slow_skill_served
from tests.factories import Admin
from tests.observe.helpers import ADMIN
from tests.servers import serve_in_loop

#: Short, so a stop's window for sending passes quickly.
DIRECTIVE_TIMEOUT = 2.0
#: How long the skill holds its Discover answer (within the directive timeout).
SLOW_DISCOVER = 0.6
#: A window for sending shorter than the directive timeout, for a test that waits it out: the
#: directive timeout as the stop begins (`begin_stop` reads it then), put back for the rest.
SHORT_WINDOW = 0.1


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


def _pair(path: str) -> tuple[str, str]:
    """(customer, skill) of an endpoints view's path."""
    parts = path.split("/")
    return parts[3], parts[5]


async def _find(app: FastAPI, pair: tuple[str, str]) -> AfterLinkStatus | None:
    async with app.state.sessions() as session:
        row: AfterLinkStatus | None = await session.get(AfterLinkStatus, pair)
    return row


async def _row(app: FastAPI, pair: tuple[str, str]) -> AfterLinkStatus:
    row = await _find(app, pair)
    assert row is not None
    return row


async def _handed_over(app: FastAPI, pair: tuple[str, str]) -> AfterLinkStatus:
    """The row once the stopping process gave up its lease (the follow-up runs in the
    background: not even marked PENDING, perhaps, when the link's answer came)."""
    for _ in range(200):
        row = await _find(app, pair)
        if row is not None and row.lease_owner is None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"never handed over: {row and row.lease_owner}")


def _lease_ended(row: AfterLinkStatus) -> bool:
    """No process holds the follow-up: the next sweep of any takes it over, not a lease later."""
    ended = row.lease_expires_at
    return row.lease_owner is None and ended is not None and as_utc(ended) <= leases.wall_now()


async def _taken_over_by_another(app: FastAPI, pair: tuple[str, str]) -> None:
    """Another process sharing the database, at its next sweep."""
    other = AfterLinkRunner(Runtime.of(app.state))
    try:
        await other._take_over_abandoned()
        assert await other.wait(*pair, timeout=10)
    finally:
        await other.close()


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


async def test_a_follow_up_past_the_window_for_sending_is_handed_over_unsent(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A link answered while the connections drain starts its follow-up after the stop began;
    past the directive timeout it sends nothing and hands both steps over (until 2026-12-06 they
    ended FAILED `not sent: …`, and only an admin call got them done)."""
    skill, endpoint = slow_skill
    skill.discover_seconds = 0.0  # only the takeover's Discover goes out: no need to hold it
    runner: AfterLinkRunner = app.state.after_link_runner
    with monkeypatch.context() as stopping:
        stopping.setattr(runner.runtime.settings, "directive_timeout", SHORT_WINDOW)
        runner.begin_stop()
    assert runner.runtime.settings.directive_timeout == DIRECTIVE_TIMEOUT  # the takeover's own
    await asyncio.sleep(SHORT_WINDOW + 0.05)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        path = await _link(admin, http, mylights, endpoint)
        pair = _pair(path)
        row = await _handed_over(app, pair)
        assert (row.discovery_status, row.accept_grant_status) == ("PENDING", "PENDING")
        assert _lease_ended(row), (row.lease_owner, row.lease_expires_at)
        assert row.attempts == 1
        assert skill.discovers == 0  # the stopping process sent nothing
        await _taken_over_by_another(app, pair)
        body = await _status(http, path)
    assert body["discovery"]["status"] == body["acceptGrant"]["status"] == "SUCCEEDED", body
    assert (skill.discovers, skill.accept_grants) == (1, 1)
    row = await _row(app, pair)
    # The handed-over run counts as one of the link's runs (after_link_leases.py `MAX_ATTEMPTS`).
    assert (row.lease_owner, row.lease_expires_at, row.attempts) == (None, None, 2)


@pytest.fixture
async def held_skill() -> AsyncIterator[tuple[SlowSkill, str]]:
    """Holds Discover until the test releases it (after the drain cut the follow-ups off), and
    at the end at the latest: its server's stop waits for the held answers."""
    async with slow_skill_served(0.0) as (skill, endpoint):
        skill.release = asyncio.Event()
        try:
            yield skill, endpoint
        finally:
            skill.release.set()


async def test_a_follow_up_that_overruns_the_drain_is_cut_off_and_handed_over(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    held_skill: tuple[SlowSkill, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cut off while its Discover waits for the skill: left PENDING for another process, which
    sends Discover again (the skill sees it twice). A follow-up whose link was made again
    through another process meanwhile is that process's: its row is left as that one wrote it."""
    skill, endpoint = held_skill
    runner: AfterLinkRunner = app.state.after_link_runner
    # The bound already past: the drain cuts off what still runs at once.
    monkeypatch.setattr(after_link_runner, "DRAIN_SLACK_SECONDS", -3 * DIRECTIVE_TIMEOUT)
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        path, relinked_path = await asyncio.gather(
            _link(admin, http, mylights, endpoint), _link(admin, http, mylights, endpoint)
        )
        pair, relinked = _pair(path), _pair(relinked_path)
        for _ in range(500):  # both Discovers wait for the skill
            if skill.discovers == 2:
                break
            await asyncio.sleep(0.01)
        assert skill.discovers == 2
        # What a relink through another process writes while this one's Discover waits.
        b_lease = leases.wall_now() + timedelta(seconds=60)
        await mark_pending(Runtime.of(app.state), *relinked, "process-b#1", b_lease)
        await runner.drain()
        assert runner._tasks == {}
        row = await _row(app, pair)
        assert (row.discovery_status, row.accept_grant_status) == ("PENDING", "PENDING")
        assert _lease_ended(row), (row.lease_owner, row.lease_expires_at)
        b_row = await _row(app, relinked)
        assert (b_row.discovery_status, b_row.lease_owner) == ("PENDING", "process-b#1")
        assert _same_instant(b_row.lease_expires_at, b_lease)

        assert skill.release is not None
        skill.release.set()  # the cut-off Discovers' answers, to no one; the takeover's at once
        await _taken_over_by_another(app, pair)
        body = await _status(http, path)
    assert body["discovery"]["status"] == body["acceptGrant"]["status"] == "SUCCEEDED", body
    # Both cut-off Discovers, then the takeover's; the relinked one stays with process B.
    assert (skill.discovers, skill.accept_grants) == (3, 1)
    assert (await _row(app, relinked)).lease_owner == "process-b#1"


def _same_instant(stored: datetime | None, expected: datetime) -> bool:
    return stored is not None and abs(as_utc(stored) - expected) < timedelta(milliseconds=1)


#: How long the skill's token URL takes over a refresh begun as the stop begins: past the window
#: for sending (a refresh begun later ends later still; a sleep never ends early), within the token
#: exchange timeout (4.5 s).
SLOW_REFRESH = DIRECTIVE_TIMEOUT + 0.25


class SlowRefreshes:
    """The skill's token URL: codes at once (tokens for an hour), refreshes after `delays` (one
    per refresh, the last for the rest), each refreshed token good for `refreshed_lifetime` s."""

    def __init__(self, delays: list[float], refreshed_lifetime: int = 3600) -> None:
        self.delays = delays
        self.refreshed_lifetime = refreshed_lifetime
        self.refreshes = 0

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "refresh_token":
            code = str(form.get("code"))
            return JSONResponse(
                {"access_token": f"at-{code}", "refresh_token": f"rt-{code}", "expires_in": 3600}
            )
        delay = self.delays[min(self.refreshes, len(self.delays) - 1)]
        self.refreshes += 1
        await asyncio.sleep(delay)
        lifetime = self.refreshed_lifetime
        return JSONResponse({"access_token": f"at-refreshed-{self.refreshes}", "expires_in": lifetime})


async def _linked_with_slow_refreshes(
    app: FastAPI, admin: Admin, http: httpx.AsyncClient, mylights: MyLights, endpoint: str, token_url: str
) -> tuple[str, str]:
    """A customer whose link's follow-up is done and whose linked token has expired since."""
    linking = {**mylights.account_linking(), "accessTokenUrl": token_url}
    made = await admin.skill(endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=linking)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    await post_link(http, token, made.skill_id, mylights)
    pair = (customer.user_id, made.skill_id)
    assert await app.state.after_link_runner.wait(*pair, timeout=10)
    await admin.advance_clock(3601)
    return pair


async def _follow_up_while_stopping(runner: AfterLinkRunner, pair: tuple[str, str]) -> None:
    """A relink's follow-up begun as the process begins to stop, run to its end."""
    runner.begin_stop()
    await runner.start(*pair)
    await asyncio.wait_for(runner._tasks[pair], 20)


async def test_a_step_whose_token_refresh_outlasts_the_window_is_handed_over_unsent(
    app: FastAPI, admin: Admin, localexa_url: str, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    """Discover is allowed as the stop begins, but its token is refreshed first, past the window:
    it is not sent (until 2026-12-06 it went out after the refresh, 1 s after the window closed)."""
    skill, endpoint = slow_skill
    skill.discover_seconds = 0.0  # the stopping process sends none; the link's needs no wait
    tokens = SlowRefreshes([SLOW_REFRESH])
    runner: AfterLinkRunner = app.state.after_link_runner
    async with (
        serve_in_loop(Starlette(routes=[Route("/token", tokens.token, methods=["POST"])])) as token_url,
        httpx.AsyncClient(base_url=localexa_url, timeout=30) as http,
    ):
        pair = await _linked_with_slow_refreshes(app, admin, http, mylights, endpoint, f"{token_url}/token")
        await _follow_up_while_stopping(runner, pair)
        row = await _row(app, pair)
        assert tokens.refreshes == 1
        assert (row.discovery_status, row.accept_grant_status) == ("PENDING", "PENDING")
        assert _lease_ended(row), (row.lease_owner, row.lease_expires_at)
        assert skill.discovers == 1  # the first link's: the stopping process sent none
        await _taken_over_by_another(app, pair)
    assert (await _row(app, pair)).discovery_status == "SUCCEEDED"
    assert (skill.discovers, skill.accept_grants) == (2, 2)


async def test_accept_grant_whose_token_refresh_outlasts_the_window_is_handed_over_unsent(
    app: FastAPI, admin: Admin, localexa_url: str, mylights: MyLights, slow_skill: tuple[SlowSkill, str]
) -> None:
    """Discover goes out in the window (its refresh is quick, the token lasts a second); AcceptGrant,
    allowed once Discover is answered, needs the token refreshed again, past the window: it is
    not sent, Discover's outcome stays."""
    skill, endpoint = slow_skill
    skill.discover_seconds = 0.0  # the first link's follow-up
    discover_seconds = 0.65 * DIRECTIVE_TIMEOUT  # the stopping process's: the token expires meanwhile
    # AcceptGrant's refresh begins once Discover is answered: it ends past the window all the same.
    tokens = SlowRefreshes([0.0, SLOW_REFRESH - discover_seconds], refreshed_lifetime=1)
    runner: AfterLinkRunner = app.state.after_link_runner
    async with (
        serve_in_loop(Starlette(routes=[Route("/token", tokens.token, methods=["POST"])])) as token_url,
        httpx.AsyncClient(base_url=localexa_url, timeout=30) as http,
    ):
        pair = await _linked_with_slow_refreshes(app, admin, http, mylights, endpoint, f"{token_url}/token")
        skill.discover_seconds = discover_seconds
        await _follow_up_while_stopping(runner, pair)
        row = await _row(app, pair)
        assert tokens.refreshes == 2
        assert (row.discovery_status, row.accept_grant_status) == ("SUCCEEDED", "PENDING")
        assert _lease_ended(row), (row.lease_owner, row.lease_expires_at)
        assert (skill.discovers, skill.accept_grants) == (2, 1)  # the stopping process sent no AcceptGrant
