"""The web console (`/console`) through the real app, with generated paths, query strings, form
bodies and cookies: never a 5xx, every answer a console page (README "Web console": "Every
console error is a console page with its status") or a redirect inside the console, and no
generated or stored value ever reaches the HTML unescaped.

Hostile values carry MARK (a tag and an attribute-breaking quote); the data the pages show
(customers, clients, faults) and the filters a page shows again carry it too.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, assume, given
from hypothesis import strategies as st
from sqlalchemy import update

from localexa.server.console.pages import TABLE_PAGES
from localexa.server.console.session import COOKIE
from localexa.server.observe.models import Fault
from tests.conftest import ADMIN_KEY
from tests.factories import Admin
from tests.lwa.browser import BASE_URL
from tests.property import budget, cookie_headers
from tests.tampering import tampered

APP = budget(50, suppress=(HealthCheck.function_scoped_fixture,))
MARK = '<lx-mark data-lx="1">\''
RAW_MARKS = ("<lx-mark", 'data-lx="1"')
#: What a console answer may be (README "Web console"): a page, a redirect, or an error page.
CONSOLE_STATUSES = {200, 303, 400, 401, 403, 404, 405, 413, 429}
SLUGS = [page.slug for page in TABLE_PAGES]
GET_PAGES = ["", "/", "/login", "/journal", "/journal/rows", "/faults", "/clock", *(f"/{s}" for s in SLUGS)]
QUERY_NAMES = [
    "next",
    "cursor",
    "region",
    "vendor_id",
    "skill_id",
    "customer_id",
    "evaluation_id",
    "status",
    "path",
    "customer",
    "skill",
    "direction",
    "request_id",
    "since",
    "until",
]


@dataclass(frozen=True)
class Console:
    cookie: str
    csrf: str
    anonymous_cookie: str
    anonymous_csrf: str
    fault_id: str


def _csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _cookie_of(response: httpx.Response) -> str:
    found = re.search(rf"{COOKIE}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return found.group(1)


@pytest.fixture
async def console(app: FastAPI, admin: Admin) -> AsyncIterator[Console]:
    """A signed-in and an anonymous session, and rows whose text holds MARK."""
    await admin.post(
        "customers", {"name": MARK, "email": "eve@example.com", "password": "correct horse", "region": "NA"}
    )
    await admin.lwa_client(["https://app.example.com/cb?x=" + quote(MARK)], name=MARK)
    fault = await admin.post("faults", {"path": "/never/" + MARK, "status": 503})
    # A customer no customer has is a 400 through the API (since 2026-12-06): the row gets it.
    async with app.state.engine.begin() as conn:
        await conn.execute(update(Fault).values(customer=MARK))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        login = await http.get("/console/login")
        anonymous_cookie, anonymous_csrf = _cookie_of(login), _csrf_of(login)
        signed = await http.post(
            "/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": anonymous_csrf, "next": "/console"}
        )
        assert signed.status_code == 303
        cookie = _cookie_of(signed)
        http.cookies.clear()
        page = await http.get("/console/faults", headers={"cookie": f"{COOKIE}={cookie}"})
        assert page.status_code == 200
        yield Console(cookie, _csrf_of(page), anonymous_cookie, anonymous_csrf, fault["faultId"])


# -- strategies -------------------------------------------------------------------------------------

texts = st.text(max_size=30)
hostile = st.builds(lambda a, b: a + MARK + b, st.text(max_size=8), st.text(max_size=8))
long_values = st.integers(2000, 9000).map(lambda n: "y" * n + MARK)
RAW_JUNK = ["%ED%A0%80", "%FF%FE", "%C0%AF", "%00", "%", "%Z", "%%41", "+", "%2F", "%5C", "%3Cb%3E", "%0D%0A"]
junk = st.lists(
    st.sampled_from(RAW_JUNK) | texts.map(lambda t: quote(t, safe="")), min_size=1, max_size=4
).map("".join)
encoded_values = (texts | hostile | long_values).map(lambda v: quote(v, safe="")) | junk
#: Keyset cursors of the table pages' shape (created_at, key) with values at and past the limits of
#: each database's types: a cursor is any text, so a page must refuse what it did not hand out.
cursor_parts = st.one_of(
    st.sampled_from(
        [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
            "2026-02-30T00:00:00",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    st.integers(-(2**64), 2**64) | st.sampled_from([2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]),
    texts,
    st.none() | st.booleans() | st.floats(),
)
cursors = st.lists(cursor_parts, min_size=1, max_size=3).map(
    lambda values: base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
)
queries = st.lists(
    st.tuples(st.sampled_from(QUERY_NAMES) | texts.map(lambda t: quote(t, safe="")), encoded_values)
    | st.tuples(st.just("cursor"), cursors),
    max_size=4,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
#: A path segment: unicode, very long, percent-encoded slashes, dots, or raw escapes.
segments = (
    st.sampled_from(
        ["..", ".", "%2F", "%2e%2e%2f", "%5C", "99999999999999999999999", "-1", "1e3", "0x10", "%ED%A0%80"]
    )
    | (texts | hostile | long_values).map(lambda v: quote(v, safe=""))
    | junk
)


def cookies_for(console: Console) -> st.SearchStrategy[bytes | None]:
    signed_in = st.just(f"{COOKIE}={console.cookie}".encode())
    return cookie_headers(COOKIE, [console.cookie, console.anonymous_cookie]) | signed_in


# -- checks ---------------------------------------------------------------------------------------


def assert_console_answer(answer: httpx.Response) -> None:
    assert answer.status_code in CONSOLE_STATUSES, (answer.status_code, answer.text[:500])
    if answer.status_code == 303:
        location = answer.headers["location"]
        assert location.startswith("/console"), location
        assert not location.startswith("//"), location
        assert not any(c in location for c in "\\\r\n\x00 "), location
        return
    if answer.headers.get("content-type", "").startswith("text/html"):
        for raw in RAW_MARKS:
            assert raw not in answer.text, (answer.status_code, answer.text[:3000])
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Cache-Control"] == "no-store"
    if answer.status_code == 405:
        assert answer.headers["Allow"]
    if answer.status_code == 429:
        assert int(answer.headers["Retry-After"]) > 0


async def _send(
    client: httpx.AsyncClient, method: str, path: str, query: str = "", **kwargs: object
) -> httpx.Response:
    client.cookies.clear()  # only the generated Cookie header, never one the last answer set
    url = httpx.URL(BASE_URL + path, query=query.encode("ascii"))
    return await client.send(client.build_request(method, url, **kwargs))  # type: ignore[arg-type]


# -- pages ----------------------------------------------------------------------------------------


@APP
@given(data=st.data())
async def test_any_page_query_and_cookie_gets_a_console_answer(
    client: httpx.AsyncClient, console: Console, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(GET_PAGES), label="page")
    query = data.draw(queries, label="query")
    cookie = data.draw(cookies_for(console), label="cookie")
    answer = await _send(
        client, "GET", "/console" + path, query, headers={b"cookie": cookie} if cookie else {}
    )
    assert_console_answer(answer)


dates = cursor_parts.filter(lambda v: isinstance(v, str)) | st.datetimes(
    timezones=st.timezones() | st.none()
).map(lambda d: d.isoformat())
keys = st.integers(-(2**64), 2**64) | st.sampled_from([2**31, -(2**31) - 1, 2**63]) | texts
shaped_cursors = st.tuples(dates, keys).map(
    lambda values: base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")
)


@APP
@given(slug=st.sampled_from(SLUGS), cursor=shaped_cursors | cursors)
async def test_any_cursor_is_a_page_or_the_400_page(
    client: httpx.AsyncClient, console: Console, slug: str, cursor: str
) -> None:
    """Cursors shaped as the pages hand them out, (created_at, key), with values at and past what
    each column type holds: rows, or the console's 400 page, on SQLite and PostgreSQL alike."""
    headers = {b"cookie": f"{COOKIE}={console.cookie}".encode()}
    answer = await _send(client, "GET", f"/console/{slug}", f"cursor={cursor}", headers=headers)
    assert_console_answer(answer)
    assert answer.status_code in (200, 400)
    if answer.status_code == 400:
        assert "Start again from the newest rows." in answer.text


