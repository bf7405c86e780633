"""A follow-up that meets the database out of reach says so in one warning without traceback that
names it and what happens next, and is run again once the database answers
(directives/after_link_outage.py, after_link_errors.py); an unexpected error keeps its
traceback. Until 2026-12-07 an outage was an ERROR with a traceback per follow-up, beside the
engine's own line for the outage.

PostgreSQL only, behind a relay of the test's own (tests/core/tcp_relay.py): the skill takes the
relay down as it answers Discover, so the follow-up's next write meets a database gone, as a
stopped PostgreSQL is, while the machine's shared PostgreSQL keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from localexa.server.directives.after_link_errors import end_on_error
from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.settings import Settings
from localexa.skill import discover_response
from tests.conftest import empty_before_start
from tests.core.tcp_relay import Relay, relay
from tests.directives.conftest import MyLights, link_customer
from tests.directives.live import eventually
from tests.factories import Admin
from tests.servers import serve_in_loop

__all__ = ["relay"]  # the fixture (tests/core/tcp_relay.py)

pytestmark = pytest.mark.skipif(
    not os.environ.get("LOCALEXA_TEST_DATABASE_URL"), reason="needs PostgreSQL (LOCALEXA_TEST_DATABASE_URL)"
)

#: Short, so the takeover after the outage comes within a second (a sweep every third of it).
LEASE_SECONDS = 1.0
FOLLOW_UP = "after-link follow-up for skill"


@pytest.fixture
async def database_url(relay: Relay, pg_database_url: str) -> str:
    """The session's PostgreSQL through the relay (conftest's, without its SQLite case)."""
    await empty_before_start(pg_database_url)  # no follow-up an earlier test left is taken over
    return make_url(pg_database_url).set(port=relay.port).render_as_string(hide_password=False)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"after_link_lease_seconds": LEASE_SECONDS})


@pytest.fixture
async def app(app: FastAPI, relay: Relay) -> AsyncIterator[FastAPI]:
    yield app
    if not relay.listening:
        await relay.up()  # the shutdown's last writes need it


class OutageSkill:
    """Takes the database away as it answers its first Discover; answers the others plainly."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.discovers = 0

    async def answer(self, request: Request) -> JSONResponse:
        message: dict[str, Any] = await request.json()
        self.discovers += 1
        if self.discovers == 1:
            await self.relay.down()
        return JSONResponse(discover_response(message, []))


def _follow_up_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "localexa.directives" and FOLLOW_UP in r.getMessage()]


async def test_a_follow_up_meeting_the_database_gone_says_so_in_one_line_and_runs_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    mylights: MyLights,
    relay: Relay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    skill = OutageSkill(relay)
    caplog.set_level(logging.INFO, logger="localexa")
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
        linked = await link_customer(
            admin, client, mylights, endpoint=f"{url}/skill", permissions=[], alexa_credentials=False
        )
        await eventually(lambda: bool(_follow_up_lines(caplog.records)), timeout=20)
        during = list(caplog.records)
        await relay.up()
        runner: AfterLinkRunner = app.state.after_link_runner
        assert await runner.wait(linked.user_id, linked.skill_id, timeout=20)

    assert not [r for r in during if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage() for r in during
    ]
    [line] = _follow_up_lines(during)
    assert line.levelno == logging.WARNING
    said = line.getMessage()
    assert said.startswith(f"{FOLLOW_UP} {linked.skill_id} interrupted: "), said
    assert "cannot be reached" in said or "was lost" in said, said
    assert said.endswith(
        "its steps stay PENDING and this process sends them again once the database answers (for "
        f"{LEASE_SECONDS:g} s; then any process serving the database takes it over once its lease runs out; "
        "at most 3 runs in all)"
    ), said
    # And so it was: run again once the database was back, Discover sent again and answered.
    async with app.state.sessions() as session:
        row = await session.get(AfterLinkStatus, (linked.user_id, linked.skill_id))
    assert row is not None
    assert (row.discovery_status, row.attempts) == ("SUCCEEDED", 2)
    assert skill.discovers == 2


async def test_a_follow_up_whose_outage_outlasts_its_lease_is_taken_over(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    mylights: MyLights,
    relay: Relay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its process tries to run it again for a lease, then leaves it PENDING to the takeover (any
    process's sweep, this one's here) and says so."""
    skill = OutageSkill(relay)
    caplog.set_level(logging.INFO, logger="localexa")
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
        linked = await link_customer(
            admin, client, mylights, endpoint=f"{url}/skill", permissions=[], alexa_credentials=False
        )
        await eventually(lambda: len(_follow_up_lines(caplog.records)) == 2, timeout=20)
        await relay.up()
        runner: AfterLinkRunner = app.state.after_link_runner
        assert await runner.wait(linked.user_id, linked.skill_id, timeout=20)

    interrupted, stopped = (r.getMessage() for r in _follow_up_lines(caplog.records)[:2])
    assert interrupted.startswith(f"{FOLLOW_UP} {linked.skill_id} interrupted: "), interrupted
    assert stopped.startswith(f"{FOLLOW_UP} {linked.skill_id} stopped: "), stopped
    assert stopped.endswith(
        f"its steps stay PENDING and are sent again once its lease runs out (within {LEASE_SECONDS:g} s), "
        "by this process or another serving the database (at most 3 runs in all)"
    ), stopped
    async with app.state.sessions() as session:
        row = await session.get(AfterLinkStatus, (linked.user_id, linked.skill_id))
    assert row is not None
    assert (row.discovery_status, row.attempts, skill.discovers) == ("SUCCEEDED", 2, 2)


async def test_a_follow_up_not_begun_for_the_outage_says_it_is_not_run_again(
    app: FastAPI, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    """Its PENDING row could not be written, so no lease and no takeover: the admin API sends it."""
    runner: AfterLinkRunner = app.state.after_link_runner
    customer, skill = "amzn1.account.OUTAGE", "amzn1.ask.skill.outage"
    caplog.set_level(logging.INFO, logger="localexa")
    await relay.down()
    await runner.start(customer, skill)
    await asyncio.wait_for(asyncio.gather(*runner._tasks.values()), 20)

    assert not [r for r in caplog.records if r.exc_info], caplog.text
    [line] = _follow_up_lines(caplog.records)
    assert line.levelno == logging.WARNING
    path = f"/_localexa/customers/{customer}/skills/{skill}"
    assert line.getMessage().endswith(
        "not begun (its status could not be stored), so not run again: send its steps with "
        f"POST {path}/discover, POST {path}/accept-grant"
    ), line.getMessage()


async def test_an_unexpected_error_keeps_its_traceback(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise RuntimeError("not a database outage")
    except RuntimeError as exc:
        error = exc
    caplog.set_level(logging.INFO, logger="localexa")
    await end_on_error(
        Runtime.of(app.state), "amzn1.account.X", "amzn1.ask.skill.x", None, "h:1#0", error, take_over=False
    )
    [line] = [r for r in caplog.records if r.name == "localexa.directives"]
    assert (line.levelno, line.getMessage()) == (
        logging.ERROR,
        "after-link follow-up failed for skill amzn1.ask.skill.x",
    )
    assert line.exc_info is not None
    assert line.exc_info[1] is error
