"""`http_client=` of the other kind is refused where it is given: `AsyncClient(http_client=
httpx.Client())` and `Client(http_client=httpx.AsyncClient())` were taken until 2026-12-06 and
failed only at the first call, in httpx's words (rev4 QA)."""

from __future__ import annotations

import httpx
import pytest

from localexa.client import AsyncClient, Client, ConfigurationError

URL = "http://127.0.0.1:9"


def test_a_client_refuses_an_async_http_client() -> None:
    own = httpx.AsyncClient()
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=URL, http_client=own)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Client(http_client=) takes an httpx.Client, not httpx.AsyncClient: pass httpx.Client(…), "
        "or use localexa.client.AsyncClient for an httpx.AsyncClient."
    )


def test_an_async_client_refuses_a_sync_http_client() -> None:
    with httpx.Client() as own, pytest.raises(ConfigurationError) as caught:
        AsyncClient(base_url=URL, http_client=own)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "AsyncClient(http_client=) takes an httpx.AsyncClient, not httpx.Client: pass "
        "httpx.AsyncClient(…), or use localexa.client.Client for an httpx.Client."
    )


def test_anything_else_is_refused_by_its_name() -> None:
    with pytest.raises(ConfigurationError, match=r"takes an httpx\.Client, not str"):
        Client(base_url=URL, http_client="http://x")  # type: ignore[arg-type]


async def test_the_right_kind_is_taken() -> None:
    with httpx.Client() as own, Client(base_url=URL, http_client=own) as client:
        assert client is not None
    async with httpx.AsyncClient() as mine, AsyncClient(base_url=URL, http_client=mine) as aclient:
        assert aclient is not None
