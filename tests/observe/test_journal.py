"""The journal: every call in and out, newest first, filterable, bounded, never in the way."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.app import create_app
from localexa.server.db.engine import create_engine
from localexa.server.observe import journal as journal_writer
from localexa.server.observe.journal_store import journal_file, open_journal_engine
from localexa.server.settings import Settings
from tests.conftest import _truncate_all
from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal


async def test_calls_are_journaled_newest_first_with_their_facts(client: httpx.AsyncClient) -> None:
    first = await client.get("/_localexa/customers", headers=ADMIN)
    second = await client.get("/_localexa/clock", headers=ADMIN)
    entries = await journal(client)
    assert [e["path"] for e in entries[:2]] == ["/_localexa/clock", "/_localexa/customers"]
    newest = entries[0]
    assert newest["requestId"] == second.headers["X-Amzn-RequestId"]
    assert entries[1]["requestId"] == first.headers["X-Amzn-RequestId"]
    assert newest["method"] == "GET"
    assert newest["status"] == 200
    assert newest["direction"] == "inbound"
    assert newest["caller"] == "admin"
    assert newest["region"] == "NA"
    assert newest["route"] == "/_localexa/clock"
    assert newest["latencyMs"] >= 0
    assert datetime.fromisoformat(newest["time"]).tzinfo is not None
    assert json.loads(newest["responseBody"])["now"]
    assert newest["requestHeaders"]["x-localexa-admin-key"] == "[redacted]"


async def test_a_journal_read_does_not_wait_for_the_writers_linger(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer lingers to batch a burst; a read (which flushes first) cuts the linger short."""
    monkeypatch.setattr(journal_writer, "LINGER_SECONDS", 60.0)
    await client.get("/_localexa/customers", headers=ADMIN)  # the writer now lingers on it
    entries = await asyncio.wait_for(journal(client, path="/_localexa/customers"), 10)
    assert len(entries) == 1


async def test_time_is_localexas_clock(client: httpx.AsyncClient, admin: Admin) -> None:
    await admin.advance_clock(10 * 86400)
    await client.get("/_localexa/customers", headers=ADMIN)
    [entry] = await journal(client, path="/_localexa/customers")
    assert datetime.fromisoformat(entry["time"]) > datetime.now(UTC) + timedelta(days=9)


