"""A small browser for the /ap/oa pages: parses forms with html.parser, posts them back as a
browser would (hidden fields, typed fields, the clicked button), and keeps cookies."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

BASE_URL = "http://127.0.0.1:8080"
REDIRECT_URI = "https://app.example.com/cb"


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def data(self, fill: dict[str, str] | None = None, button: str | None = None) -> list[tuple[str, str]]:
        fill = fill or {}
        data = [(n, fill.get(n, v)) for n, v in self.fields]
        if button is not None:
            data.extend((n, v) for n, v in self.buttons if v == button)
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get").lower()))
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and self.forms and "name" in a:
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_forms(html: str) -> tuple[str, list[Form]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.title.strip(), parser.forms


def form_for(html: str, action: str) -> Form:
    """The form whose hidden `action` field is `action` (signin, consent, signout)."""
    _, forms = parse_forms(html)
    for form in forms:
        if form.value("action") == action:
            return form
    raise AssertionError(f"no {action} form in page: {html[:400]}")


def redirect_params(response: httpx.Response | Any) -> dict[str, str]:
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI) or "://" in location
    return dict(parse_qsl(urlsplit(location).query))


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(client_id: str, **params: str) -> str:
    query = {
        "client_id": client_id,
        "scope": "profile",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "st-" + secrets.token_hex(4),
    }
    query.update(params)
    return "/ap/oa?" + urlencode({k: v for k, v in query.items() if v is not None})


class Browser:
    """One browser (one cookie jar) on the in-process app."""

    def __init__(self, app: FastAPI) -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def get(self, url: str) -> httpx.Response:
        return await self.http.get(url)

    async def submit(
        self,
        page: httpx.Response,
        action: str,
        *,
        fill: dict[str, str] | None = None,
        button: str | None = None,
    ) -> httpx.Response:
        form = form_for(page.text, action)
        assert form.method == "post"
        return await self.http.post(form.action, data=dict(form.data(fill, button)))

    async def authorize(
        self, url: str, *, email: str, password: str, decision: str = "allow"
    ) -> httpx.Response:
        """Open the authorize URL, sign in when asked, answer the consent page: the final redirect."""
        page = await self.get(url)
        assert page.status_code == 200, page.text
        if "signin" in [f.value("action") for f in parse_forms(page.text)[1]]:
            page = await self.submit(page, "signin", fill={"email": email, "password": password})
            assert page.status_code == 200, page.text
        answer = await self.submit(page, "consent", button=decision)
        assert answer.status_code == 302, answer.text
        return answer

    async def code_for(self, client_id: str, email: str, password: str, **params: str) -> str:
        answer = await self.authorize(authorize_url(client_id, **params), email=email, password=password)
        return redirect_params(answer)["code"]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, Admin, Browser]]:
    """One more localexa process (an app with its lifespan) on `settings`: the app, an admin over
    it and a browser of its own; tests of several processes behind one database use it."""
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client,
            Browser(app) as browser,
        ):
            yield app, Admin(client, ADMIN_KEY), browser
