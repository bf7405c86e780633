"""HEAD on every resource GET serves (RFC 9110 §9.3.2; core/head.py): the GET's status and header
fields, `Content-Length` of the GET's body included, and no body, whatever answers it (the route,
its token check, its rate limit, a fault, the 405 of a method no route takes).

Answers are read as ASGI messages, as a server gets them: httpx drops a HEAD's body itself, so it
could not tell whether the app sent one.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from localexa.server.core import rate_limit
from localexa.server.core.rate_limit import WindowLimiter
from tests.conftest import ADMIN_KEY
from tests.credential_locker.conftest import PATH as LOCKER
from tests.credential_locker.conftest import make_locker, network
from tests.enablement.helpers import bearer, customer_token, developer_path, developer_token
from tests.factories import Admin
from tests.observe.helpers import ADMIN, add_fault, journal

#: Header fields that differ between two answers of the same resource: a new request id, the
#: console's new sign-in session cookie.
_PER_CALL = frozenset({"x-amzn-requestid", "set-cookie"})
#: GET routes outside the OpenAPI document (it lists only API operations).
_UNDOCUMENTED = (
    "/metrics",
    "/_localexa/openapi.json",
    "/_localexa/docs",
    "/auth/O2/tokeninfo",
    "/console",
    "/console/login",
    "/console/static/console.css",
)
#: Their bodies change with every call made before them (counters, the journal's entries).
_CHANGING = frozenset({"/metrics", "/_localexa/journal"})


@pytest.fixture
def backend() -> str:
    """HEAD is decided above the database (the GET's route runs as for a GET, on either), so
    these tests run on SQLite only (conftest's `backend` runs a test on both)."""
    return "sqlite"


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    messages: int

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def fields(self, *, but: frozenset[str] = _PER_CALL) -> list[tuple[str, str]]:
        return sorted((key, value) for key, value in self.headers if key not in but)


async def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str] | None = None, *, port: int = 8080
) -> Answer:
    """One call straight into the app, as uvicorn hands it over; every body chunk is kept."""
    target, _, query = path.partition("?")
    sent: list[Message] = []
    answered = asyncio.Event()
    requests: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await answered.wait()  # the client stays until it has its answer
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    given = {"host": f"127.0.0.1:{port}", **{k.lower(): v for k, v in (headers or {}).items()}}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in given.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", port),
    }
    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start", sent
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert sent[-1]["type"] == "http.response.body", sent
    assert not sent[-1].get("more_body"), sent
    fields = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return Answer(start["status"], fields, body, len(sent))


async def same_but_no_body(
    app: FastAPI, path: str, headers: dict[str, str] | None = None, *, port: int = 8080
) -> tuple[Answer, Answer]:
    """GET then HEAD of `path`: the HEAD has the GET's status and header fields, and no body."""
    got = await call(app, "GET", path, headers, port=port)
    head = await call(app, "HEAD", path, headers, port=port)
    assert head.body == b"", (path, head)
    assert head.status == got.status, (path, got, head)
    assert sorted(k for k, _ in head.headers) == sorted(k for k, _ in got.headers), (path, got, head)
    if path.split("?")[0] not in _CHANGING:
        assert head.fields() == got.fields(), (path, got, head)
        assert head.header("content-length") in (None, str(len(got.body))), (path, got, head)
    return got, head


async def test_every_get_route_answers_head(app: FastAPI, client: httpx.AsyncClient) -> None:
    document = (await client.get("/_localexa/openapi.json")).json()
    documented = [path for path, item in document["paths"].items() if "get" in item]
    assert len(documented) >= 20, documented
    # HEAD is implied by GET; the document keeps one operation per GET.
    assert not [path for path, item in document["paths"].items() if "head" in item]
    statuses = set()
    for template in [*documented, *_UNDOCUMENTED]:
        path = re.sub(r"\{[^}]+\}", "x", template)
        got, _ = await same_but_no_body(app, path, {"X-Localexa-Admin-Key": ADMIN_KEY})
        assert got.status != 405, template
        statuses.add(got.status)
    assert {200, 303, 400, 401, 404} <= statuses  # answers, redirects and errors alike


async def test_head_reads_what_the_token_allows(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    path = developer_path(skill.skill_id)
    missing, _ = await same_but_no_body(app, path, bearer(token))
    assert missing.status == 404
    assert missing.header("content-length") != "0"
    assert (await client.put(path, headers=bearer(token))).status_code == 204
    enabled, _ = await same_but_no_body(app, path, bearer(token))
    assert enabled.status == 204  # the enablement status GET of bench/per_request.py

    locker = await make_locker(client, admin)
    assert (await locker.put(network())).status_code == 200
    read, head = await same_but_no_body(app, f"{LOCKER}?extendedPanId=dead00beef00cafe", locker.headers)
    assert read.status == 200
    assert b"networkKey" in read.body
    assert head.header("content-length") == str(len(read.body))
    assert head.header("content-type") == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/user/profile", id="lwa-profile"),
        pytest.param("/auth/o2/tokeninfo?access_token=Atza%7Cnope", id="lwa-tokeninfo"),
        pytest.param("/v1/skills/amzn1.ask.skill.x/stages/development/enablement", id="smapi"),
        pytest.param(f"{LOCKER}?extendedPanId=dead00beef00cafe", id="credential-locker"),
        pytest.param("/_localexa/customers", id="admin"),
    ],
)
async def test_head_without_a_credential_gets_the_gets_refusal(app: FastAPI, path: str) -> None:
    got, head = await same_but_no_body(app, path)
    assert got.status in (400, 401), got
    if path.startswith(("/user/", "/auth/")):
        assert head.header("cache-control") == "no-store"
    if path == "/user/profile":
        assert head.header("www-authenticate"), head  # RFC 6750 §3


