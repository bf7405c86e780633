"""A reset leaves nothing of an evaluation run in flight in the journal it empties.

A run's directive waited for a slow skill when `POST /_localexa/reset` came; the skill answered
after the reset's cutoff, so the directive's outbound entry landed in the journal the reset had
just emptied (5 of 5 tries on SQLite, 4 of 5 on PostgreSQL; QA of 2026-12-06), and the run went
on sending the rest of its test case. The after-link follow-ups already stopped at a reset
(tests/directives/test_reset_stops_follow_ups.py); the worker had no such stop. Now the entries of
the calls a run makes are journaled only while no reset has cut the journal since it was claimed
(observe/generation.py `work_began`), and a reset or restore stops the runs under way here before
their next directive (evaluation/worker.py `state_replaced`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation import skills
from tests.evaluation.helpers import linked_developer, start, wait_until
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal

#: How long the skill takes to answer each directive: the reset comes while one waits.
DELAY = 0.4


@pytest.fixture(scope="module")
def slow_lights() -> Iterator[SkillServer]:
    with skills.mylights(delay=DELAY) as server:
        yield server


@pytest.mark.parametrize("replace", ["reset", "restore"])
async def test_a_run_in_flight_at_a_reset_leaves_nothing_in_the_journal(
    client: httpx.AsyncClient, admin: Admin, slow_lights: SkillServer, replace: str
) -> None:
    empty = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    dev = await linked_developer(client, admin, slow_lights)
    # The link's own follow-ups (Discover, AcceptGrant) first: only the run is in flight below.
    waited = await client.get(
        f"/_localexa/customers/{dev.customer.user_id}/skills/{dev.skill.skill_id}/endpoints",
        params={"waitSeconds": 10},
        headers=ADMIN,
    )
    assert waited.status_code == 200, waited.text
    before = len(slow_lights.answered)
    await start(client, dev, plan_id_for("PowerController"), "kitchen")

    async def run_under_way() -> bool:
        # Its Discover answered: the worker is sending the test cases' directives.
        return len(slow_lights.answered) > before

    await wait_until(run_under_way, timeout=15)
    await asyncio.sleep(DELAY / 2)  # the next directive waits for the skill
    if replace == "reset":
        answer = await client.post("/_localexa/reset", headers=ADMIN)
    else:
        answer = await client.post("/_localexa/restore", json=empty, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    at_reset = len(slow_lights.answered)
    await asyncio.sleep(3 * DELAY)  # the directive in flight is answered, and a next one would be
    if replace == "reset":  # (a restore keeps the journal, the run's earlier entries with it)
        left = [(e["direction"], e["path"], e["status"]) for e in await journal(client)]
        assert [entry for entry in left if entry[1] != "/_localexa/reset"] == [], left
    # The directive in flight is answered; no new one goes out.
    assert len(slow_lights.answered) <= at_reset + 1