async def test_customer_and_skill_are_attributed(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    skill = await admin.skill(customer)
    await client.get(f"/v1/skills/{skill.skill_id}/credentials")
    [created] = await journal(client, path="/_localexa/customers")
    assert created["customer"] == customer.user_id
    [skill_call] = await journal(client, path="/v1/skills/")
    assert skill_call["skill"] == skill.skill_id
    [skill_created] = await journal(client, path="/_localexa/skills")
    assert skill_created["skill"] == skill.skill_id
    await client.get(f"/_localexa/customers/{customer.user_id}", headers=ADMIN)
    [by_path] = await journal(client, path="/_localexa/customers/")
    assert by_path["customer"] == customer.user_id


async def test_filters_select_entries(client: httpx.AsyncClient, admin: Admin, app: FastAPI) -> None:
    ada = await admin.customer(name="Ada")
    bob = await admin.customer(name="Bob", region="EU")
    await client.get("/_localexa/customers/nobody", headers=ADMIN)  # 404
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8081") as eu:
        await eu.get("/_localexa/clock", headers=ADMIN)
    assert {e["customer"] for e in await journal(client, customer=ada.user_id)} == {ada.user_id}
    assert {e["customer"] for e in await journal(client, customer=bob.user_id)} == {bob.user_id}
    assert [e["status"] for e in await journal(client, status="404")] == [404]
    assert [e["status"] for e in await journal(client, status="4xx")] == [404]
    assert all(e["status"] == 201 for e in await journal(client, status="2xx", path="/_localexa/customers"))
    eu_entries = await journal(client, region="EU")
    assert [e["path"] for e in eu_entries] == ["/_localexa/clock"]
    assert all(e["region"] == "NA" for e in await journal(client, region="NA"))
    prefixed = await journal(client, path="/_localexa/customers/")
    assert [e["path"] for e in prefixed] == ["/_localexa/customers/nobody"]


async def test_since_and_until_filter_by_time(client: httpx.AsyncClient, admin: Admin) -> None:
    await client.get("/_localexa/vendors", headers=ADMIN)
    moved = datetime.fromisoformat(await admin.advance_clock(7 * 86400))
    await client.get("/_localexa/skills", headers=ADMIN)
    since = (moved - timedelta(seconds=1)).isoformat()
    assert [e["path"] for e in await journal(client, since=since)] == ["/_localexa/skills"]
    before = await journal(client, until=(moved - timedelta(days=1)).isoformat())
    assert "/_localexa/vendors" in [e["path"] for e in before]
    assert "/_localexa/skills" not in [e["path"] for e in before]
    # A `+` that a hand-written URL turned into a space still parses.
    raw = await client.get("/_localexa/journal?since=" + since, headers=ADMIN)
    assert raw.status_code == 200
    assert [e["path"] for e in raw.json()["entries"]] == ["/_localexa/skills"]


async def test_limit_and_cursor_walk_every_entry_once(client: httpx.AsyncClient) -> None:
    for _ in range(7):
        await client.get("/_localexa/clock", headers=ADMIN)
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "path": "/_localexa/clock"}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/_localexa/journal", params=params, headers=ADMIN)).json()
        seen += [e["id"] for e in body["entries"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 7
    assert seen == sorted(seen, reverse=True)


async def test_one_entry_by_id(client: httpx.AsyncClient) -> None:
    await client.get("/_localexa/clock", headers=ADMIN)
    [entry] = await journal(client)
    single = await client.get(f"/_localexa/journal/{entry['id']}", headers=ADMIN)
    assert single.json() == entry
    missing = await client.get("/_localexa/journal/999999", headers=ADMIN)
    assert missing.status_code == 404
    assert "message" in missing.json()


async def test_control_plane_calls_are_not_journaled(client: httpx.AsyncClient) -> None:
    await client.get("/_localexa/health")
    await client.get("/_localexa/ready")
    await client.get("/metrics")
    await client.get("/_localexa/journal", headers=ADMIN)
    await client.get("/console/login")
    await client.get("/console/static/console.css")
    assert await journal(client) == []


def _cursor(id_text: str) -> str:
    return base64.urlsafe_b64encode(f"journal:{id_text}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        pytest.param({"cursor": "not-a-cursor"}, "cursor", id="cursor"),
        # Cursors of the right form with ids no table holds (was an OverflowError: a 500).
        pytest.param({"cursor": _cursor("9" * 22)}, "cursor", id="cursor-id-too-big"),
        pytest.param({"cursor": _cursor(str(2**63))}, "cursor", id="cursor-id-past-int64"),
        pytest.param({"cursor": _cursor("1_000")}, "cursor", id="cursor-id-underscore"),
        pytest.param({"cursor": _cursor(" 12")}, "cursor", id="cursor-id-space"),
        pytest.param({"since": "yesterday"}, "since", id="since"),
        # Valid ISO-8601 in the year 0 once in UTC (was an OverflowError: a 500).
        pytest.param({"since": "0001-01-01T00:00:00+01:00"}, "out of range", id="since-before-year-1"),
        pytest.param({"until": "9999-12-31T23:59:59-01:00"}, "out of range", id="until-after-9999"),
        pytest.param({"status": "teapot"}, "status", id="status"),
        # Digits that are not ASCII: `int()` refused "²" (a 500) and read "٥٠٣" as 503.
        pytest.param({"status": "\u00b2"}, "status", id="status-superscript"),
        pytest.param({"status": "\u0665\u0660\u0663"}, "status", id="status-arabic-indic"),
        pytest.param({"direction": "sideways"}, "direction", id="direction"),
        # Matched nothing and answered an empty page, while the console said 400 (QA 2026-12-06).
        pytest.param(
            {"path": "v1"}, "path: 'v1' matches no call: a path starts with / (such as /v1).", id="path"
        ),
        # Ignored, and every entry listed as if filtered (QA of 2026-12-06).
        pytest.param({"method": "HEAD"}, "method: not a parameter of GET /_localexa/journal", id="unknown"),
        pytest.param({"reqestId": "x", "limit": "1"}, "reqestId: not a parameter", id="misspelt"),
        pytest.param({"request_id": "x"}, "it takes caller, cursor, customer,", id="unknown-lists-them"),
        # The value as the console takes it, trimmed: `%20/v1` was refused "(such as / /v1)".
        pytest.param({"path": " v1"}, "path: 'v1' matches no call", id="path-trimmed"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    response = await client.get("/_localexa/journal", params=params, headers=ADMIN)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


async def test_a_path_is_trimmed_as_the_console_trims_it(client: httpx.AsyncClient) -> None:
    await client.get("/_localexa/clock", headers=ADMIN)
    answer = await client.get("/_localexa/journal", params={"path": " /_localexa/clock "}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert [entry["path"] for entry in answer.json()["entries"]] == ["/_localexa/clock"]


async def test_journal_needs_the_admin_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/_localexa/journal")
    assert response.status_code == 401
    assert "message" in response.json()


class _TokenServer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"access_token": "skill-access-secret", "refresh_token": "skill-refresh-secret"})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def token_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


async def test_outbound_calls_are_journaled_redacted(
    client: httpx.AsyncClient, app: FastAPI, token_server: str
) -> None:
    await app.state.outbound.request(
        "POST",
        token_server,
        timeout=5,
        headers={"Authorization": "Basic YWxleGEtc2tpbGw6c2tpbGwtY2xpZW50LXNlY3JldA=="},
        data={"grant_type": "authorization_code", "code": "the-auth-code", "code_verifier": "the-verifier"},
    )
    [entry] = await journal(client, direction="outbound")
    # Any case, as the console's filter and the region take it (since 2026-12-06; a 400 before).
    assert await journal(client, direction="OutBound") == [entry]
    assert entry["url"] == token_server
    assert entry["path"] == "/token"
    assert entry["status"] == 200
    assert entry["caller"] == "localexa"
    text = json.dumps(entry)
    for secret in ("the-auth-code", "the-verifier", "skill-access-secret", "skill-refresh-secret", "YWxleGE"):
        assert secret not in text
    assert "grant_type=authorization_code" in entry["requestBody"]
    assert json.loads(entry["responseBody"]) == {"access_token": "[redacted]", "refresh_token": "[redacted]"}


class _FormTokenServer(BaseHTTPRequestHandler):
    """A token URL that answers as a form (as GitHub's does unless asked for JSON), with a cookie."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        body = b"access_token=opaque-access-1&refresh_token=opaque-refresh-2&token_type=bearer"
        self.send_response(200)
        self.send_header("content-type", "application/x-www-form-urlencoded")
        self.send_header("set-cookie", "session=cookie-secret-3")
        self.send_header("x-request-trace", "trace-7")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


async def test_outbound_answers_keep_their_headers_and_a_form_is_redacted_as_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FormTokenServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/token"
        await app.state.outbound.request("POST", url, timeout=5, data={"grant_type": "refresh_token"})
    finally:
        server.shutdown()
        server.server_close()
    [entry] = await journal(client, direction="outbound")
    headers = entry["responseHeaders"]
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-request-trace"] == "trace-7"
    assert headers["set-cookie"] == "[redacted]"
    text = json.dumps(entry)
    for secret in ("opaque-access-1", "opaque-refresh-2", "cookie-secret-3"):
        assert secret not in text
    assert "token_type=bearer" in entry["responseBody"]


async def test_outbound_failure_is_journaled(client: httpx.AsyncClient, app: FastAPI) -> None:
    from localexa.server.core.http import OutboundError

    with pytest.raises(OutboundError):
        await app.state.outbound.request("POST", "http://127.0.0.1:9/token", timeout=2, data={"code": "c0de"})
    [entry] = await journal(client, direction="outbound")
    assert entry["status"] is None
    assert entry["error"]
    assert "c0de" not in json.dumps(entry)


async def test_failing_journal_writes_never_break_requests(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(app.state.journal, "_write", broken)
    response = await client.get("/_localexa/clock", headers=ADMIN)
    assert response.status_code == 200
    await app.state.journal.flush()
    monkeypatch.undo()
    await client.get("/_localexa/customers", headers=ADMIN)
    assert [e["path"] for e in await journal(client)] == ["/_localexa/customers"]


async def test_a_failing_recorder_never_breaks_calls_in_or_out(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch, token_server: str
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("recorder broke")

    monkeypatch.setattr(app.state.journal, "record", broken)
    assert (await client.get("/_localexa/clock", headers=ADMIN)).status_code == 200
    answer = await app.state.outbound.request("POST", token_server, timeout=5, data={"code": "x"})
    assert answer.status == 200


@pytest.fixture
async def small_journal(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update={"journal_retention": 3}))
    async with application.router.lifespan_context(application):
        await _truncate_all(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
            yield c


async def test_retention_keeps_the_newest_entries(small_journal: httpx.AsyncClient) -> None:
    for path in ("customers", "vendors", "skills", "lwa-clients", "clock"):
        await small_journal.get(f"/_localexa/{path}", headers=ADMIN)
        await small_journal.get("/_localexa/journal", headers=ADMIN)  # one batch per call
    entries = await journal(small_journal)
    assert [e["path"] for e in entries] == ["/_localexa/clock", "/_localexa/lwa-clients", "/_localexa/skills"]


def test_the_journal_has_its_own_sqlite_file(tmp_path: Path) -> None:
    assert journal_file(f"sqlite+aiosqlite:///{tmp_path}/state.db") == tmp_path / "state-journal.db"
    assert journal_file("sqlite+aiosqlite://") is None
    assert journal_file("postgresql+asyncpg://u@h/db") is None


async def test_a_journal_file_with_old_columns_is_recreated(tmp_path: Path) -> None:
    state = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    old = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state-journal.db'}")
    async with old.begin() as conn:
        await conn.execute(text("CREATE TABLE journal_entries (id INTEGER PRIMARY KEY, gone TEXT)"))
    await old.dispose()
    engine = await open_journal_engine(state)
    async with engine.connect() as conn:
        columns = (await conn.execute(text("SELECT * FROM journal_entries"))).keys()
    assert "gone" not in columns
    assert "request_id" in columns
    await engine.dispose()
    await state.dispose()


async def test_the_path_filter_is_an_exact_prefix_on_both_databases(client: httpx.AsyncClient) -> None:
    """SQLite's LIKE ignores ASCII case (PostgreSQL's does not), and `%` or `_` are wildcards to
    it: the filter is a plain prefix on both."""
    await client.get("/_localexa/customers", headers=ADMIN)
    assert [e["path"] for e in await journal(client, path="/_localexa/customers")] == ["/_localexa/customers"]
    assert await journal(client, path="/_LOCALEXA/customers") == []
    assert await journal(client, path="/_localexa/c_stomers") == []
    assert await journal(client, path="/_localexa/%") == []


async def test_a_body_with_a_lone_surrogate_is_journaled_beside_its_neighbours(
    client: httpx.AsyncClient,
) -> None:
    """JSON's `"\\ud800"` decodes to a character no database stores as text: the journal once lost
    the whole batch it came in (every call of the moment, not only the odd one)."""
    odd = b'{"grant_type":"refresh_token","refresh_token":"x","client_id":"\\ud800"}'
    before = await client.post("/auth/o2/token", data={"grant_type": "refresh_token"})
    refused = await client.post("/auth/o2/token", content=odd, headers={"Content-Type": "application/json"})
    after = await client.post("/auth/o2/token", data={"grant_type": "password"})
    assert refused.status_code in (400, 401)
    entries = await journal(client, path="/auth/o2/token")
    assert [e["requestId"] for e in entries] == [
        r.headers["X-Amzn-RequestId"] for r in (after, refused, before)
    ]
    # Stored as the escape it came in as: the journaled body still reads as the JSON that was sent.
    assert json.loads(entries[1]["requestBody"])["client_id"] == "\ud800"


async def test_a_row_the_database_refuses_loses_only_itself(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a row holds that the database will not take, the rest of its batch is written."""
    from localexa.server.observe import journal as journal_module
    from localexa.server.observe.exchange import Attribution, Exchange, to_row

    def refused_by_the_database(exchange: Exchange) -> tuple[dict[str, Any], Attribution]:
        row, who = to_row(exchange)
        if row["path"].endswith("/customers"):
            row["path"] += "\ud800"  # past `storable`: neither SQLite nor PostgreSQL encodes it
        return row, who

    monkeypatch.setattr(journal_module, "to_row", refused_by_the_database)
    await client.get("/_localexa/clock", headers=ADMIN)
    await client.get("/_localexa/customers", headers=ADMIN)
    await client.get("/_localexa/faults", headers=ADMIN)
    await app.state.journal.flush()
    monkeypatch.undo()
    assert [e["path"] for e in await journal(client)] == ["/_localexa/faults", "/_localexa/clock"]


async def test_a_journal_file_of_an_older_release_gets_new_columns_and_keeps_its_entries(
    tmp_path: Path,
) -> None:
    """A newer release that adds a journal column must not empty every user's journal file."""
    state = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    await (await open_journal_engine(state)).dispose()  # today's file, then made "older"
    old = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state-journal.db'}")
    async with old.begin() as conn:
        await conn.execute(text("DROP INDEX ix_journal_entries_skill"))
        await conn.execute(text("ALTER TABLE journal_entries DROP COLUMN skill"))
        await conn.execute(text("ALTER TABLE journal_entries DROP COLUMN fault_id"))
        await conn.execute(
            text(
                "INSERT INTO journal_entries (at, direction, method, path, latency_ms, request_headers,"
                " response_headers, request_id) VALUES ('2026-12-01 10:00:00', 'inbound', 'GET',"
                " '/_localexa/clock', 1.5, '{}', '{}', 'req-kept')"
            )
        )
    await old.dispose()
    engine = await open_journal_engine(state)
    async with engine.begin() as conn:
        rows = (await conn.execute(text("SELECT request_id, skill, fault_id FROM journal_entries"))).all()
        assert [tuple(r) for r in rows] == [("req-kept", None, None)]
        indexes = (await conn.execute(text("PRAGMA index_list(journal_entries)"))).all()
        assert "ix_journal_entries_skill" in {r[1] for r in indexes}
        await conn.execute(text("UPDATE journal_entries SET skill = 'amzn1.ask.skill.x', fault_id = 'f1'"))
    await engine.dispose()
    await state.dispose()


async def test_a_token_in_the_path_is_redacted(client: httpx.AsyncClient, admin: Admin) -> None:
    """README Journal: LWA tokens are redacted anywhere in any text; the path kept them whole
    (and the console showed them) while the body of the same 404 had them redacted."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    token = (await admin.tokens(client_id, customer.user_id, ["profile"]))["access_token"]
    assert (await client.get(f"/foo/{token}")).status_code == 404
    entries = await journal(client, path="/foo/")
    assert entries, "the call was journaled"
    assert entries[0]["path"] == "/foo/Atza|[redacted]"
    assert token.split("|", 1)[1] not in json.dumps(entries)


async def test_profile_and_tokeninfo_calls_are_attributed(client: httpx.AsyncClient, admin: Admin) -> None:
    """README Journal: caller is the token's LWA client, customer its user; these two LWA routes
    check their token themselves and were journaled with neither."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    token = (await admin.tokens(client_id, customer.user_id, ["profile"]))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/user/profile", headers=auth)).status_code == 200
    assert (await client.get("/auth/o2/tokeninfo", params={"access_token": token})).status_code == 200
    for path in ("/user/profile", "/auth/o2/tokeninfo"):
        entry = (await journal(client, path=path))[0]
        assert (entry["caller"], entry["customer"]) == (client_id, customer.user_id), path
    assert len(await journal(client, customer=customer.user_id)) >= 2


async def test_the_demo_callback_pages_code_is_redacted_in_the_journal(client: httpx.AsyncClient) -> None:
    """The page shows a live code in `<code id="code">`: the query's `code=` was redacted, the
    response body kept it, and a code copied from the console's journal could be exchanged."""
    code = "ANliveCodeXYZ123"
    page = await client.get("/_localexa/demo/callback", params={"code": code, "state": "s"})
    assert page.status_code == 200
    assert code in page.text
    entry = (await journal(client, path="/_localexa/demo/callback"))[0]
    assert code not in json.dumps(entry)
    assert '<code id="code">[redacted]</code>' in entry["responseBody"]
