"""`lwa.token_info(token)` sends the token in the query (`GET /auth/o2/tokeninfo?access_token=`,
the only form Amazon documents), and httpx logs each request's URL at INFO (`HTTP Request: GET
…/tokeninfo?access_token=Atza%7C…`): any app logging at INFO held its customers' access tokens in
clear until the cliq QA of 2026-12-07. The request still carries the token; no log record does."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from localexa.client import AsyncClient, Client
from tests.servers import serve_in_thread

TOKEN = "Atza|s3cret-access-token-value"
ANSWER = {"aud": "amzn1.application-oa2-client.x", "user_id": "amzn1.account.X", "exp": 3600}


@pytest.fixture(scope="module")
def tokeninfo() -> Iterator[tuple[str, list[str | None]]]:
    """LWA's tokeninfo on 127.0.0.1, keeping each `access_token` it was sent."""
    seen: list[str | None] = []

    async def answer(request: Request) -> JSONResponse:
        seen.append(request.query_params.get("access_token"))
        return JSONResponse(ANSWER)

    with serve_in_thread(Starlette(routes=[Route("/auth/o2/tokeninfo", answer)])) as url:
        yield url, seen


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_the_token_goes_in_the_query_but_not_into_the_log(
    tokeninfo: tuple[str, list[str | None]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = tokeninfo
    seen.clear()
    caplog.set_level(logging.DEBUG)
    with Client(base_url=url, max_retries=0) as client:
        assert client.lwa.token_info(TOKEN).aud == ANSWER["aud"]
    assert seen == [TOKEN]
    requests = [line for line in _logged(caplog) if line.startswith("HTTP Request: GET")]
    assert requests == [f'HTTP Request: GET {url}/auth/o2/tokeninfo?access_token=*** "HTTP/1.1 200 OK"']
    assert not [line for line in _logged(caplog) if "s3cret" in line]


async def test_the_async_client_too(
    tokeninfo: tuple[str, list[str | None]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = tokeninfo
    seen.clear()
    caplog.set_level(logging.DEBUG)
    async with AsyncClient(base_url=url, max_retries=0) as client:
        assert (await client.lwa.token_info(TOKEN)).aud == ANSWER["aud"]
    assert seen == [TOKEN]
    assert any("tokeninfo?access_token=***" in line for line in _logged(caplog))
    assert not [line for line in _logged(caplog) if "s3cret" in line]


def test_a_query_without_secrets_is_logged_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    """Only the values of OAuth's secret parameters are hidden: a page token, a path, other
    parameters read as httpx wrote them (the same URL object, not a copy)."""
    caplog.set_level(logging.INFO)
    url = "http://127.0.0.1:9/v1/x?nextToken=abc&client_id=c&refresh_token=r1&Access_Token=t2#f"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=transport) as plain:
        plain.get("http://127.0.0.1:9/v1/x?nextToken=abc")
        plain.get(url)
    lines = [line for line in _logged(caplog) if line.startswith("HTTP Request")]
    assert lines == [
        'HTTP Request: GET http://127.0.0.1:9/v1/x?nextToken=abc "HTTP/1.1 200 OK"',
        "HTTP Request: GET http://127.0.0.1:9/v1/x?nextToken=abc&client_id=c&refresh_token=***"
        '&Access_Token=***#f "HTTP/1.1 200 OK"',
    ]
