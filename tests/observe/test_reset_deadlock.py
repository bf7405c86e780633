"""PostgreSQL: a reset under load deadlocked with ordinary calls, and PostgreSQL often ended the
call: a 500 "deadlock detected" on profile, Locker, SMAPI, event calls (QA of 2026-12-05, 6 runs
of 7). The reset now gives way itself (its `deadlock_timeout` is short and its lock waits stay
below the server's), and any call PostgreSQL still ends to settle a deadlock answers 503."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.db.deadlocks import DeadlockVictim
from tests.factories import Admin
from tests.observe.helpers import ADMIN


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's deadlocks")


@pytest.mark.usefixtures("postgresql_only")
async def test_a_call_the_database_ends_in_a_deadlock_answers_503(app: FastAPI, admin: Admin) -> None:
    first, second = await admin.customer(), await admin.customer()
    engine = app.state.engine
    update = text("UPDATE customers SET name = name WHERE id = :id")
    both_hold_one = asyncio.Barrier(2)

    async def crosswise(mine: str, theirs: str) -> BaseException | None:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.execute(update, {"id": mine})
            await both_hold_one.wait()
            try:
                await conn.execute(update, {"id": theirs})
            except Exception as exc:  # the one PostgreSQL ends is what is asserted
                await conn.rollback()
                return exc
            await conn.commit()
            return None

    outcomes = await asyncio.gather(
        crosswise(first.user_id, second.user_id), crosswise(second.user_id, first.user_id)
    )
    ended = [o for o in outcomes if o is not None]
    assert len(ended) == 1, outcomes
    assert isinstance(ended[0], DeadlockVictim)
    assert ended[0].status == 503


@pytest.mark.usefixtures("postgresql_only")
async def test_a_reset_gives_way_to_a_call_it_deadlocks_with(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """The QA's deadlock, step by step: a long call holds `faults`, so the reset's tries wait and
    grow; a call holds `thread_networks` (late in the reset's order) and, while a try holds
    `customers` (early), reads it; the long call ends, the reset takes `faults` and waits for
    `thread_networks`. The call had waited longer, so PostgreSQL ended the call (500). Now the
    reset gives way, the call's read goes through, and the reset then succeeds."""
    customer = await admin.customer()
    engine = app.state.engine
    async with engine.connect() as long_call, engine.connect() as call:
        await long_call.begin()
        await long_call.execute(text("SELECT count(*) FROM faults"))
        await call.begin()
        await call.execute(text("SELECT count(*) FROM thread_networks"))
        reset = asyncio.create_task(client.post("/_localexa/reset", headers=ADMIN))
        await asyncio.sleep(1.6)  # the reset's tries have waited 200, 400, 800 ms and go on
        read = asyncio.create_task(
            call.execute(text("SELECT id FROM customers WHERE id = :id"), {"id": customer.user_id})
        )
        await asyncio.sleep(0.4)
        await long_call.commit()  # the reset takes `faults`, then waits for `thread_networks`
        found = (await read).scalar()  # not ended by PostgreSQL: the reset gave way
        assert found == customer.user_id
        await call.commit()
    answered = await reset
    assert answered.status_code == 200, answered.text
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []
