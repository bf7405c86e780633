"""A follow-up whose connection to the database is cut while the database stays up (a transient
blip: `pg_terminate_backend`, a PostgreSQL restart) is run again by its own process after a short
back-off, not failed (directives/after_link_outage.py); cut short on its last run, it ends FAILED
naming the outage. Until 2026-12-07 its steps ended FAILED "on an internal error" and it was never
run again (followup40 F1).

PostgreSQL only. The skill, as it answers Discover, locks the follow-up's status row from a
connection of its own; once the follow-up's UPDATE of the Discover's outcome waits for that lock,
its backend is terminated, then the lock is let go. The lease is the default 30 s, so no takeover
can explain a second run within the test. A Discover whose exchange could not be recorded (its
table's id sequence at its end: `SequenceExhausted`, a 503 of localexa's own) is sent again too: it
was kept FAILED with that 503's message.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.directives.models import AfterLinkStatus
from localexa.skill import discover_response
from tests.conftest import empty_before_start
from tests.directives.conftest import Linked, MyLights, link_customer
from tests.factories import Admin
from tests.servers import serve_in_loop

pytestmark = pytest.mark.skipif(
    not os.environ.get("LOCALEXA_TEST_DATABASE_URL"), reason="needs PostgreSQL (LOCALEXA_TEST_DATABASE_URL)"
)

#: The follow-up's backend waiting for the test's lock (the lease's renewal, the only other writer
#: of the status row, comes a third of the 30-s lease after the start: not within the test).
_WAITING = "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"


@pytest.fixture
async def database_url(pg_database_url: str) -> str:
    """The session's PostgreSQL (conftest's, without its SQLite case)."""
    await empty_before_start(pg_database_url)  # no follow-up an earlier test left is taken over
    return pg_database_url


#: What the skill locks, so the follow-up's connection is cut as it waits for it: its write of the
#: Discover's outcome (the status row), or its record of the exchange (the skill's messages).
AT_OUTCOME = "SELECT 1 FROM after_link_status FOR UPDATE"
AT_RECORD = "LOCK TABLE skill_messages IN EXCLUSIVE MODE"


class BlipSkill:
    """Cuts the follow-up's connection as it stores each of its first `cuts` Discovers."""

    def __init__(self, dsn: str, cuts: int) -> None:
        self.dsn = dsn
        self.cuts = cuts
        self.lock = AT_OUTCOME
        self.discovers = 0
        self.cutters: list[asyncio.Task[None]] = []

    async def answer(self, request: Request) -> JSONResponse:
        message: dict[str, Any] = await request.json()
        self.discovers += 1
        if self.discovers <= self.cuts:
            locker = await asyncpg.connect(self.dsn)
            await locker.execute("BEGIN")
            await locker.execute(self.lock)
            self.cutters.append(asyncio.create_task(self._cut(locker)))
        return JSONResponse(discover_response(message, []))

    async def _cut(self, locker: asyncpg.Connection) -> None:
        try:
            await locker.execute("SELECT pg_terminate_backend($1)", await _waiting(locker))
        finally:
            await locker.close()  # lets the lock go


async def _waiting(locker: asyncpg.Connection) -> int:
    """The backend that waits for `locker`'s lock (the follow-up's), within 10 s."""
    for _ in range(1000):
        # pg_stat_activity holds still within a transaction, and `locker` stays in its own: a
        # backend the follow-up's pool opened after the first look was never seen (a run once
        # waited out the 10 s while the follow-up waited for the lock).
        await locker.execute("SELECT pg_stat_clear_snapshot()")
        if pid := await locker.fetchval(_WAITING, locker.get_server_pid()):
            return int(pid)
        await asyncio.sleep(0.01)
    raise AssertionError("no connection waited for the lock")