@APP
@given(data=st.data())
async def test_any_odd_path_gets_a_console_answer(
    client: httpx.AsyncClient, console: Console, data: st.DataObject
) -> None:
    shape = data.draw(
        st.sampled_from(
            ["/{}", "/journal/{}", "/faults/{}/delete", "/static/{}", "/{}/{}", "/{}/", "/faults/{}"]
        )
    )
    path = "/console" + shape.format(
        *(data.draw(segments, label="segment") for _ in range(shape.count("{}")))
    )
    # httpx resolves `.` and `..` as a browser does: a path that left the console is not its page.
    assume(httpx.URL(BASE_URL + path).path.startswith("/console"))
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]), label="method")
    headers = {
        b"cookie": f"{COOKIE}={console.cookie}".encode(),
        b"content-type": b"application/x-www-form-urlencoded",
    }
    # A delete with a CSRF token that never matches: an odd id never deletes the real fault.
    answer = await _send(client, method, path, content=b"csrf_token=wrong", headers=headers)
    assert_console_answer(answer)


# -- forms ----------------------------------------------------------------------------------------

FORMS = {
    "/console/login": ("admin_key", "csrf_token", "next"),
    "/console/faults": (
        "csrf_token",
        "method",
        "path",
        "status",
        "delayMs",
        "probability",
        "count",
        "retryAfter",
        "customer",
        "skill",
        "region",
        "seed",
    ),
    "/console/clock": ("csrf_token", "seconds"),
    "/console/faults/{fault}/delete": ("csrf_token",),
}


