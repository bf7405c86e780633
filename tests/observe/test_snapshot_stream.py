"""`POST /_localexa/snapshot` is written as it is read, table by table, rows in batches
(observe/snapshot_stream.py): built whole first, a big state's took over 2.2 GB of the server's
memory (bigstate review F4). The bytes are the ones the document built whole gave; the read is
one consistent view; a cut answer does not restore."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select, text
from starlette.types import Message

from localexa.server.directives.models import DiscoveredEndpoint
from localexa.server.lwa.models import Token
from localexa.server.observe import snapshot_stream, state
from localexa.server.observe.snapshot_rows import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, encode
from tests.factories import Admin
from tests.observe.helpers import ADMIN


async def built_whole(app: FastAPI) -> bytes:
    """The document as `state.snapshot` built it until 2026-12-07, in one transaction, and written
    by `JSONResponse` as the route did: what the stream must equal byte for byte."""
    engine = app.state.engine
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in state._state_tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = await conn.execute(select(table).order_by(*order))
            tables[table.name] = [{k: encode(v) for k, v in row._mapping.items()} for row in rows]
        revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    document = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "schemaRevision": revision,
        "keyFingerprint": state.key_fingerprint(app.state.box),
        "createdAt": "2026-12-07T00:00:00Z",
        "tables": tables,
    }
    return bytes(JSONResponse(document).body)


def same_moment(document: bytes) -> bytes:
    """The document with its `createdAt` (the moment it was taken) set to the reference's."""
    return re.sub(rb'"createdAt":"[^"]*"', b'"createdAt":"2026-12-07T00:00:00Z"', document, count=1)


async def fill(app: FastAPI, admin: Admin) -> None:
    """Rows in most tables, a few batches of tokens (one key column) and of endpoints (three),
    with values JSON writes with escapes and characters past ASCII."""
    skill = await admin.skill(name='Lämpchen "Küche" \\ 💡')
    customer = await admin.customer(name="Zoë")
    client_id, _ = await admin.lwa_client()
    now = datetime.now(UTC)
    tokens = [
        {
            "token_hash": f"{i:064x}",
            "kind": "refresh",
            "client_id": client_id,
            "user_id": customer.user_id,
            "scopes": "profile",
            "grant_id": f"{i:064x}",
            "issued_at": now,
            "expires_at": None,
            "revoked": False,
            "public_client": False,
        }
        for i in range(11)
    ]
    endpoints = [
        {
            "customer_id": customer.user_id,
            "skill_id": skill.skill_id,
            "endpoint_id": f"lamp-{i % 4}-{i}",
            "friendly_name": f"Lampe {i} – «ü»",
            "display_categories": ["LIGHT"],
            "capabilities": [{"interface": "Alexa.PowerController", "n": i / 3}],
            "cookie": {},
            "state": {"on": i % 2 == 0},
            "discovered_at": now,
        }
        for i in range(9)
    ]
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(Token), tokens)
        await conn.execute(insert(DiscoveredEndpoint), endpoints)


@pytest.mark.parametrize("batch", [2, 3, snapshot_stream.BATCH_ROWS])
async def test_the_stream_writes_the_bytes_the_whole_document_gave(
    app: FastAPI, admin: Admin, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    await fill(app, admin)
    monkeypatch.setattr(snapshot_stream, "BATCH_ROWS", batch)
    answer = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert same_moment(answer.content) == await built_whole(app)
    document = json.loads(answer.content)
    assert len(document["tables"]["lwa_tokens"]) == 11
    assert len(document["tables"]["discovered_endpoints"]) == 9
    assert (await client.post("/_localexa/restore", content=answer.content, headers=ADMIN)).status_code == 200


async def test_the_answer_leaves_in_parts_as_it_is_read(
    app: FastAPI, admin: Admin, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """The answer is sent a batch at a time, not once built whole (which held the whole state)."""
    if backend != "sqlite":
        pytest.skip("the route's writing: the same on both")
    await fill(app, admin)
    monkeypatch.setattr(snapshot_stream, "BATCH_ROWS", 2)
    # Straight to the app: httpx's in-process transport joins the parts of an answer.
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"host", b"127.0.0.1:8080"), *((k.lower().encode(), v.encode()) for k, v in ADMIN.items())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/_localexa/snapshot",
        "raw_path": b"/_localexa/snapshot",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert b"content-length" not in dict(sent[0]["headers"])
    parts = [message["body"] for message in sent[1:] if message["body"]]
    # The head, each table's opening and closing, and 6 batches of tokens and 5 of endpoints.
    assert len(parts) > 2 * len(state._state_tables()) + 11, len(parts)
    assert max(len(part) for part in parts) < 4000  # a batch of two rows, at most
    assert same_moment(b"".join(parts)) == await built_whole(app)


async def test_an_empty_state_streams_as_it_was_written(app: FastAPI, client: httpx.AsyncClient) -> None:
    answer = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert same_moment(answer.content) == await built_whole(app)


async def test_a_write_during_the_stream_is_not_in_it(
    app: FastAPI, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read for every table: a customer committed once the stream has begun (its read took no
    write lock on SQLite: the write goes through at once) is in the next snapshot, not this one."""
    await admin.customer(name="Before")
    monkeypatch.setattr(snapshot_stream, "BATCH_ROWS", 1)
    chunks = await state.snapshot_stream(app)
    taken = [await anext(chunks), await anext(chunks)]  # the head, then `"clock_state":[`
    written = await admin.customer(name="During")
    taken += [chunk async for chunk in chunks]
    names = [row["name"] for row in json.loads(b"".join(taken))["tables"]["customers"]]
    assert names == ["Before"]
    after = (await state.snapshot(app))["tables"]["customers"]
    assert written.user_id in [row["id"] for row in after]


async def test_a_cut_answer_does_not_restore(
    app: FastAPI, admin: Admin, client: httpx.AsyncClient, backend: str
) -> None:
    """A failure while the answer is written ends the connection before its end: what the client
    got is never a whole document, and restore refuses it, changing nothing."""
    if backend != "sqlite":
        pytest.skip("restore's parsing: the same on both")
    await fill(app, admin)
    whole = (await client.post("/_localexa/snapshot", headers=ADMIN)).content
    for cut in (len(whole) - 1, len(whole) - 2, len(whole) // 2, 200):
        refused = await client.post("/_localexa/restore", content=whole[:cut], headers=ADMIN)
        assert refused.status_code == 400, refused.text
        assert refused.json()["message"] == "The body is not valid JSON."
    assert len((await state.snapshot(app))["tables"]["lwa_tokens"]) == 11
