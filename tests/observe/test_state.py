"""Reset, snapshot and restore of the whole state."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Admin
from tests.observe.helpers import ADMIN, add_fault, faults, journal


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def _profile(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})).status_code


async def _populate(admin: Admin) -> tuple[str, str]:
    customer = await admin.customer()
    await admin.skill(customer)
    token = await admin.access_token(customer.user_id, ["profile"])
    return customer.user_id, token


async def test_reset_empties_everything_but_keeps_the_keys(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    _, token = await _populate(admin)
    await admin.advance_clock(60)
    await add_fault(client, path="/nowhere", status=503)
    assert await _profile(client, token) == 200
    response = await client.post("/_localexa/reset", headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["reset"] is True
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []
    assert (await client.get("/_localexa/skills", headers=ADMIN)).json() == []
    assert await faults(client) == []
    assert app.state.clock.offset_seconds == 0
    assert await _profile(client, token) == 401
    # The journal starts with the calls after the reset: the reset is its boundary, not an entry
    # in it (the oldest entry was the reset call itself until 2026-12-06).
    paths = [e["path"] for e in await journal(client)]
    assert "/_localexa/reset" not in paths
    assert paths[-1] == "/_localexa/customers"
    assert "/_localexa/clock" not in paths
    # The admin key still works, and new state can be built.
    await admin.customer()
    assert len((await client.get("/_localexa/customers", headers=ADMIN)).json()) == 1


async def test_reset_drops_queued_journal_entries(client: httpx.AsyncClient, app: FastAPI) -> None:
    """What reset does: entries queued (or taken by the writer, not yet written) are dropped."""
    journal_ = app.state.journal
    async with journal_.paused():  # the writer cannot write while we hold it
        await client.get("/_localexa/customers", headers=ADMIN)
        await asyncio.sleep(0)  # the writer takes the entry and waits
        await client.get("/_localexa/vendors", headers=ADMIN)  # this one stays queued
        journal_.discard_queued()
    await client.get("/_localexa/clock", headers=ADMIN)
    assert [e["path"] for e in await journal(client)] == ["/_localexa/clock"]


async def test_snapshot_restore_round_trip(client: httpx.AsyncClient, admin: Admin, app: FastAPI) -> None:
    user_id, token = await _populate(admin)
    await admin.advance_clock(120)
    fault_id = await add_fault(client, path="/nowhere", status=503, count=3)
    before = await _snapshot(client)
    assert before["format"] == "localexa.snapshot"
    assert "journal_entries" not in before["tables"]
    assert [c["id"] for c in before["tables"]["customers"]] == [user_id]
    text = str(before)
    assert token not in text  # tokens are only hashes at rest
    await client.post("/_localexa/reset", headers=ADMIN)
    assert await _profile(client, token) == 401
    restored = await client.post("/_localexa/restore", json=before, headers=ADMIN)
    assert restored.status_code == 200, restored.text
    assert restored.json()["restored"]["customers"] == 1
    assert await _profile(client, token) == 200
    assert [f["faultId"] for f in await faults(client)] == [fault_id]
    assert app.state.clock.offset_seconds >= 120
    after = await _snapshot(client)
    assert {k: v for k, v in after.items() if k != "createdAt"} == {
        k: v for k, v in before.items() if k != "createdAt"
    }
    # New rows after a restore do not collide with restored ones.
    await admin.customer()
    assert len((await client.get("/_localexa/customers", headers=ADMIN)).json()) == 2


async def test_restore_refuses_another_servers_key(client: httpx.AsyncClient, admin: Admin) -> None:
    await _populate(admin)
    document = await _snapshot(client)
    document["keyFingerprint"] = "0" * 16
    response = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert response.status_code == 400
    assert "secret key" in response.json()["message"]


async def test_a_bad_restore_changes_nothing(client: httpx.AsyncClient, admin: Admin) -> None:
    user_id, _ = await _populate(admin)
    document = await _snapshot(client)
    broken = copy.deepcopy(document)
    broken["tables"]["customers"] = []
    broken["tables"]["vendors"] = [
        {**broken["tables"]["vendors"][0], "owner_user_id": "amzn1.account.NOBODY"}
    ]
    response = await client.post("/_localexa/restore", json=broken, headers=ADMIN)
    assert response.status_code == 400
    assert "NOBODY" not in response.text
    assert [c["userId"] for c in (await client.get("/_localexa/customers", headers=ADMIN)).json()] == [
        user_id
    ]


async def test_restore_validates_the_document(client: httpx.AsyncClient, admin: Admin) -> None:
    document = await _snapshot(client)
    cases: list[Any] = [
        [],
        {"format": "other"},
        {**document, "version": 99},
        {**document, "tables": {"no_such_table": []}},
        {**document, "tables": {"customers": [{"no_such_column": 1}]}},
        {**document, "tables": {"customers": "rows"}},
    ]
    for case in cases:
        response = await client.post("/_localexa/restore", json=case, headers=ADMIN)
        assert response.status_code == 400, case
        assert response.json()["message"]
    not_json = await client.post("/_localexa/restore", content=b"{nope", headers=ADMIN)
    assert not_json.status_code == 400


async def test_state_calls_need_the_admin_key(client: httpx.AsyncClient) -> None:
    for path in ("reset", "snapshot", "restore"):
        assert (await client.post(f"/_localexa/{path}")).status_code == 401


async def test_snapshot_and_restore_are_journaled_without_bodies(client: httpx.AsyncClient) -> None:
    document = await _snapshot(client)
    await client.post("/_localexa/restore", json=document, headers=ADMIN)
    entries = await journal(client)
    assert [e["path"] for e in entries] == ["/_localexa/restore", "/_localexa/snapshot"]
    assert all(e["requestBody"] is None and e["responseBody"] is None for e in entries)
