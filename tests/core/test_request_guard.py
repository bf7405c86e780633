"""The request guard (core/request_guard.py): U+0000 is refused at the door with a 400 in each API's
own shape, on SQLite as on PostgreSQL (which cannot store it: these were 500s there), and a body
over the cap is a 413 even when it comes chunked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from starlette.types import Message

from localexa.server.core.error_handlers import install_error_handlers
from localexa.server.core.errors import ApiFamily
from localexa.server.core.families import FamilyRouter
from localexa.server.core.request_guard import SERVED_METHODS, holds_nul
from tests.conftest import ADMIN_KEY
from tests.console.test_console import _csrf, sign_in
from tests.factories import Admin
from tests.observe.helpers import journal

ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}
NUL_SAYS = "holds the character U+0000 (NUL)"


@pytest.mark.parametrize(
    ("body", "form", "nul"),
    [
        pytest.param(b'{"name": "A\\u0000b"}', False, True, id="json-escape"),
        pytest.param(b'{"name": "A\\\\\\u0000b"}', False, True, id="json-escaped-backslash-then-nul"),
        pytest.param(b'{"name": "A\\\\u0000b"}', False, False, id="json-backslash-then-text-u0000"),
        pytest.param(b'{"url": "https://x.example/?a=%00"}', False, False, id="json-text-percent-00"),
        pytest.param(b"name=A%00b", True, True, id="form-percent-00"),
        pytest.param(b"name=A%2500b", True, False, id="form-percent-25-00"),
        pytest.param(b"name=A\x00b", True, True, id="form-raw"),
        pytest.param(b'{"name": "A\x00b"}', False, True, id="json-raw"),
        pytest.param(b'{"name": "Ada"}', False, False, id="plain"),
    ],
)
def test_what_holds_nul(body: bytes, form: bool, nul: bool) -> None:
    assert holds_nul(body, form=form) is nul


async def test_nul_in_an_admin_body_is_refused_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    body = '{"name": "A\\u0000b", "email": "nul@example.com", "password": "pw123456"}'
    response = await client.post(
        "/_localexa/customers", content=body, headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert NUL_SAYS in response.json()["message"]
    listed = await client.get("/_localexa/customers", headers=ADMIN)
    assert "nul@example.com" not in listed.text


async def test_an_escaped_backslash_before_u0000_is_text_and_kept(client: httpx.AsyncClient) -> None:
    body = '{"name": "A\\\\u0000b", "email": "text@example.com", "password": "pw123456"}'
    response = await client.post(
        "/_localexa/customers", content=body, headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "A\\u0000b"


async def _post_fault_as_multipart(client: httpx.AsyncClient, path: bytes) -> httpx.Response:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    parts = [(b"csrf_token", csrf.encode()), (b"path", path), (b"status", b"503")]
    body = b"".join(
        b'--lxb\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in parts
    )
    return await client.post(
        "/console/faults",
        content=body + b"--lxb--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=lxb"},
    )


@pytest.mark.parametrize(
    "text", [pytest.param(b"/a\\u0000b", id="backslash-u0000"), pytest.param(b"/a%00b", id="percent-00")]
)
async def test_in_a_multipart_part_an_escape_is_just_text(client: httpx.AsyncClient, text: bytes) -> None:
    """A multipart part is raw text: `\\u0000` or `%00` there are characters, not NUL (the first
    was refused as NUL before)."""
    answer = await _post_fault_as_multipart(client, text)
    assert answer.status_code == 303, answer.text
    faults = (await client.get("/_localexa/faults", headers=ADMIN)).json()
    assert [fault["path"] for fault in faults] == [text.decode()]


async def test_a_raw_nul_in_a_multipart_part_is_refused(client: httpx.AsyncClient) -> None:
    answer = await _post_fault_as_multipart(client, b"/a\x00b")
    assert answer.status_code == 400
    assert "U+0000 (NUL)" in answer.text
    assert (await client.get("/_localexa/faults", headers=ADMIN)).json() == []


async def test_nul_in_a_path_or_query_gets_each_apis_shape(client: httpx.AsyncClient) -> None:
    smapi = await client.get(
        "/v1/skills/abc%00/stages/development/enablement", headers={"Authorization": "Bearer x"}
    )
    assert smapi.status_code == 400
    assert smapi.json()["code"] == "INVALID_REQUEST"
    assert NUL_SAYS in smapi.json()["violations"][0]["message"]
    admin = await client.get("/_localexa/customers/abc%00def", headers=ADMIN)
    assert admin.status_code == 400
    assert NUL_SAYS in admin.json()["message"]
    locker = await client.get("/credentiallocker/v2/threadNetworks?extendedPanId=00%00")
    assert locker.status_code == 400
    assert locker.json()["code"] == "INVALID_REQUEST"
    events = await client.post("/v3/events?x=%00", json={})
    assert events.status_code == 400
    assert events.json()["payload"]["code"] == "INVALID_REQUEST_EXCEPTION"


async def test_nul_in_a_form_gets_lwas_shape(client: httpx.AsyncClient) -> None:
    token = await client.post(
        "/auth/o2/token",
        content=b"grant_type=refresh_token&refresh_token=Atzr|a%00b&client_id=x&client_secret=y",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_request"
    assert NUL_SAYS in token.json()["error_description"]
    # The sign-in page reads its form itself: the refusal is not taken for a broken form.
    page = await client.post(
        "/ap/oa",
        content=b"action=signin&email=a%00",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 400
    assert NUL_SAYS in page.text


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_nul_split_between_two_chunks_is_found(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_localexa/customers",
        content=_chunks(b'{"name": "A\\u00', b'00b", "email": "split@example.com", "password": "pw123456"}'),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert NUL_SAYS in response.json()["message"]


async def test_a_chunked_json_body_over_the_cap_is_a_413(client: httpx.AsyncClient) -> None:
    """FastAPI turns an exception raised while it reads a JSON body into "There was an error
    parsing the body" (400): the guard's refusal must come through as what it is."""
    response = await client.post(
        "/_localexa/customers",
        content=_chunks(b'{"name": "', b"x" * 1_100_000, b'"}'),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["message"]


async def test_the_refused_call_is_journaled_with_a_stand_in(client: httpx.AsyncClient, admin: Admin) -> None:
    """PostgreSQL cannot store NUL in the journal either: the entry keeps a visible stand-in
    (and the call journaled beside it in the same batch is not lost)."""
    customer = await admin.customer()
    refused = await client.get(f"/_localexa/customers/{customer.user_id}%00", headers=ADMIN)
    kept = await client.get(f"/_localexa/customers/{customer.user_id}", headers=ADMIN)
    assert (refused.status_code, kept.status_code) == (400, 200)
    paths = [entry["path"] for entry in await journal(client, path="/_localexa/customers/")]
    assert f"/_localexa/customers/{customer.user_id}\N{SYMBOL FOR NULL}" in paths
    assert f"/_localexa/customers/{customer.user_id}" in paths


async def test_an_overlong_id_is_cut_to_fit_the_journal(client: httpx.AsyncClient) -> None:
    long_id = "x" * 300
    response = await client.get(f"/_localexa/customers/{long_id}", headers=ADMIN)
    assert response.status_code == 404
    [entry] = await journal(client, path=f"/_localexa/customers/{long_id}")
    assert entry["customer"] == "x" * 199 + "…"


class _Refused(Exception):
    """What the asyncpg adapter's errors carry: PostgreSQL's SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("sqlstate", "status"), [("22021", 400), ("22P05", 400), ("23505", 500)])
async def test_behind_the_guard_a_value_postgresql_refuses_is_a_400(sqlstate: str, status: int) -> None:
    """A NUL that came in another way (a skill's answer, say) is refused by PostgreSQL itself:
    that is the caller's data, not a server fault, so a 400 in the API's shape, not a 500."""
    app = FastAPI()
    families = FamilyRouter(default=ApiFamily.ADMIN)
    install_error_handlers(app, families)

    @app.get("/store")
    async def store() -> None:
        raise DBAPIError("INSERT …", {}, _Refused(sqlstate))

    # Raising app exceptions: a database error is answered, not re-raised for uvicorn to log.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.get("/store")
    assert response.status_code == status
    if status == 400:
        assert "cannot store (U+0000)" in response.json()["message"]


async def _raw_get(app: FastAPI, path: str, query: bytes) -> tuple[int, bytes]:
    """One GET straight through the ASGI interface, with query bytes no HTTP client would send."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer x")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "root_path": "",
    }
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.mark.parametrize(
    ("path", "says"),
    [
        pytest.param("/v1/users/~current/skills/abc/enablement", b'"message"', id="customer-api"),
        pytest.param("/console/", b"not ASCII", id="console"),
        pytest.param("/_localexa/journal", b'"message"', id="admin"),
        pytest.param("/credentiallocker/v2/threadNetworks", b'"code"', id="credential-locker"),
    ],
)
async def test_raw_bytes_in_a_query_are_a_400_in_the_apis_shape(app: FastAPI, path: str, says: bytes) -> None:
    """Bytes past ASCII in the raw query (an ASGI server other than uvicorn passes them on) were a
    UnicodeDecodeError out of Starlette's request.url, a 500."""
    status, body = await _raw_get(app, path, b"next=%2F&x=\xff\xfe")
    assert status == 400
    assert says in body
    assert b"not ASCII" in body


def test_options_asterisk_lists_every_method_a_route_answers(app: FastAPI) -> None:
    """`OPTIONS *` answers `Allow: SERVED_METHODS` (RFC 9110 §9.3.7): a route with a method of its
    own must be listed there (HEAD is answered wherever GET is, core/head.py)."""
    routed = {method for _, methods, _ in app.state.families._routes for method in methods}
    assert set(SERVED_METHODS) == routed | {"HEAD"}


async def test_two_transfer_encoding_fields_are_named_as_one_list(client: httpx.AsyncClient) -> None:
    """`Transfer-Encoding: gzip` then `Transfer-Encoding: chunked` is the list `gzip, chunked`
    (RFC 9110 §5.3); the 501 named only 'gzip' (re-verification of 2026-12-06)."""
    headers = [("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
    refused = await client.post("/_localexa/customers", content=b"{}", headers=headers)
    assert refused.status_code == 501, refused.text
    assert "the transfer coding 'gzip, chunked' (" in refused.json()["message"], refused.text
    alone = await client.post("/_localexa/customers", content=b"{}", headers={"Transfer-Encoding": "gzip"})
    assert "the transfer coding 'gzip' (" in alone.json()["message"], alone.text
