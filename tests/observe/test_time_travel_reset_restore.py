"""Reset and restore move time for the journal and for evaluation runs (README: Reset, snapshot,
restore; Runs are jobs).

- A reset's journal cutoff is taken once the reset holds the state's tables, not when it began:
  a call answered while the reset waited for them wrote rows the reset then deleted, and its
  journal entry stayed (on PostgreSQL the reset lets the calls queued behind its locks through
  between tries, so such calls are common under load).
- A run restored in the middle of an attempt resumes that attempt: the claim after the restore
  does not count as one more of its three.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.worker import EvaluationWorker
from localexa.server.observe import state
from tests.evaluation.helpers import developer_with_skill, evaluation, start
from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal


async def _new_customer(client: httpx.AsyncClient) -> httpx.Response:
    body = {
        "name": "Late",
        "email": f"late-{secrets.token_hex(4)}@example.com",
        "password": "pw",
        "region": "NA",
    }
    return await client.post("/_localexa/customers", headers=ADMIN, json=body)


async def _assert_reset_left_nothing_of(client: httpx.AsyncClient, answered: httpx.Response) -> None:
    assert answered.status_code == 201, answered.text
    listed = await client.get("/_localexa/customers", headers=ADMIN)
    assert listed.json() == []  # the reset deleted its customer...
    # ...so its journal entry must be gone with it (it stayed: the cutoff predated the call).
    assert await journal(client, requestId=answered.headers["X-Amzn-RequestId"]) == []


async def test_a_call_answered_while_a_reset_waits_for_its_tables_leaves_the_journal(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the reset's start and its hold on the tables (on either database) a call writes a
    customer and is answered; the reset then deletes the customer, and the entry must go too."""
    original = state._rewrite_state
    answered: list[httpx.Response] = []

    async def answer_a_call_first(engine: AsyncEngine, rewrite: state.Rewrite) -> None:
        answered.append(await _new_customer(client))  # what the wait for the tables lets through
        await original(engine, rewrite)

    monkeypatch.setattr(state, "_rewrite_state", answer_a_call_first)
    reset = await client.post("/_localexa/reset", headers=ADMIN)
    assert reset.status_code == 200, reset.text
    [call] = answered
    await _assert_reset_left_nothing_of(client, call)
    # Calls after the reset are journaled as before.
    after = await _new_customer(client)
    assert [e["status"] for e in await journal(client, requestId=after.headers["X-Amzn-RequestId"])] == [201]


async def test_a_write_let_through_between_the_resets_lock_tries_leaves_the_journal(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    """PostgreSQL: a transaction holds `customers`, so the reset's first try for its locks times
    out; before its second try a call writes a customer and is answered. The reset then takes the
    locks and deletes the customer: its entry must leave the journal with it."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's table locks and the reset's tries")
    engine = app.state.engine
    answered: list[httpx.Response] = []
    locks = 0
    async with engine.connect() as other:
        await other.execute(text("SELECT count(*) FROM customers"))  # holds ACCESS SHARE

        def between_tries(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            nonlocal locks
            if statement.lstrip().upper().startswith("LOCK TABLE"):
                locks += 1
                if locks == 2:  # the first try timed out: the reset holds nothing now
                    answered.append(await_only(_new_customer(client)))
                    await_only(other.commit())

        event.listen(engine.sync_engine, "before_cursor_execute", between_tries)
        try:
            reset = await client.post("/_localexa/reset", headers=ADMIN)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", between_tries)
    assert reset.status_code == 200, reset.text
    assert locks == 2
    [call] = answered
    await _assert_reset_left_nothing_of(client, call)


async def test_a_run_restored_mid_attempt_resumes_that_attempt(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """A run on its third claim (two interruptions before) is snapshotted and restored: the claim
    that resumes it is still its third, so it runs on. Before, the restore counted as one more
    interruption: the run ended at once in ERROR, "interrupted 3 times". A restore right after
    a restore (no claim between) leaves the count alone."""
    await app.state.evaluation_worker.stop()  # the test claims the run itself
    dev = await developer_with_skill(admin)
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    worker = EvaluationWorker(Runtime.of(app.state), owner="interrupted")
    for _ in range(2):
        job = await worker.claim()
        assert job is not None
        await worker._release(job)  # interrupted: due again at once
    job = await worker.claim()
    assert job is not None
    assert job.attempts == 3  # its third claim, under way
    taken = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    [row] = taken["tables"]["capability_evaluations"]
    assert (row["status"], row["lease_owner"]) == ("IN_PROGRESS", job.lease)
    assert job.lease.startswith("interrupted#")  # the worker's name and its claim's token
    assert row["attempts"] == 3

    for _ in range(2):  # a restore, then the restored state's own snapshot restored again
        restored = await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(taken))
        assert restored.status_code == 200, restored.text
        taken = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()

    resumed = await EvaluationWorker(Runtime.of(app.state), owner="after-restore").claim()
    assert resumed is not None
    assert resumed.id == evaluation_id
    assert resumed.attempts == 3  # was 4: more than the 3 a run may take
    await EvaluationWorker(Runtime.of(app.state), owner="after-restore").execute(resumed)
    ended = await evaluation(client, dev, evaluation_id)
    # It ran on (and stopped at its prerequisites: the skill was never enabled), not ended as
    # interrupted too often.
    assert ended["status"] == "ERROR"
    assert "interrupted" not in json.dumps(ended), ended
