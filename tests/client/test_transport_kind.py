"""`transport=` of the other kind is refused where it is given, as `http_client=` is:
`Client(transport=httpx.ASGITransport(app=app))` (the README's in-process example is async) and
`AsyncClient(transport=httpx.HTTPTransport())` were taken until 2026-12-07 and failed only at the
first call, with httpx's AttributeError (`'ASGITransport' object has no attribute
'handle_request'`; review36b #5). `httpx.MockTransport` is both kinds: both clients take it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localexa.client import AsyncClient, Client, ConfigurationError

URL = "http://127.0.0.1:9"


async def _app(scope: Any, receive: Any, send: Any) -> None:
    pass


def test_a_client_refuses_an_async_transport() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=URL, transport=httpx.ASGITransport(app=_app))  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Client(transport=) takes an httpx.BaseTransport, not httpx.ASGITransport (an async "
        "transport): pass a sync one (httpx.HTTPTransport(…), httpx.MockTransport(…)), or use "
        "localexa.client.AsyncClient for an httpx.AsyncBaseTransport."
    )


def test_an_async_client_refuses_a_sync_transport() -> None:
    with httpx.HTTPTransport() as sync, pytest.raises(ConfigurationError) as caught:
        AsyncClient(base_url=URL, transport=sync)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "AsyncClient(transport=) takes an httpx.AsyncBaseTransport, not httpx.HTTPTransport (a sync "
        "transport): pass an async one (httpx.AsyncHTTPTransport(…), httpx.ASGITransport(…), "
        "httpx.MockTransport(…)), or use localexa.client.Client for an httpx.BaseTransport."
    )


@pytest.mark.parametrize("kind", [Client, AsyncClient])
def test_anything_else_is_refused_by_its_name(kind: type[Any]) -> None:
    with pytest.raises(ConfigurationError, match=r"\(transport=\) takes an httpx\.\w+, not str: pass"):
        kind(base_url=URL, transport="http://x")


async def test_the_right_kind_and_mock_transport_are_taken() -> None:
    mock = httpx.MockTransport(lambda _request: httpx.Response(200, json={"status": "ok"}))
    with Client(base_url=URL, admin_key="k", transport=mock) as client:
        assert client.admin.health() is True
    async with AsyncClient(base_url=URL, admin_key="k", transport=mock) as aclient:
        assert await aclient.admin.health() is True
    with Client(base_url=URL, transport=httpx.HTTPTransport()):
        pass
    async with AsyncClient(base_url=URL, transport=httpx.ASGITransport(app=_app)):
        pass
