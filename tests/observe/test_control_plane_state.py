"""Reset, snapshot and restore while other calls write (README: Reset, snapshot, restore).

Every call must be wholly before or wholly after a reset or a restore: neither may fail because
of rows another call committed while it ran, and a snapshot taken under load is a consistent cut.
A restore refuses a document that does not fit with 400 and changes nothing.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import await_only

from localexa.server.core.json_body import NOT_FINITE_MESSAGE
from localexa.server.core.strict_json import TOO_DEEP_MESSAGE
from tests.factories import Admin
from tests.observe.helpers import ADMIN, add_fault


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def _restore(client: httpx.AsyncClient, document: Any) -> httpx.Response:
    return await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(document))


async def _populate(admin: Admin, client: httpx.AsyncClient) -> None:
    customer = await admin.customer()
    skill = await admin.skill(customer)
    await admin.tokens(skill.messaging_client_id, customer.user_id, ["alexa::async_event:write"])
    await add_fault(client, path="/nowhere", status=503, count=3)


def check_invariants(document: dict[str, Any]) -> None:
    """What no serial order of calls can break: every row's parents exist."""
    tables = document["tables"]
    customers = {c["id"] for c in tables["customers"]}
    clients = {c["client_id"] for c in tables["lwa_clients"]}
    vendors = {v["id"] for v in tables["vendors"]}
    skills = {s["id"] for s in tables["skills"]}
    runs = {r["id"] for r in tables["capability_evaluations"]}
    for token in tables["lwa_tokens"]:
        assert token["client_id"] in clients
        assert token["user_id"] is None or token["user_id"] in customers
    for vendor in tables["vendors"]:
        assert vendor["owner_user_id"] in customers
    for skill in tables["skills"]:
        assert skill["vendor_id"] in vendors
        assert skill["messaging_client_id"] in clients
    for enablement in tables["enablements"]:
        assert enablement["customer_id"] in customers
        assert enablement["skill_id"] in skills
    for result in tables["capability_test_case_results"]:
        assert result["evaluation_id"] in runs


# -- a rewrite and rows committed while it runs (PostgreSQL; SQLite's write lock serializes) --


