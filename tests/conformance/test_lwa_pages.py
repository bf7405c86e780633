"""/ap/oa against RFC 6749 §4.1.2 and the page's own strictness: `state` comes back as the client's
exact octets, and a form value that is not text is refused on the sign-in error page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.lwa.authorize import AuthorizeRequest
from tests.factories import Admin
from tests.lwa.browser import REDIRECT_URI, Browser, authorize_url, form_for


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as b:
        yield b


def raw_state(response: httpx.Response) -> bytes:
    """The redirect's `state`, percent-decoded to octets (not to text)."""
    query = urlsplit(response.headers["location"]).query
    states = [v for k, v in parse_qsl(query, keep_blank_values=True, encoding="latin-1") if k == "state"]
    assert len(states) == 1, response.headers["location"]
    return states[0].encode("latin-1")


STATES = [
    pytest.param("%FF%FE", b"\xff\xfe", id="not-utf8"),
    pytest.param("%ED%A0%80x", b"\xed\xa0\x80x", id="surrogate-bytes"),
    pytest.param("a%C3%A9+b%2F%26%3D", "aé b/&=".encode(), id="utf8-plus-and-delimiters"),
    pytest.param("%EF%BF%BD", "\ufffd".encode(), id="a-typed-replacement-character"),
]


@pytest.mark.parametrize(("sent", "octets"), STATES)
async def test_state_comes_back_exactly_after_sign_in_and_consent(
    admin: Admin, browser: Browser, sent: str, octets: bytes
) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    answer = await browser.authorize(
        authorize_url(client_id, state=None) + "&state=" + sent,  # type: ignore[arg-type]
        email=customer.email,
        password=customer.password,
    )
    assert answer.headers["location"].startswith(REDIRECT_URI + "?code=")
    assert raw_state(answer) == octets


async def test_state_comes_back_exactly_on_deny_and_on_an_error_redirect(
    admin: Admin, browser: Browser
) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    denied = await browser.authorize(
        authorize_url(client_id, state=None) + "&state=%FF%FE",  # type: ignore[arg-type]
        email=customer.email,
        password=customer.password,
        decision="deny",
    )
    assert "error=access_denied" in denied.headers["location"]
    assert raw_state(denied) == b"\xff\xfe"
    refused = await browser.get(authorize_url(client_id, state=None, response_type="token") + "&state=%FF%FE")  # type: ignore[arg-type]
    assert refused.status_code == 302
    assert "error=unsupported_response_type" in refused.headers["location"]
    assert raw_state(refused) == b"\xff\xfe"


def encode(fields: list[tuple[str, bytes]], kind: str) -> tuple[bytes, str]:
    if kind == "multipart":
        return multipart(fields), MULTIPART
    return urlencode(fields).encode(), FORM


MULTIPART = "multipart/form-data; boundary=xyz"
FORM = "application/x-www-form-urlencoded"


def multipart(fields: list[tuple[str, bytes]]) -> bytes:
    parts = b"".join(
        b'--xyz\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields
    )
    return parts + b"--xyz--\r\n"


@pytest.mark.parametrize("kind", ["multipart", "urlencoded"])
async def test_a_form_value_that_is_not_utf8_is_the_error_page(
    admin: Admin, browser: Browser, kind: str
) -> None:
    customer = await admin.customer(password="caf\u00e9")
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    fields = [(n, v.encode()) for n, v in form_for(page.text, "signin").data({"email": customer.email})]

    def with_password(octets: bytes) -> list[tuple[str, bytes]]:
        return [(n, octets if n == "password" else v) for n, v in fields]

    # latin-1 "café": multipart carries the byte E9 raw, a urlencoded form as %E9; neither is UTF-8
    content, content_type = encode(with_password(b"caf\xe9"), kind)
    assert (b"caf%E9" if kind == "urlencoded" else b"caf\xe9") in content
    response = await browser.http.post("/ap/oa", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "not text" in response.text
    assert "consent" not in response.text.lower()
    # the same form in UTF-8 signs in: the refusal was for the bytes, not for the page or session
    content, content_type = encode(with_password("café".encode()), kind)
    ok = await browser.http.post("/ap/oa", content=content, headers={"Content-Type": content_type})
    assert ok.status_code == 200, ok.text
    assert form_for(ok.text, "consent")


def test_a_page_signed_before_the_octets_were_kept_still_resumes() -> None:
    """Pages signed by the previous release carried the decoded state as "st": one open across an
    upgrade still completes (its state, UTF-8 text, percent-encoded as before). A state that is not
    percent-encoded reads as a damaged form."""
    base = {"c": "client", "r": REDIRECT_URI, "s": ["profile"]}
    assert AuthorizeRequest.from_dict({**base, "st": "a b/\u00e9"}).state == "a%20b%2F%C3%A9"
    assert AuthorizeRequest.from_dict({**base, "sq": "%FF%FE"}).state == "%FF%FE"
    assert AuthorizeRequest.from_dict(base).state is None
    with pytest.raises(TypeError):
        AuthorizeRequest.from_dict({**base, "sq": "a&code=forged"})