@pytest.fixture
async def served(pg_database_url: str) -> AsyncIterator[tuple[BlipSkill, str]]:
    dsn = make_url(pg_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    skill = BlipSkill(dsn, cuts=0)
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
        yield skill, f"{url}/skill"
    for cutter in skill.cutters:
        await cutter  # its failure (no waiting UPDATE found) is the test's


async def _follow_up(
    app: FastAPI, admin: Admin, client: httpx.AsyncClient, mylights: MyLights, endpoint: str
) -> tuple[Linked, AfterLinkStatus]:
    linked = await link_customer(
        admin, client, mylights, endpoint=endpoint, permissions=[], alexa_credentials=False
    )
    runner: AfterLinkRunner = app.state.after_link_runner
    assert await runner.wait(linked.user_id, linked.skill_id, timeout=20)
    async with app.state.sessions() as session:
        row = await session.get(AfterLinkStatus, (linked.user_id, linked.skill_id))
    assert row is not None
    return linked, row


@pytest.mark.parametrize("lock", [AT_OUTCOME, AT_RECORD], ids=["at-outcome", "at-record"])
async def test_a_follow_up_whose_connection_is_cut_runs_again_in_its_process(
    lock: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    mylights: MyLights,
    served: tuple[BlipSkill, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    skill, endpoint = served
    skill.cuts, skill.lock = 1, lock
    caplog.set_level(logging.INFO, logger="localexa")
    linked, row = await _follow_up(app, admin, client, mylights, endpoint)

    assert (row.discovery_status, row.discovery_message) == ("SUCCEEDED", None)
    assert (row.attempts, row.lease_owner) == (2, None)
    assert skill.discovers == 2  # sent again: the skill may see a step twice
    lines = [r for r in caplog.records if r.name == "localexa.directives"]
    assert not [r for r in lines if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    [warning] = [r.getMessage() for r in lines if r.levelno == logging.WARNING]
    assert warning.startswith(
        f"after-link follow-up for skill {linked.skill_id} interrupted: "
        "its connection to the database was lost ("
    ), warning
    assert "terminating connection due to administrator command" in warning, warning
    assert warning.endswith(
        "its steps stay PENDING and this process sends them again once the database answers (for 30 s; "
        "then any process serving the database takes it over once its lease runs out; at most 3 runs in all)"
    ), warning


async def test_a_follow_up_cut_short_on_its_last_run_fails_naming_the_outage(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    mylights: MyLights,
    served: tuple[BlipSkill, str],
) -> None:
    skill, endpoint = served
    skill.cuts = 3
    linked, row = await _follow_up(app, admin, client, mylights, endpoint)

    assert row.discovery_status == "FAILED"
    assert (row.attempts, row.lease_owner, skill.discovers) == (4, None, 3)
    said = row.discovery_message or ""
    # The outage, not "an internal error", and the call that sends it.
    assert said.startswith(
        "not finished: a database outage cut its run short 3 times (the last: its connection to the database "
        "was lost ("
    ), said
    assert "terminating connection due to administrator command" in said, said
    assert said.endswith(
        f"); send it with POST /_localexa/customers/{linked.user_id}/skills/{linked.skill_id}/discover"
    ), said


class FullSequenceSkill:
    """Ends the skill messages' id sequence as it answers its first Discover, so the follow-up
    cannot record the exchange (a database outage of localexa's own kind: `SequenceExhausted`,
    a 503), and gives it its range back as it answers the second."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.discovers = 0
        self.ended: str | None = None

    async def answer(self, request: Request) -> JSONResponse:
        message: dict[str, Any] = await request.json()
        self.discovers += 1
        if self.discovers == 1:
            conn = await asyncpg.connect(self.dsn)
            try:
                sequence = await conn.fetchval("SELECT pg_get_serial_sequence('skill_messages', 'id')")
                # At least 2: PostgreSQL wants MAXVALUE above MINVALUE (1).
                last = max(2, await conn.fetchval(f"SELECT last_value FROM {sequence}"))
                await conn.execute(f"ALTER SEQUENCE {sequence} MAXVALUE {last}")
                await conn.execute(f"SELECT setval('{sequence}', {last}, true)")
                self.ended = sequence
            finally:
                await conn.close()
        else:
            await self.restore()
        return JSONResponse(discover_response(message, []))

    async def restore(self) -> None:
        if self.ended is not None:
            conn = await asyncpg.connect(self.dsn)
            try:
                await conn.execute(f"ALTER SEQUENCE {self.ended} NO MAXVALUE")
            finally:
                await conn.close()
            self.ended = None


async def test_a_discover_whose_exchange_could_not_be_recorded_is_sent_again(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, mylights: MyLights, pg_database_url: str
) -> None:
    """It was kept FAILED with the outage's 503 message ("… sequence …"), as if the skill had
    failed, and never run again."""
    skill = FullSequenceSkill(
        make_url(pg_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
            _, row = await _follow_up(app, admin, client, mylights, f"{url}/skill")
    finally:
        await skill.restore()

    assert (row.discovery_status, row.discovery_message) == ("SUCCEEDED", None)
    assert (row.attempts, skill.discovers) == (2, 2)
