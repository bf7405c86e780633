"""Leases on the after-link follow-ups (directives/after_link_leases.py), in one process.

The processes themselves (one killed, one beside it or its restart) are in
tests/scale/test_killed_follow_ups.py; here the parts a process cannot show in time: two claims
of one abandoned follow-up, a row without a lease, the end of a follow-up taken over too often
(also by processes that stopped gracefully and handed it over), a single step through the admin
API overtaking a follow-up, and what a restore leaves. The handover itself is in
tests/directives/test_stop_finishes_follow_ups.py and tests/scale/test_stop_finishes_follow_ups.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.clock import as_utc
from localexa.server.directives import after_link_leases as leases
from localexa.server.directives.after_link import fail_pending
from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.observe import state
from localexa.server.settings import Settings
from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.directives.slow_skill import SlowSkill, slow_skill_served
from tests.factories import Admin
from tests.observe.helpers import ADMIN

#: Short, so a takeover comes within a second (the sweep runs every third of it).
LEASE_SECONDS = 1.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"after_link_lease_seconds": LEASE_SECONDS})


async def _pending_row(app: FastAPI, admin: Admin, **lease: Any) -> tuple[str, str]:
    """A follow-up under way, as a process that then died left it: (customer, skill).

    The app's own process sweeps no more from here on: its keeper (every half second) claimed or
    armed the row before the test's own claims and sweeps could, now and then on a loaded machine
    (the two-claims and restore tests failed so)."""
    await app.state.after_link_runner.close()
    made = await admin.skill(permissions=[ASYNC_EVENTS])
    customer = await admin.customer()
    runtime = Runtime.of(app.state)
    async with runtime.transaction() as session:
        session.add(
            AfterLinkStatus(
                customer_id=customer.user_id,
                skill_id=made.skill_id,
                discovery_status="SUCCEEDED",
                accept_grant_status="PENDING",
                updated_at=runtime.clock.now(),
                **lease,
            )
        )
    return customer.user_id, made.skill_id


async def _row(app: FastAPI, customer_id: str, skill_id: str) -> AfterLinkStatus:
    async with app.state.sessions() as session:
        row: AfterLinkStatus | None = await session.get(AfterLinkStatus, (customer_id, skill_id))
    assert row is not None
    return row


def _ran_out() -> dict[str, Any]:
    return {
        "lease_owner": "dead-host:1#00000000",
        "lease_expires_at": leases.wall_now() - timedelta(seconds=1),
    }


async def test_of_two_claims_of_an_abandoned_follow_up_one_wins(app: FastAPI, admin: Admin) -> None:
    pair = await _pending_row(app, admin, attempts=1, **_ran_out())
    before = await _row(app, *pair)
    runtime = Runtime.of(app.state)
    stamps = await asyncio.gather(
        leases.claim(runtime, *pair, "process-b#1"), leases.claim(runtime, *pair, "process-c#1")
    )
    won = [stamp for stamp in stamps if stamp is not None]
    assert len(won) == 1, stamps
    (stamp,) = won
    # Only the step still PENDING is sent again.
    assert stamp.steps == ("accept_grant",)
    row = await _row(app, *pair)
    assert row.lease_owner == stamp.owner
    assert row.attempts == 2
    # The claim moved the stamp: the dead process's follow-up, were it only paused, writes nothing.
    assert row.updated_at != before.updated_at


async def test_a_pending_row_without_a_lease_is_given_one_before_it_is_taken_over(
    app: FastAPI, admin: Admin
) -> None:
    """From before the migration, or from an older localexa on the same database: whatever may
    still run it gets a lease's time."""
    pair = await _pending_row(app, admin)
    runner = AfterLinkRunner(Runtime.of(app.state))
    try:
        await runner._take_over_abandoned()
        row = await _row(app, *pair)
        assert (row.lease_owner, row.accept_grant_status) == (None, "PENDING")
        assert row.lease_expires_at is not None
        assert runner._tasks == {}
        # Once that lease ran out (moved back here), the next sweep takes it over and runs it.
        async with app.state.sessions.begin() as session:
            armed = await session.get(AfterLinkStatus, pair)
            armed.lease_expires_at = leases.wall_now() - timedelta(seconds=1)
        await runner._take_over_abandoned()
        assert await runner.wait(*pair, timeout=10)
    finally:
        await runner.aclose()
    row = await _row(app, *pair)
    # No link to send it with (the row was made by hand): it ends FAILED, not PENDING, unleased.
    assert row.accept_grant_status == "FAILED", row.accept_grant_message
    assert (row.lease_owner, row.lease_expires_at, row.attempts) == (None, None, 2)


async def test_a_follow_up_abandoned_too_often_ends_failed_with_the_call_that_sends_it(
    app: FastAPI, admin: Admin
) -> None:
    pair = await _pending_row(app, admin, attempts=leases.MAX_ATTEMPTS, **_ran_out())
    assert await leases.claim(Runtime.of(app.state), *pair, "process-b#1") is None
    row = await _row(app, *pair)
    assert row.accept_grant_status == "FAILED"
    assert row.accept_grant_message is not None
    assert f"stopped or lost the database {leases.MAX_ATTEMPTS} times" in row.accept_grant_message
    assert f"/_localexa/customers/{pair[0]}/skills/{pair[1]}/accept-grant" in row.accept_grant_message
    assert (row.discovery_status, row.lease_owner, row.lease_expires_at) == ("SUCCEEDED", None, None)


