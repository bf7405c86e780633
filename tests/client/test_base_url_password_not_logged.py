"""A `base_url` holding a user and password: the client sends them as the basic auth httpx made of
them, and no log record holds the password (httpx logs each request's URL at INFO:
`HTTP Request: GET http://me:pw@…`, in clear until the night of 2026-12-06)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from localexa.client import AsyncClient, Client
from tests.servers import serve_in_thread

PASSWORD = "s3cr3t-pw"


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, list[str | None]]]:
    """A server on 127.0.0.1 answering the admin health call, keeping each Authorization header."""
    seen: list[str | None] = []

    async def health(request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization"))
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/_localexa/health", health)])
    with serve_in_thread(app) as url:
        yield url, seen


def _with_password(url: str) -> str:
    return url.replace("http://", f"http://me:{PASSWORD}@")


def test_the_password_goes_as_basic_auth_and_not_into_the_log(
    echo: tuple[str, list[str | None]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = echo
    seen.clear()
    caplog.set_level(logging.DEBUG)
    with Client(base_url=_with_password(url), admin_key="k", max_retries=0) as client:
        client.admin.health()
    assert seen == ["Basic " + base64.b64encode(f"me:{PASSWORD}".encode()).decode()]
    assert any("HTTP Request" in record.getMessage() for record in caplog.records)  # httpx logged
    assert not [r.getMessage() for r in caplog.records if PASSWORD in r.getMessage()]


async def test_the_async_client_too(
    echo: tuple[str, list[str | None]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = echo
    seen.clear()
    caplog.set_level(logging.DEBUG)
    async with AsyncClient(base_url=_with_password(url), admin_key="k", max_retries=0) as client:
        await client.admin.health()
    assert seen == ["Basic " + base64.b64encode(f"me:{PASSWORD}".encode()).decode()]
    assert not [r.getMessage() for r in caplog.records if PASSWORD in r.getMessage()]


def test_a_url_without_user_info_sends_no_authorization(echo: tuple[str, list[str | None]]) -> None:
    url, seen = echo
    seen.clear()
    with Client(base_url=url, admin_key="k", max_retries=0) as client:
        client.admin.health()
    assert seen == [None]