def fields_for(console: Console, action: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    csrf = st.sampled_from([console.csrf, console.anonymous_csrf, tampered(console.csrf), ""]) | texts
    value = (
        texts
        | hostile
        | long_values
        | st.sampled_from(
            ["/x", "GET", "503", "0.5", "1", "3600", "NA", "1e3", "-1", "１２", "nan", ADMIN_KEY]
        )
    )
    named = st.sampled_from(FORMS[action]).flatmap(
        lambda name: st.tuples(st.just(name), csrf if name == "csrf_token" else value)
    )
    return st.lists(named | st.tuples(texts, value), max_size=8)


def _urlencoded(fields: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields).encode()


def _multipart(fields: list[tuple[str, str]]) -> bytes:
    parts = [
        f'--lxb\r\nContent-Disposition: form-data; name="{k.replace(chr(34), "")}"\r\n\r\n'.encode()
        + v.encode("utf-8", "surrogatepass")
        + b"\r\n"
        for k, v in fields
    ]
    return b"".join(parts) + b"--lxb--\r\n"


def bodies_for(console: Console, action: str) -> st.SearchStrategy[tuple[bytes | None, bytes]]:
    fields = fields_for(console, action)
    form_type = st.sampled_from(
        [b"application/x-www-form-urlencoded", b"application/x-www-form-urlencoded; charset=utf-8"]
    )
    with_junk = st.tuples(fields, junk).map(lambda p: _urlencoded(p[0]) + b"&seconds=" + p[1].encode())
    raw_bytes = st.tuples(fields, st.binary(min_size=1, max_size=20)).map(
        lambda p: _urlencoded(p[0]) + b"&path=" + p[1]
    )
    return st.one_of(
        st.tuples(form_type, fields.map(_urlencoded) | with_junk | raw_bytes | st.just(b"")),
        st.tuples(
            st.just(b"multipart/form-data; boundary=lxb"), fields.map(_multipart) | st.binary(max_size=40)
        ),
        st.tuples(
            st.sampled_from([b"multipart/form-data", b"multipart/form-data; boundary="]),
            fields.map(_multipart),
        ),
        st.tuples(form_type, fields.map(_multipart)),
        st.tuples(
            st.none() | st.sampled_from([b"text/plain", b"application/json", b"", b"\xff\xfe"]),
            fields.map(_urlencoded) | st.binary(max_size=40),
        ),
    )


@APP
@given(data=st.data())
async def test_any_form_post_gets_a_console_answer(
    client: httpx.AsyncClient, console: Console, data: st.DataObject
) -> None:
    action = data.draw(st.sampled_from(sorted(FORMS)), label="form")
    content_type, body = data.draw(bodies_for(console, action), label="body")
    cookie = data.draw(cookies_for(console), label="cookie")
    headers: dict[bytes, bytes] = {}
    if content_type is not None:
        headers[b"content-type"] = content_type
    if cookie is not None:
        headers[b"cookie"] = cookie
    path = action.format(fault=console.fault_id)
    answer = await _send(client, "POST", path, content=body, headers=headers)
    assert_console_answer(answer)


@APP
@given(fields=st.data())
async def test_a_signed_in_fault_form_answers_in_the_form_or_creates_the_fault(
    client: httpx.AsyncClient, console: Console, fields: st.DataObject
) -> None:
    """The real session and CSRF token with generated fault fields: the fault is created (303 to
    the faults page) or the form comes back (400) with its errors, every value escaped."""
    given_fields = fields.draw(fields_for(console, "/console/faults"), label="fields")
    form = [("csrf_token", console.csrf), *[(k, v) for k, v in given_fields if k != "csrf_token"]]
    headers = {
        b"content-type": b"application/x-www-form-urlencoded",
        b"cookie": f"{COOKIE}={console.cookie}".encode(),
    }
    answer = await _send(client, "POST", "/console/faults", content=_urlencoded(form), headers=headers)
    assert_console_answer(answer)
    if any("\x00" in k or "\x00" in v for k, v in form):
        assert answer.status_code == 400  # the request guard's refusal, as a console page
    else:
        assert answer.status_code in (303, 400), answer.text[:500]
        if answer.status_code == 303:
            assert answer.headers["location"] == "/console/faults"
        else:
            assert 'role="alert"' in answer.text or 'class="error' in answer.text, answer.text[:2000]


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


#: Fault field values as bytes: valid ones, UTF-8 text, or bytes that are not UTF-8. Without NUL,
#: ED (a surrogate's first byte) and backslash: the request guard refuses NUL, `\u0000` and
#: surrogates in a multipart body before the form is read (core/request_guard.py).
fault_bytes = st.one_of(
    st.sampled_from([b"/x", b"503", b"GET", b"0.5", b"caf\xc3\xa9"]),
    st.text(st.characters(exclude_characters="\x00\\", exclude_categories=["Cs"]), max_size=10).map(
        str.encode
    ),
    st.binary(min_size=1, max_size=6).filter(lambda b: not {0x00, 0xED, 0x5C} & set(b)),
)


@APP
@given(
    values=st.fixed_dictionaries({"path": fault_bytes, "status": fault_bytes, "customer": fault_bytes}),
    multipart=st.booleans(),
)
async def test_a_form_value_that_is_not_utf8_is_refused_in_either_encoding(
    client: httpx.AsyncClient, console: Console, values: dict[str, bytes], multipart: bool
) -> None:
    """README "Web console": a form value that is not UTF-8 is refused (400), never stored altered."""
    before = (await client.get("/_localexa/faults", headers={"X-Localexa-Admin-Key": ADMIN_KEY})).json()
    fields = [("csrf_token", console.csrf.encode()), *values.items()]
    if multipart:
        body = (
            b"".join(
                f'--lxb\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v + b"\r\n"
                for k, v in fields
            )
            + b"--lxb--\r\n"
        )
        content_type = b"multipart/form-data; boundary=lxb"
    else:
        body = b"&".join(k.encode() + b"=" + quote(v, safe="").encode() for k, v in fields)
        content_type = b"application/x-www-form-urlencoded"
    headers = {b"content-type": content_type, b"cookie": f"{COOKIE}={console.cookie}".encode()}
    answer = await _send(client, "POST", "/console/faults", content=body, headers=headers)
    assert_console_answer(answer)
    after = (await client.get("/_localexa/faults", headers={"X-Localexa-Admin-Key": ADMIN_KEY})).json()
    if all(_is_utf8(v) for v in values.values()):
        assert answer.status_code in (303, 400)
    else:
        assert answer.status_code == 400, (values, answer.status_code)
        assert "is not text" in answer.text, re.findall(r"<h1>.*?</p>", answer.text, re.S)
        assert after == before


@pytest.mark.parametrize(
    ("page", "query", "status"),
    [
        ("/console/customers", "", 200),
        ("/console/lwa-clients", "", 200),
        ("/console/faults", "", 200),
        ("/console/journal", "customer=" + quote(MARK), 200),  # a filter is shown again in its field
        ("/console/enablements", "skill_id=" + quote(MARK), 200),
        # No region: refused (since 2026-12-06), the value in its field and in the error.
        ("/console/customers", "region=" + quote(MARK), 400),
    ],
)
async def test_the_pages_show_the_marks_escaped(
    client: httpx.AsyncClient, console: Console, page: str, query: str, status: int
) -> None:
    """The escaping checks above are not vacuous: MARK is on these pages, escaped."""
    headers = {b"cookie": f"{COOKIE}={console.cookie}".encode()}
    answer = await _send(client, "GET", page, query, headers=headers)
    assert answer.status_code == status
    assert "&lt;lx-mark data-lx=&#34;1&#34;&gt;&#39;" in answer.text
    assert_console_answer(answer)