async def test_head_counts_in_the_gets_rate_limit(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    locker = await make_locker(client, admin)
    app.state.rate_limiter = WindowLimiter.from_settings("1/minute", None)
    # `Retry-After` counts whole seconds to the window's reset from the wall clock's now: a GET and
    # a HEAD on either side of a second (any run, more often on a loaded machine) answered 60 and
    # 59. The limiter's now stands still here, so the two answers must match to the field.
    stopped = time.time()
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: stopped))
    path = f"{LOCKER}?extendedPanId=dead00beef00cafe"
    assert (await call(app, "HEAD", path, locker.headers)).status == 200
    assert (await locker.get(extendedPanId="dead00beef00cafe")).status_code == 429  # spent by the HEAD
    got, head = await same_but_no_body(app, path, locker.headers)
    assert head.status == 429
    assert head.header("retry-after") == got.header("retry-after")


async def test_head_in_each_region(app: FastAPI, admin: Admin) -> None:
    for region, port in (("NA", 8080), ("EU", 8081), ("FE", 8082)):
        token = await customer_token(admin, await admin.customer(region=region))
        got, head = await same_but_no_body(app, "/v1/alexaApiEndpoint", bearer(token), port=port)
        assert got.status == 200
        assert f":{port}".encode() in got.body
        assert head.header("content-length") == str(len(got.body))


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("HEAD", "/v3/events", "POST", id="head-on-post-only"),
        pytest.param("HEAD", "/auth/o2/token", "POST", id="head-on-lwa-token"),
        pytest.param("POST", "/_localexa/health", "GET, HEAD", id="post-on-get-only"),
        pytest.param(
            "PATCH", "/v1/skills/x/stages/development/enablement", "DELETE, GET, HEAD, PUT", id="smapi"
        ),
        pytest.param("DELETE", LOCKER, "GET, HEAD, PUT", id="credential-locker"),
        pytest.param("PUT", "/_localexa/journal", "GET, HEAD", id="included-in-a-router"),
    ],
)
async def test_a_method_no_route_takes_is_405_allowing_head_with_get(
    app: FastAPI, method: str, path: str, allow: str
) -> None:
    answer = await call(app, method, path, ADMIN)
    assert answer.status == 405, answer
    assert answer.header("allow") == allow
    assert answer.header("x-amzn-requestid")
    assert int(answer.header("content-length") or 0) > 0  # the error's length, in the API's shape
    if method == "HEAD":
        assert answer.body == b""
        assert (await call(app, "POST", path, ADMIN)).status != 405  # the path is there


async def test_an_unknown_path_is_404_without_a_body(app: FastAPI) -> None:
    answer = await call(app, "HEAD", "/v1/nothing/here", ADMIN)
    assert answer.status == 404
    assert answer.body == b""
    assert int(answer.header("content-length") or 0) > 0


async def test_the_journal_records_a_head_without_its_body(app: FastAPI, client: httpx.AsyncClient) -> None:
    got, head = await same_but_no_body(app, "/_localexa/clock", ADMIN)
    entries = await journal(client, path="/_localexa/clock")
    assert [e["method"] for e in entries[:2]] == ["HEAD", "GET"]
    as_head, as_get = entries[0], entries[1]
    assert as_head["requestId"] == head.header("x-amzn-requestid")
    assert as_head["status"] == 200
    assert as_head["route"] == "/_localexa/clock"
    assert as_head["responseHeaders"]["content-length"] == str(len(got.body))
    assert not as_head["responseBody"]  # what crossed the wire
    assert as_get["responseBody"]


async def test_a_get_fault_answers_head_too(app: FastAPI, client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    path = f"/_localexa/customers/{customer.user_id}"
    fault = await add_fault(client, method="GET", path="/_localexa/customers/{id}", status=503, count=1)
    head = await call(app, "HEAD", path, ADMIN)
    assert head.status == 503
    assert head.body == b""
    assert head.header("x-localexa-fault") == fault
    assert int(head.header("content-length") or 0) > 0
    entry = (await journal(client, path=path))[0]
    assert (entry["method"], entry["faultId"], entry["route"]) == (
        "HEAD",
        fault,
        "/_localexa/customers/{user_id}",
    )
    assert not entry["responseBody"]
    assert (await call(app, "GET", path, ADMIN)).status == 200  # the count was spent by the HEAD


async def test_a_fault_matches_head_by_its_method(app: FastAPI, client: httpx.AsyncClient) -> None:
    """GET and `*` faults match HEAD; a HEAD fault matches HEAD only; other methods' never."""
    for fault_method, path in (
        ("HEAD", "/_localexa/vendors"),
        ("*", "/_localexa/skills"),
        ("POST", "/_localexa/clock"),
    ):
        await add_fault(client, method=fault_method, path=path, status=429, retryAfter=7)
    for method, path, faulted in (
        ("HEAD", "/_localexa/vendors", True),
        ("GET", "/_localexa/vendors", False),
        ("HEAD", "/_localexa/skills", True),
        ("HEAD", "/_localexa/clock", False),
    ):
        answer = await call(app, method, path, ADMIN)
        assert (answer.status == 429) is faulted, (method, path, answer)
        if faulted:
            assert answer.header("retry-after") == "7"
            assert answer.body == b""
