"""SQLite under concurrency (db/engine.py): reads never wait for a writer, writers take turns.

GET and HEAD requests run their transactions with a plain BEGIN (no write lock), so another
connection holding the write lock does not stall them; writes of one process queue on an asyncio
lock instead of sleeping in SQLite's busy handler, and all of them land.
"""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_KEY

HEADERS = {"X-Localexa-Admin-Key": ADMIN_KEY}


def sqlite_file(app: FastAPI) -> str:
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking only")
    database = make_url(str(engine.url)).database
    assert database
    return database


async def make_customer(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {"name": "Ada", "email": f"ada-{n}@example.com", "password": "pw", "region": "NA"}
    return await client.post("/_localexa/customers", json=body, headers=HEADERS)


async def test_a_read_does_not_wait_for_a_writer_holding_the_lock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    path = sqlite_file(app)
    made = await make_customer(client, 0)
    assert made.status_code == 201, made.text
    user_id = made.json()["userId"]
    other = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer (another process, say) holds the lock
        got = await asyncio.wait_for(client.get(f"/_localexa/customers/{user_id}", headers=HEADERS), 10)
        assert got.status_code == 200, got.text
        assert got.json()["userId"] == user_id
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_concurrent_writes_and_reads_all_land(app: FastAPI, client: httpx.AsyncClient) -> None:
    sqlite_file(app)
    writes = [make_customer(client, n) for n in range(1, 31)]
    reads = [client.get("/_localexa/customers", headers=HEADERS) for _ in range(10)]
    answers = await asyncio.wait_for(asyncio.gather(*writes, *reads), 60)
    assert [a.status_code for a in answers[:30]] == [201] * 30, [
        a.text for a in answers if a.status_code >= 300
    ]
    assert all(a.status_code == 200 for a in answers[30:])
    listed = await client.get("/_localexa/customers", headers=HEADERS)
    emails = {c["email"] for c in listed.json()}
    assert {f"ada-{n}@example.com" for n in range(1, 31)} <= emails
