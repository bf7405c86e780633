"""A reset stops the follow-ups (Discover, AcceptGrant) of the links it erased.

A test links a skill, the background Discover waits for a slow skill, and the next test's reset
comes first. Left running, the follow-up's outbound call was answered after the reset's cutoff,
so it showed up in the next test's journal, and the follow-up went on to send AcceptGrant for a
link that no longer existed. Both are checked here through the real routes: the link through the
customer API, the reset and the journal through the admin API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.directives.conftest import ACCOUNT_LINKING, ASYNC_EVENTS, MyLights, post_link
from tests.directives.live import eventually
from tests.directives.slow_skill import SlowSkill, slow_skill_served
from tests.factories import Admin, Skill
from tests.observe.helpers import ADMIN, journal

#: How long the skill holds its Discover answer; well under the directive timeout.
SLOW_DISCOVER = 1.0


async def _linked(admin: Admin, mylights: MyLights, endpoint: str) -> tuple[Skill, str]:
    """A skill at `endpoint` linked to My Lights, and a customer's account-linking token."""
    made = await admin.skill(
        endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    mylights.cloud.set_alexa_credentials(made.messaging_client_id, made.messaging_client_secret)
    customer = await admin.customer()
    return made, await admin.access_token(customer.user_id, [ACCOUNT_LINKING])


@pytest.fixture
async def slow_skill() -> AsyncIterator[tuple[SlowSkill, str]]:
    async with slow_skill_served(SLOW_DISCOVER) as served:
        yield served


@pytest.mark.parametrize("reset", ["reset", "restore"])
async def test_a_reset_stops_the_follow_up_of_an_erased_link(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
    reset: str,
) -> None:
    skill, endpoint = slow_skill
    # Discover waits until the reset is answered, not a timer a slow reset could outlast (the
    # follow-up would then be done, AcceptGrant sent, before the reset).
    skill.release = asyncio.Event()
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        snapshot = (await http.post("/_localexa/snapshot", headers=ADMIN)).json()
        made = await admin.skill(
            endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
        )
        mylights.cloud.set_alexa_credentials(made.messaging_client_id, made.messaging_client_secret)
        customer = await admin.customer()
        token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
        await post_link(http, token, made.skill_id, mylights)
        await asyncio.wait_for(skill.discover_arrived.wait(), 10)

        # The next test begins: an empty state, by a reset or by restoring an empty snapshot.
        if reset == "reset":
            answer = await http.post("/_localexa/reset", headers=ADMIN)
        else:
            answer = await http.post("/_localexa/restore", json=snapshot, headers=ADMIN)
        assert answer.status_code in (200, 204), answer.text
        assert app.state.after_link_runner._tasks == {}

        # The skill answers its Discover (the connection was dropped, but the handler runs on).
        skill.release.set()
        await eventually(lambda: skill.discovers_answered == 1)
        await asyncio.sleep(0.3)  # room for an AcceptGrant, had the follow-up gone on to send one
        after = await journal(http)
    # Nothing of the erased link after the reset: no message to the skill in the journal (a restore
    # keeps the journal, so the link's own token exchange with My Lights is still there), and no
    # AcceptGrant sent.
    to_skill = [e for e in after if e["direction"] == "outbound" and e["url"] == endpoint]
    assert to_skill == [], to_skill
    assert skill.accept_grants == 0
    status = await admin.client.get(
        f"/_localexa/customers/{customer.user_id}/skills/{made.skill_id}/endpoints", headers=ADMIN
    )
    assert status.status_code == 404, status.text


async def test_a_restored_follow_up_under_way_runs_again(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
) -> None:
    """A snapshot taken while Discover waited for the skill holds the follow-up PENDING; after a
    restore, nothing ran it any more and `waitSeconds` waited for it to its end."""
    skill, endpoint = slow_skill
    skill.release = asyncio.Event()  # Discover waits until the snapshot is taken, not a timer
    made = await admin.skill(
        endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    mylights.cloud.set_alexa_credentials(made.messaging_client_id, made.messaging_client_secret)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    endpoints = f"/_localexa/customers/{customer.user_id}/skills/{made.skill_id}/endpoints"
    async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
        await post_link(http, token, made.skill_id, mylights)
        await asyncio.wait_for(skill.discover_arrived.wait(), 10)
        snapshot = (await http.post("/_localexa/snapshot", headers=ADMIN)).json()
        skill.release.set()
        done = await http.get(endpoints, params={"waitSeconds": 10}, headers=ADMIN)
        assert done.json()["discovery"]["status"] == "SUCCEEDED", done.text
        assert (skill.discovers_answered, skill.accept_grants) == (1, 1)

        restored = await http.post("/_localexa/restore", json=snapshot, headers=ADMIN)
        assert restored.status_code == 200, restored.text
        started = asyncio.get_running_loop().time()
        again = await http.get(endpoints, params={"waitSeconds": 10}, headers=ADMIN)
        waited = asyncio.get_running_loop().time() - started
    assert again.json()["discovery"]["status"] == "SUCCEEDED", again.text
    assert again.json()["acceptGrant"]["status"] == "SUCCEEDED", again.text
    assert (skill.discovers_answered, skill.accept_grants) == (2, 2)
    assert waited < 9, waited


async def test_a_follow_ups_call_answered_between_the_reset_and_its_hooks_stays_out_of_the_journal(
    app: FastAPI,
    admin: Admin,
    localexa_url: str,
    mylights: MyLights,
    slow_skill: tuple[SlowSkill, str],
) -> None:
    """The reset's hooks stop the follow-ups once the state is emptied and the journal cut; a
    call of one answered in between was journaled (answered after the cutoff), so the next test of
    a suite found the previous one's AcceptGrant in its emptied journal, 3 runs in 8 on SQLite
    (readme37b F1). The follow-up's entries are now cut by when it began, as an evaluation run's."""
    skill, endpoint = slow_skill
    skill.release = asyncio.Event()
    runner = app.state.after_link_runner
    hooks: list[Any] = app.state.reset_hooks
    stop_follow_ups = next(hook for hook in hooks if getattr(hook, "__self__", None) is runner)

    async def late_stop(app: FastAPI) -> None:
        # The skill answers while the reset is between its cutoff and this hook.
        assert skill.release is not None
        skill.release.set()
        await eventually(lambda: runner._tasks == {})  # the follow-up saw its state gone
        await stop_follow_ups(app)

    hooks[hooks.index(stop_follow_ups)] = late_stop
    try:
        made, token = await _linked(admin, mylights, endpoint)
        async with httpx.AsyncClient(base_url=localexa_url, timeout=30) as http:
            await post_link(http, token, made.skill_id, mylights)
            await asyncio.wait_for(skill.discover_arrived.wait(), 10)
            answer = await http.post("/_localexa/reset", headers=ADMIN)
            assert answer.status_code in (200, 204), answer.text
            assert skill.discovers_answered == 1
            after = await journal(http)
    finally:
        hooks[hooks.index(late_stop)] = stop_follow_ups
    assert after == [], after