async def _skill_in_open_transaction(conn: AsyncConnection) -> None:
    """A customer, vendor, messaging client and skill, inserted but not committed (a
    `POST /_localexa/skills` under way)."""
    suffix = secrets.token_hex(4)
    now = "2026-01-01T00:00:00+00:00"
    await conn.execute(
        text(
            "INSERT INTO customers (id, name, email, password_hash, region, created_at) "
            f"VALUES ('amzn1.account.{suffix}', 'W', 'w-{suffix}@example.com', 'x', 'NA', '{now}')"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO vendors (id, name, owner_user_id, created_at) "
            f"VALUES ('v-{suffix}', 'V', 'amzn1.account.{suffix}', '{now}')"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO lwa_clients (client_id, name, secret_hash, redirect_uris, created_at) "
            f"VALUES ('c-{suffix}', 'S', 'h', '[]', '{now}')"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO skills (id, vendor_id, name, stages, endpoint, permissions, "
            f"messaging_client_id, created_at) VALUES ('s-{suffix}', 'v-{suffix}', 'S', '[]', "
            f"'http://x', '[]', 'c-{suffix}', '{now}')"
        )
    )


async def _rewrite_while_a_skill_commits(app: FastAPI, call: Any) -> httpx.Response:
    """Run `call` (a reset or restore); the skill of another transaction commits just before the
    rewrite first names `lwa_clients`: after `DELETE FROM skills`, before `DELETE FROM lwa_clients`
    (or, with the tables locked first, before the lock)."""
    engine = app.state.engine
    async with engine.connect() as other:
        await _skill_in_open_transaction(other)
        committed = False

        def commit_the_other(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            nonlocal committed
            upper = statement.lstrip().upper()
            if not committed and "LWA_CLIENTS" in upper and upper.startswith(("DELETE", "LOCK")):
                committed = True
                await_only(other.commit())

        event.listen(engine.sync_engine, "before_cursor_execute", commit_the_other)
        try:
            response: httpx.Response = await call()
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", commit_the_other)
        assert committed
    return response


async def test_a_reset_is_not_broken_by_a_skill_committed_while_it_runs(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's write lock keeps other writers out of a reset")
    await _populate(admin, client)
    response = await _rewrite_while_a_skill_commits(
        app, lambda: client.post("/_localexa/reset", headers=ADMIN)
    )
    assert response.status_code == 200, response.text  # was 404: a foreign key "deleted while it ran"
    after = await _snapshot(client)
    assert after["tables"]["skills"] == []  # the skill committed before the reset: gone with it
    assert after["tables"]["customers"] == []


async def test_a_restore_is_not_broken_by_a_skill_committed_while_it_runs(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's write lock keeps other writers out of a restore")
    await _populate(admin, client)
    before = await _snapshot(client)
    response = await _rewrite_while_a_skill_commits(app, lambda: _restore(client, before))
    assert response.status_code == 200, response.text  # was 400: "does not fit this server's tables"
    after = await _snapshot(client)
    assert after["tables"] == before["tables"]


async def test_a_reset_gives_way_to_a_call_holding_a_table_and_then_goes_through(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, backend: str
) -> None:
    """A transaction that read `customers` and goes on (it may next want a table the reset
    already holds: a deadlock) makes the reset's wait for its locks time out; the reset lets it
    through and tries again, and answers 200 once it has ended."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's table locks")
    await _populate(admin, client)
    engine = app.state.engine
    locks = 0
    async with engine.connect() as other:
        await other.execute(text("SELECT count(*) FROM customers"))  # holds ACCESS SHARE

        def count_locks(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            nonlocal locks
            if statement.lstrip().upper().startswith("LOCK TABLE"):
                locks += 1
                if locks == 2:
                    await_only(other.commit())  # the call ends while the reset waits to retry

        event.listen(engine.sync_engine, "before_cursor_execute", count_locks)
        try:
            response = await client.post("/_localexa/reset", headers=ADMIN)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count_locks)
    assert response.status_code == 200, response.text
    assert locks == 2
    assert (await _snapshot(client))["tables"]["customers"] == []


# -- under load ----------------------------------------------------------------------------------


#: Rounds of (customer, vendor, skill, token) each writer makes: enough to overlap the rewrites,
#: a bounded cost whatever the machine's load.
WRITES_PER_WRITER = 12


async def _write(client: httpx.AsyncClient, statuses: Counter[int]) -> None:
    """Customer, vendor, skill and a token for it, again and again (a test suite's set-up)."""

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        answer = await client.post(f"/_localexa/{path}", headers=ADMIN, json=body)
        statuses[answer.status_code] += 1
        return answer.json() if answer.status_code == 201 else None

    for _ in range(WRITES_PER_WRITER):
        email = f"w-{secrets.token_hex(4)}@example.com"
        body = {"name": "W", "email": email, "password": "pw-pw-pw-pw", "region": "NA"}
        customer = await post("customers", body)
        if customer is None:
            continue
        vendor = await post("vendors", {"name": "V", "ownerUserId": customer["userId"]})
        if vendor is None:
            continue
        skill = await post(
            "skills", {"vendorId": vendor["vendorId"], "name": "S", "endpoint": "http://127.0.0.1:9/s"}
        )
        if skill is None:
            continue
        client_id = skill["skillMessagingCredentials"]["clientId"]
        await post("tokens", {"clientId": client_id, "userId": customer["userId"], "scopes": ["profile"]})


async def _rewrite_repeatedly(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await asyncio.sleep(0)  # let the writers start
        cut = await _snapshot(client)
        check_invariants(cut)
        reset = await client.post("/_localexa/reset", headers=ADMIN)
        assert reset.status_code == 200, reset.text
        restored = await _restore(client, cut)
        assert restored.status_code == 200, restored.text


async def test_resets_snapshots_and_restores_under_write_load(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    await _populate(admin, client)
    statuses: Counter[int] = Counter()
    await asyncio.gather(_rewrite_repeatedly(client), *(_write(client, statuses) for _ in range(3)))
    assert statuses[201] > 0
    # A write that lost its parent to a reset is refused in the API's shape, never a 5xx.
    assert all(status < 500 for status in statuses), statuses
    check_invariants(await _snapshot(client))


# -- documents that do not fit ---------------------------------------------------------------


def _spoil(document: dict[str, Any], table: str, column: str, value: Any) -> dict[str, Any]:
    spoiled = copy.deepcopy(document)
    spoiled["tables"][table][0][column] = value
    return spoiled


#: (table, column, value): each one a restore must refuse.
WRONG_TYPES: list[tuple[str, str, Any]] = [
    ("customers", "name", 12345),  # a number in a text column: SQLite stored it
    ("customers", "region", "NORTH-AMERICA"),  # longer than its column (2): SQLite stored it
    ("customers", "email", {"a": 1}),
    ("customers", "created_at", 5),
    ("customers", "created_at", "9999-12-31T23:59:59-05:00"),  # past year 9999 in UTC
    ("lwa_tokens", "revoked", "no"),
    ("lwa_tokens", "scopes", ["profile"]),
    ("faults", "matched", True),  # a boolean is not a count
    ("faults", "fired", 2**70),  # past 64 bits: SQLite raised OverflowError, a 500
    ("faults", "remaining", 2**40),  # past PostgreSQL's integer
    ("clock_state", "offset_seconds", "60"),
]


async def test_a_value_of_the_wrong_type_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    await _populate(admin, client)
    await admin.advance_clock(60)
    before = await _snapshot(client)
    for table, column, value in WRONG_TYPES:
        response = await _restore(client, _spoil(before, table, column, value))
        assert response.status_code == 400, (table, column, response.text)
        assert response.json()["message"].startswith(f"tables.{table}[0].{column}: "), response.text
    assert (await _snapshot(client))["tables"] == before["tables"]


async def test_a_snapshot_of_a_revision_this_version_does_not_know_is_refused(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    await _populate(admin, client)
    before = await _snapshot(client)
    for revision in ("0099_from_a_newer_localexa", None, 42):
        response = await _restore(client, {**before, "schemaRevision": revision, "tables": {}})
        assert response.status_code == 400, response.text
        assert "schema revision" in response.json()["message"]
    assert (await _snapshot(client))["tables"] == before["tables"]


async def test_a_snapshot_of_an_older_revision_restores(client: httpx.AsyncClient, admin: Admin) -> None:
    """Snapshots kept as test fixtures survive an upgrade of localexa."""
    await _populate(admin, client)
    before = await _snapshot(client)
    assert before["schemaRevision"] != "0004_journal_cutoff"
    response = await _restore(client, {**before, "schemaRevision": "0004_journal_cutoff"})
    assert response.status_code == 200, response.text
    assert (await _snapshot(client))["tables"] == before["tables"]


async def test_duplicate_ids_and_a_truncated_document_change_nothing(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    await _populate(admin, client)
    before = await _snapshot(client)
    doubled = copy.deepcopy(before)
    doubled["tables"]["customers"].append(dict(doubled["tables"]["customers"][0]))
    assert (await _restore(client, doubled)).status_code == 400
    text_ = json.dumps(before)
    truncated = await client.post("/_localexa/restore", headers=ADMIN, content=text_[: len(text_) // 2])
    assert truncated.status_code == 400
    assert set(truncated.json()) == {"message"}
    assert (await _snapshot(client))["tables"] == before["tables"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser goes: a RecursionError, a 500
        '{"format": "localexa.snapshot", "tables": {"faults": [{"path": ' + "[" * 5000 + "]" * 5000 + "}]}}",
        '{"format": "localexa.snapshot", "version": 1, "tables": {"clock_state": [{"offset_seconds": NaN}]}}',
    ],
    ids=["deep", "deep-value", "nan"],
)
async def test_a_body_json_cannot_hold_is_refused_in_the_admin_shape(
    client: httpx.AsyncClient, body: str
) -> None:
    response = await client.post("/_localexa/restore", headers=ADMIN, content=body)
    assert response.status_code == 400, response.text
    # Nested too deep is valid JSON, told as such since 2026-12-06 (core/strict_json.py); NaN is
    # told as every other admin body tells it (since 2026-12-06; before, "not valid JSON").
    expected = TOO_DEEP_MESSAGE if body.count("[") >= 5000 else NOT_FINITE_MESSAGE
    assert response.json() == {"message": expected}


async def test_a_delay_fault_holds_up_only_the_calls_it_matches(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    slow = await admin.customer()
    other = await admin.customer(name="Other")
    await add_fault(client, method="GET", path=f"/_localexa/customers/{slow.user_id}", delayMs=600)
    delayed = asyncio.create_task(client.get(f"/_localexa/customers/{slow.user_id}", headers=ADMIN))
    await asyncio.sleep(0)  # it reaches the fault's wait
    for _ in range(2):  # unrelated calls, reads and writes, are answered meanwhile
        assert (await client.get(f"/_localexa/customers/{other.user_id}", headers=ADMIN)).status_code == 200
        await admin.customer(name="More")
        assert (await client.get("/_localexa/faults", headers=ADMIN)).status_code == 200
    assert not delayed.done()
    assert (await delayed).status_code == 200  # a delay-only fault lets the call through
