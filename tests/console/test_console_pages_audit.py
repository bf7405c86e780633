"""Console pages: paging of tables, hidden URL passwords, journal ids, the clock form, headers
(audit F2, F5, F6, F10)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from localexa.server.console import steer
from localexa.server.console.queries import PAGE_ROWS
from localexa.server.db.models import metadata
from tests.console.test_console import _csrf, sign_in
from tests.factories import Admin
from tests.observe.helpers import add_fault

_OLDER = re.compile(r'<a href="(/console/customers\?[^"]+)">Older rows →</a>')
_CUSTOMER_ID = re.compile(r"journal\?customer=(test-[0-9]+)")


async def test_an_entry_id_beyond_64_bits_is_not_found(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    for entry_id in ("99999999999999999999", "-99999999999999999999", str(2**63)):
        response = await client.get(f"/console/journal/{entry_id}")
        assert response.status_code == 404, entry_id
        assert "No journal entry" in response.text


async def test_the_console_never_asks_the_journal_for_an_id_beyond_64_bits(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's own guard, whatever the journal reader does (SQLite cannot bind such an id)."""

    async def unguarded_reader(_app: FastAPI, entry_id: int) -> None:
        if not -(2**63) <= entry_id < 2**63:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(steer, "read_entry", unguarded_reader)
    await sign_in(client)
    response = await client.get("/console/journal/99999999999999999999")
    assert response.status_code == 404
    assert "No journal entry 99999999999999999999" in response.text


async def test_url_passwords_are_hidden_in_table_cells(client: httpx.AsyncClient, admin: Admin) -> None:
    linking = {
        "type": "AUTH_CODE",
        "authorizationUrl": "http://127.0.0.1:9/authorize",
        "accessTokenUrl": "http://user:SUPERSECRETPW@127.0.0.1:9/token",
        "clientId": "alexa-skill",
        "clientSecret": "s3cret-value",
        "accessTokenScheme": "HTTP_BASIC",
        "scopes": ["lights"],
        "redirectUrls": ["https://app.example.com/alexa"],
    }
    await admin.skill(account_linking=linking, endpoint="https://bob:ENDPOINTPW@skill.example/x")
    await sign_in(client)
    page = (await client.get("/console/skills")).text
    assert "127.0.0.1:9/token" in page
    assert "SUPERSECRETPW" not in page
    assert "ENDPOINTPW" not in page


async def test_table_pages_reach_every_row(client: httpx.AsyncClient, app: FastAPI) -> None:
    # Rows made in one instant: only the primary key tells them apart.
    same_instant = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {
            "id": f"test-{n:04d}",
            "name": f"Customer {n}",
            "email": f"c{n}@example.com",
            "password_hash": "x",
            "region": "NA",
            "created_at": same_instant,
        }
        for n in range(2 * PAGE_ROWS + 50)
    ]
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(metadata.tables["customers"]), rows)
    await sign_in(client)
    seen: list[str] = []
    url: str | None = "/console/customers?region=NA"
    pages = 0
    while url is not None:
        page = await client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200
        seen.extend(_CUSTOMER_ID.findall(page.text))
        found = _OLDER.search(page.text)
        url = found.group(1) if found else None
        if url is not None:
            assert "region=NA" in url  # the filter goes along
        pages += 1
    assert pages == 3
    assert seen == sorted((row["id"] for row in rows), reverse=True)


async def test_a_bad_cursor_is_a_clear_400(client: httpx.AsyncClient) -> None:
    await sign_in(client)

    def encoded(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    for cursor in (
        "not-a-cursor!",
        "é",
        encoded([1]),
        encoded(["2025-05-01T10:00:00+00:00", 5]),
        encoded(["yesterday", "test-1"]),
        encoded(["2025-05-01T10:00:00+00:00", "\ud800"]),
        encoded(["2025-05-01T10:00:00+00:00", "a\x00"]),
        encoded({"a": 1}),
        "W" * 10 + "[" * 5000,
    ):
        response = await client.get("/console/customers", params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert "text/html" in response.headers["content-type"]
        assert "cursor" in response.text


async def test_the_clock_form_names_both_bounds_and_takes_plain_digits(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/clock")).text)
    for seconds in ("315360001", "1e308", "0", "-5"):
        refused = await client.post("/console/clock", data={"csrf_token": csrf, "seconds": seconds})
        assert refused.status_code == 400, seconds
        assert "greater than 0" in refused.text
        assert "315360000" in refused.text
        assert "10 years" in refused.text
    for seconds in ("1_000", "１２", "٣", "1e3", " ", "0x10", "1.5.5"):
        refused = await client.post("/console/clock", data={"csrf_token": csrf, "seconds": seconds})
        assert refused.status_code == 400, seconds
    for seconds in ("3600", "0.5", "315360000", ".5"):
        moved = await client.post("/console/clock", data={"csrf_token": csrf, "seconds": seconds})
        assert moved.status_code == 303, seconds


async def test_every_column_header_has_a_name(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/x", status=503)
    await sign_in(client)
    for path in ("/console/journal", "/console/faults"):
        page = (await client.get(path)).text
        assert "<th></th>" not in page, path
        assert 'class="visually-hidden"' in page
