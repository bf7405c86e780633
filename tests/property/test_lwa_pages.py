"""The Login with Amazon pages (`GET/POST /ap/oa`) through the real app, with generated queries,
form bodies and cookies: never a 5xx, every answer either the error page (400), a page of the
flow, or a redirect to a redirect URI the client registered (RFC 6749 §4.1.2.1; README "Login
with Amazon", "Errors"), and no generated value ever reaches the HTML unescaped.

Hostile values carry MARK: a tag and an attribute-breaking quote. Escaped by Jinja2 they read
`&lt;lx-mark` and `data-lx=&#34;1&#34;`; the raw spelling in a page would be an injection.
"""

from __future__ import annotations

import re
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from localexa.server.lwa.signing import COOKIE_NAME
from tests.factories import Admin
from tests.lwa.browser import BASE_URL, form_for, pkce_pair
from tests.property import budget, cookie_headers
from tests.tampering import tampered

APP = budget(50, suppress=(HealthCheck.function_scoped_fixture,))
MARK = '<lx-mark data-lx="1">\''
#: What MARK leaves in a page only when it was not escaped.
RAW_MARKS = ("<lx-mark", 'data-lx="1"')
REDIRECT = "https://app.example.com/cb"
#: A registered URI with a query of its own: error and code parameters are appended with `&`.
REDIRECT_WITH_QUERY = "https://app.example.com/cb2?tenant=1"
REGISTERED = (REDIRECT, REDIRECT_WITH_QUERY)
PAGE_STATUSES = {200, 302, 400, 413, 429}
PARAMETERS = (
    "client_id",
    "scope",
    "response_type",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@dataclass(frozen=True)
class Flow:
    """A registered client and customer, and the tokens a real visit hands out."""

    client_id: str
    other_client_id: str
    email: str
    password: str
    challenge: str
    request_token: str
    anonymous_cookie: str
    anonymous_csrf: str
    signed_in_cookie: str
    signed_in_csrf: str


def _cookie_of(response: httpx.Response) -> str:
    found = re.search(rf"{COOKIE_NAME}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return found.group(1)


@pytest.fixture
async def flow(app: FastAPI, admin: Admin) -> AsyncIterator[Flow]:
    email, password = "eve@example.com", "correct horse"
    await admin.post(
        "customers", {"name": "Eve " + MARK, "email": email, "password": password, "region": "NA"}
    )
    client_id, _ = await admin.lwa_client(list(REGISTERED), name="App " + MARK)
    other_client_id, _ = await admin.lwa_client(["https://other.example.com/cb"], name="Other")
    _, challenge = pkce_pair()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        query = {
            "client_id": client_id,
            "scope": "profile",
            "response_type": "code",
            "redirect_uri": REDIRECT,
        }
        page = await http.get("/ap/oa", params=query)
        signin = form_for(page.text, "signin")
        anonymous_cookie = _cookie_of(page)
        consent = await http.post("/ap/oa", data=dict(signin.data({"email": email, "password": password})))
        assert consent.status_code == 200, consent.text
        request_token = form_for(consent.text, "consent").value("request")
        signed_in_csrf = form_for(consent.text, "consent").value("csrf_token")
        assert request_token
        assert signed_in_csrf
        yield Flow(
            client_id=client_id,
            other_client_id=other_client_id,
            email=email,
            password=password,
            challenge=challenge,
            request_token=request_token,
            anonymous_cookie=anonymous_cookie,
            anonymous_csrf=signin.value("csrf_token") or "",
            signed_in_cookie=_cookie_of(consent),
            signed_in_csrf=signed_in_csrf,
        )


# -- strategies -------------------------------------------------------------------------------------

#: Text of every kind a browser or a script may percent-encode: any code point but surrogates.
texts = st.text(max_size=40)
texts_without_nul = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=40)
hostile = st.builds(lambda a, b: a + MARK + b, st.text(max_size=8), st.text(max_size=8))
long_values = st.integers(4000, 12000).map(lambda n: "x" * (n - len(MARK)) + MARK)
#: Percent-encoded bytes that are no UTF-8 text, or escapes that are no escapes at all.
RAW_JUNK = [
    "%ED%A0%80",  # a lone surrogate, as UTF-8 would spell it
    "%ED%B0%80%ED%A0%80",
    "%FF%FE",
    "%C0%AF",  # an overlong `/`
    "%00",
    "%",
    "%Z",
    "%ZZ",
    "%%41",
    "+",
    "&",
    "=",
    "%26",
    "%3D",
    "%3Cscript%3E",
]
junk = st.lists(
    st.sampled_from(RAW_JUNK) | texts.map(lambda t: quote(t, safe="")), min_size=1, max_size=4
).map("".join)


def _encoded(value: str) -> str:
    return quote(value, safe="")


def values_for(flow: Flow) -> st.SearchStrategy[str]:
    """A parameter's value, already percent-encoded: a valid one, hostile text, or junk."""
    valid = st.sampled_from(
        [
            flow.client_id,
            flow.other_client_id,
            *REGISTERED,
            "https://app.example.com/cb/",
            "https://evil.example/cb",
            "code",
            "token",
            "profile",
            "profile postal_code",
            "alexa::skills:account_linking",
            "alexa::proactive_events",
            "S256",
            "plain",
            flow.challenge,
            "",
        ]
    )
    return (valid | texts | hostile | long_values).map(_encoded) | junk


def queries_for(flow: Flow) -> st.SearchStrategy[str]:
    """A query: mostly a valid request with some parameters changed, repeated or added."""
    names = st.sampled_from(PARAMETERS) | st.text(string.ascii_letters + "_[].", min_size=1, max_size=12)
    base = [
        ("client_id", flow.client_id),
        ("scope", "profile"),
        ("response_type", "code"),
        ("redirect_uri", _encoded(REDIRECT)),
    ]

    @st.composite
    def build(draw: st.DrawFn) -> str:
        pairs = [pair for pair in base if draw(st.booleans()) or draw(st.booleans())]
        extra = draw(st.lists(st.tuples(names, values_for(flow)), max_size=4))
        pairs += extra
        pairs = draw(st.permutations(pairs))
        raw_parts = draw(st.lists(junk, max_size=2))  # parts that are no name=value pair at all
        parts = [f"{_encoded(name) if draw(st.booleans()) else name}={value}" for name, value in pairs]
        return "&".join([*parts, *raw_parts])

    return build()


# -- checks ---------------------------------------------------------------------------------------


def assert_escaped(answer: httpx.Response) -> None:
    for raw in RAW_MARKS:
        assert raw not in answer.text, (answer.status_code, answer.text[:2000])


def assert_lwa_answer(answer: httpx.Response) -> None:
    """One of the answers the README documents for /ap/oa, never a 5xx."""
    assert answer.status_code in PAGE_STATUSES, (answer.status_code, answer.text[:500])
    if answer.status_code == 302:
        location = answer.headers["location"]
        assert any(location.startswith(uri + ("&" if "?" in uri else "?")) for uri in REGISTERED), location
        assert not any(c in location for c in "\r\n\x00 "), location
        params = dict(parse_qsl(urlsplit(location).query))
        assert "code" in params or params.get("error") in {
            "invalid_request",
            "unsupported_response_type",
            "invalid_scope",
            "access_denied",
            "unauthorized_client",
        }, location
        if "error" in params:
            assert params["error_description"]
        return
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    assert_escaped(answer)
    if answer.status_code in (400, 413) and "<title>localexa Sign-In: error</title>" in answer.text:
        assert 'role="alert"' in answer.text
    if answer.status_code == 429:
        assert int(answer.headers["Retry-After"]) > 0


def cookies_for(flow: Flow) -> st.SearchStrategy[bytes | None]:
    """A Cookie header: none, a real session, a tampered or garbage one, odd characters."""
    return cookie_headers(COOKIE_NAME, [flow.anonymous_cookie, flow.signed_in_cookie])


async def _send(client: httpx.AsyncClient, method: str, query: str, **kwargs: object) -> httpx.Response:
    client.cookies.clear()  # only the generated Cookie header, never one the last answer set
    url = httpx.URL(BASE_URL + "/ap/oa", query=query.encode("ascii"))
    request = client.build_request(method, url, **kwargs)  # type: ignore[arg-type]
    return await client.send(request)


# -- GET /ap/oa -------------------------------------------------------------------------------------


@APP
@given(data=st.data())
async def test_any_authorize_query_gets_a_documented_answer(
    client: httpx.AsyncClient, flow: Flow, data: st.DataObject
) -> None:
    query = data.draw(queries_for(flow), label="query")
    cookie = data.draw(cookies_for(flow), label="cookie")
    headers = {b"cookie": cookie} if cookie is not None else {}
    answer = await _send(client, "GET", query, headers=headers)
    assert_lwa_answer(answer)


@APP
@given(name=st.sampled_from(PARAMETERS), value=hostile | long_values)
async def test_a_hostile_parameter_is_never_reflected_raw(
    client: httpx.AsyncClient, flow: Flow, name: str, value: str
) -> None:
    params = {
        "client_id": flow.client_id,
        "scope": "profile",
        "response_type": "code",
        "redirect_uri": REDIRECT,
    }
    params[name] = value
    query = "&".join(f"{k}={_encoded(v)}" for k, v in params.items())
    answer = await _send(client, "GET", query)
    assert_lwa_answer(answer)
    if answer.status_code == 302 and name == "state" and len(value) <= 4096:
        # RFC 6749 §4.1.2: the state comes back exactly, encoded in the redirect's query
        assert dict(parse_qsl(urlsplit(answer.headers["location"]).query))["state"] == value


# -- POST /ap/oa ------------------------------------------------------------------------------------


def form_fields_for(flow: Flow) -> st.SearchStrategy[list[tuple[str, str]]]:
    """The pages' fields with real, wrong, hostile or missing values, some repeated."""
    request = st.sampled_from([flow.request_token, tampered(flow.request_token), ""]) | texts | hostile
    csrf = (
        st.sampled_from([flow.anonymous_csrf, flow.signed_in_csrf, tampered(flow.signed_in_csrf), ""]) | texts
    )
    fields = st.one_of(
        st.tuples(st.just("action"), st.sampled_from(["signin", "consent", "signout", ""]) | texts | hostile),
        st.tuples(st.just("request"), request),
        st.tuples(st.just("csrf_token"), csrf),
        st.tuples(st.just("email"), st.sampled_from([flow.email]) | texts | hostile | long_values),
        st.tuples(st.just("password"), st.sampled_from([flow.password]) | texts | long_values),
        st.tuples(st.just("decision"), st.sampled_from(["allow", "deny"]) | texts | hostile),
        st.tuples(texts, texts | hostile),
    )
    return st.lists(fields, max_size=9)


def bodies_for(flow: Flow) -> st.SearchStrategy[tuple[bytes | None, bytes]]:
    """(Content-Type, body): a form as browsers encode it, a form with bytes that are no UTF-8,
    multipart where a form is expected (and the reverse), another type, or nothing."""
    fields = form_fields_for(flow)
    urlencoded = fields.map(lambda f: "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in f).encode())
    with_junk = st.tuples(fields, junk).map(
        lambda pair: ("&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in pair[0]) + "&" + pair[1]).encode()
    )
    raw_bytes = st.tuples(fields, st.binary(min_size=1, max_size=20)).map(
        lambda pair: (
            "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in pair[0]).encode() + b"&email=" + pair[1]
        )
    )
    form_type = st.sampled_from(
        [b"application/x-www-form-urlencoded", b"application/x-www-form-urlencoded; charset=utf-8"]
    )
    multipart = fields.map(_multipart)
    return st.one_of(
        st.tuples(form_type, urlencoded | with_junk | raw_bytes | st.just(b"")),
        st.tuples(
            st.just(b"multipart/form-data; boundary=lxb"), multipart | urlencoded | st.binary(max_size=40)
        ),
        st.tuples(st.sampled_from([b"multipart/form-data", b"multipart/form-data; boundary="]), multipart),
        st.tuples(form_type, multipart),
        st.tuples(
            st.none() | st.sampled_from([b"text/plain", b"application/json", b"", b"\xff\xfe"]),
            urlencoded | st.binary(max_size=40),
        ),
    )


def _multipart(fields: list[tuple[str, str]]) -> bytes:
    parts = []
    for name, value in fields:
        head = f'--lxb\r\nContent-Disposition: form-data; name="{name.replace(chr(34), "")}"\r\n\r\n'
        parts.append(head.encode("utf-8", "surrogatepass") + value.encode("utf-8", "surrogatepass") + b"\r\n")
    return b"".join(parts) + b"--lxb--\r\n"


@APP
@given(data=st.data())
async def test_any_form_post_gets_a_documented_answer(
    client: httpx.AsyncClient, flow: Flow, data: st.DataObject
) -> None:
    content_type, body = data.draw(bodies_for(flow), label="body")
    cookie = data.draw(cookies_for(flow), label="cookie")
    headers: dict[bytes, bytes] = {}
    if content_type is not None:
        headers[b"content-type"] = content_type
    if cookie is not None:
        headers[b"cookie"] = cookie
    answer = await _send(client, "POST", "", content=body, headers=headers)
    assert_lwa_answer(answer)


@APP
@given(fields=st.data())
async def test_a_signed_in_consent_redirects_only_to_the_registered_uri(
    client: httpx.AsyncClient, flow: Flow, fields: st.DataObject
) -> None:
    """The real request and CSRF token with a generated decision and extra fields: a redirect goes
    to the registered URI (allow or deny), anything else is the consent page again."""
    # No NUL: the request guard refuses it before the page (the other tests cover that answer).
    no_nul = texts_without_nul | hostile.filter(lambda v: "\x00" not in v)
    decision = fields.draw(st.sampled_from(["allow", "deny"]) | no_nul, label="decision")
    extra = fields.draw(st.lists(st.tuples(texts_without_nul, no_nul), max_size=3), label="extra")
    form = [
        ("action", "consent"),
        ("request", flow.request_token),
        ("csrf_token", flow.signed_in_csrf),
        ("decision", decision),
        *[(k, v) for k, v in extra if k not in {"action", "request", "csrf_token", "decision"}],
    ]
    body = "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in form).encode()
    headers = {
        b"content-type": b"application/x-www-form-urlencoded",
        b"cookie": f"{COOKIE_NAME}={flow.signed_in_cookie}".encode(),
    }
    answer = await _send(client, "POST", "", content=body, headers=headers)
    assert_lwa_answer(answer)
    if decision in ("allow", "deny"):
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(REDIRECT + "?")
    else:
        assert answer.status_code == 400
        assert "Choose Allow or Cancel." in answer.text


async def test_the_pages_show_the_names_escaped(client: httpx.AsyncClient, flow: Flow) -> None:
    """The escaping checks above are not vacuous: MARK is in the client's and customer's names."""
    query = f"client_id={flow.client_id}&scope=profile&response_type=code&redirect_uri={_encoded(REDIRECT)}"
    for cookie in (flow.anonymous_cookie, flow.signed_in_cookie):
        answer = await _send(client, "GET", query, headers={b"cookie": f"{COOKIE_NAME}={cookie}".encode()})
        assert answer.status_code == 200
        assert "App &lt;lx-mark data-lx=&#34;1&#34;&gt;&#39;" in answer.text
        assert_lwa_answer(answer)
    assert "Eve &lt;lx-mark" in answer.text  # the consent page names the signed-in customer
