"""A connection error names the call and where it went (since 2026-12-06): "Connection error:
[Errno 111] Connection refused" (sync) and "All connection attempts failed" (async) did not say
which host; the query (a token), fragment and user info stay out of the message."""

from __future__ import annotations

import pytest

from localexa.client import APIConnectionError, AsyncClient, Client

REFUSED = "http://u:secret-pw@127.0.0.1:9"  # port 9 (discard): nothing listens


def _check(message: str, target: str) -> None:
    assert target in message, message
    assert "secret-pw" not in message
    assert "Atza|tok" not in message


def test_the_sync_client_names_the_method_and_url() -> None:
    with Client(base_url=REFUSED, admin_key="k", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            client.admin.customers.list()
        _check(str(caught.value), "Connection error: GET http://127.0.0.1:9/_localexa/customers: ")
        with pytest.raises(APIConnectionError) as caught:
            client.lwa.token_info("Atza|tok")
        _check(str(caught.value), "GET http://127.0.0.1:9/auth/o2/tokeninfo: ")


async def test_the_async_client_names_the_method_and_url() -> None:
    async with AsyncClient(base_url=REFUSED, admin_key="k", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.admin.customers.list()
        _check(str(caught.value), "Connection error: GET http://127.0.0.1:9/_localexa/customers: ")
        with pytest.raises(APIConnectionError) as caught:
            await client.lwa.token_info("Atza|tok")
        _check(str(caught.value), "GET http://127.0.0.1:9/auth/o2/tokeninfo: ")