async def test_each_handover_of_a_stopping_process_counts_as_one_of_the_follow_up_s_runs(
    app: FastAPI, admin: Admin
) -> None:
    """Since 2026-12-06 a process that stops before it could send a step hands the follow-up over
    (left PENDING, its lease ended) instead of failing it. Each handover counts toward
    `MAX_ATTEMPTS`, as a killed run does: a follow-up that makes every process that takes it
    stop ends FAILED, instead of going from process to process for ever."""
    pair = await _pending_row(app, admin, attempts=1, **_ran_out())  # its first process was killed
    runtime = Runtime.of(app.state)
    # A process that took the follow-up over and then began to stop, its window for sending past.
    quick = runtime.settings.model_copy(update={"directive_timeout": 0.01})
    for runs in range(2, leases.MAX_ATTEMPTS + 1):
        stopping = AfterLinkRunner(dataclasses.replace(runtime, settings=quick))
        stopping.begin_stop()
        await asyncio.sleep(0.05)
        try:
            await stopping._take_over_abandoned()
            await stopping.drain()
        finally:
            await stopping.close()
        row = await _row(app, *pair)
        assert (row.accept_grant_status, row.attempts, row.lease_owner) == ("PENDING", runs, None)
        assert row.lease_expires_at is not None
        assert as_utc(row.lease_expires_at) <= leases.wall_now()  # taken over at the next sweep
    last = AfterLinkRunner(runtime)
    try:
        await last._take_over_abandoned()
        await asyncio.gather(*last._tasks.values())
    finally:
        await last.close()
    row = await _row(app, *pair)
    assert row.accept_grant_status == "FAILED"
    assert f"stopped or lost the database {leases.MAX_ATTEMPTS} times" in (row.accept_grant_message or "")
    assert (row.lease_owner, row.lease_expires_at) == (None, None)


async def test_a_restore_leaves_follow_ups_under_way_without_a_lease(app: FastAPI, admin: Admin) -> None:
    """A snapshot's lease named a run that serves another state; run out, another process
    sharing the database would have taken the restored follow-up over at once, beside the
    restoring process starting it again."""
    pair = await _pending_row(app, admin, attempts=1, **_ran_out())
    document = await state.snapshot(app)
    runner: AfterLinkRunner = app.state.after_link_runner
    app.state.reset_hooks.remove(runner.on_state_replaced)  # what another process finds (no sweep)
    try:
        await state.restore(app, document)
    finally:
        app.state.reset_hooks.append(runner.on_state_replaced)
    row = await _row(app, *pair)
    assert (row.accept_grant_status, row.lease_owner, row.lease_expires_at) == ("PENDING", None, None)


@pytest.fixture
async def slow_skill() -> AsyncIterator[tuple[SlowSkill, str]]:
    async with slow_skill_served(1.0) as served:
        yield served


async def test_a_step_a_single_admin_call_left_pending_is_taken_over(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
) -> None:
    """AcceptGrant sent through the admin API while the follow-up's Discover waits for the skill
    overtakes the follow-up: its Discover's outcome is dropped, and Discover stayed PENDING with
    nothing left to run it (before 2026-12-06). Now it is taken over and sent again."""
    skill, endpoint = slow_skill
    skill.release = asyncio.Event()  # Discover waits until the admin's AcceptGrant is answered
    made = await admin.skill(
        endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    base = f"/_localexa/customers/{customer.user_id}/skills/{made.skill_id}"
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        await post_link(http, token, made.skill_id, mylights)
        await asyncio.wait_for(skill.discover_arrived.wait(), 10)
        granted = await http.post(f"{base}/accept-grant", headers=ADMIN)
        assert granted.status_code == 200, granted.text
        skill.release.set()
        done = await http.get(f"{base}/endpoints", params={"waitSeconds": 20}, headers=ADMIN)
    view = done.json()
    assert view["discovery"]["status"] == "SUCCEEDED", view
    assert view["acceptGrant"]["status"] == "SUCCEEDED", view
    # The follow-up's Discover (dropped) and the takeover's; no AcceptGrant but the admin's.
    assert (skill.discovers_answered, skill.accept_grants) == (2, 1)


async def test_a_follow_up_fails_only_the_steps_it_holds_itself(app: FastAPI, admin: Admin) -> None:
    """A run whose status could not be stored (`mark_pending` failed: no stamp) that then breaks
    off on an error marked any PENDING row of the pair FAILED, one another process runs under its
    own lease included (followup40 F3)."""
    held = {
        "lease_owner": "process-b:2#11111111",
        "lease_expires_at": leases.wall_now() + timedelta(minutes=1),
    }
    pair = await _pending_row(app, admin, **held)
    runtime = Runtime.of(app.state)
    assert await fail_pending(runtime, *pair, None) == []
    assert await fail_pending(runtime, *pair, None, "process-a:1#00000000") == []
    row = await _row(app, *pair)
    assert (row.accept_grant_status, row.lease_owner) == ("PENDING", "process-b:2#11111111")
    # Its holder fails it.
    assert await fail_pending(runtime, *pair, None, "process-b:2#11111111") == ["accept_grant"]
    row = await _row(app, *pair)
    assert (row.accept_grant_status, row.lease_owner) == ("FAILED", None)
