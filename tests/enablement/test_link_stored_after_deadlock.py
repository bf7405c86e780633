"""PostgreSQL: a deadlock that ends the transaction storing a customer's account link comes after
the skill's token server took the app's authCode, so a client retrying the call met a spent code
(re-verification of 2026-12-05). localexa now stores the link again with the tokens in hand."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.enablement.helpers import customer_token, enablement_path, link, linked_skill, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's deadlocks")


async def _waiting_insert(app: FastAPI) -> None:
    """Until a backend waits for a lock in the INSERT of the enablement."""
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query ILIKE 'INSERT INTO enablements%'"
    )
    while time.monotonic() < deadline:
        async with app.state.engine.connect() as probe:
            if (await probe.execute(query)).scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the enable-and-link never waited in its INSERT")


@pytest.mark.usefixtures("postgresql_only")
async def test_a_link_whose_storing_is_ended_in_a_deadlock_is_stored_again(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    customer = await admin.customer()
    token = await customer_token(admin, customer)
    code = new_code()
    async with app.state.engine.connect() as other:
        await other.begin()
        # Never this transaction's wait that PostgreSQL ends: the call's, which waited first.
        await other.execute(text("SET LOCAL deadlock_timeout = '20s'"))
        # Held: the enablement's INSERT waits for this customer row (its foreign key) ...
        await other.execute(
            text("SELECT id FROM customers WHERE id = :id FOR UPDATE"), {"id": customer.user_id}
        )
        call = asyncio.create_task(link(client, token, skill.skill_id, code))
        await _waiting_insert(app)
        # ... while this waits for the table the INSERT holds: a deadlock, and PostgreSQL ends
        # the call's transaction (after its deadlock_timeout, 1 s by default).
        await other.execute(text("LOCK TABLE enablements IN SHARE MODE"))
        await asyncio.sleep(0.2)
        await other.commit()
        answer = await asyncio.wait_for(call, 30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["accountLink"]["status"] == "LINKED"
    assert len(token_server.calls_with("code", code)) == 1  # exchanged once, stored on a second try
    status = await client.get(enablement_path(skill.skill_id), headers={"Authorization": f"Bearer {token}"})
    assert status.status_code == 200, status.text
    assert status.json()["accountLink"]["status"] == "LINKED"
