"""The clients' default trust (`verify=True`, or left out) is built once a process, not for each
client (client/_tls.py `default_trust`): httpx read certifi's bundle for every client, ~33 ms of
a client's ~38 (2026-12-08). It still follows `SSL_CERT_FILE` as httpx does."""

from __future__ import annotations

from pathlib import Path

import pytest

from localexa.client import APIConnectionError, AsyncClient, Client
from localexa.client._tls import ssl_verify
from tests.client.test_tls import https_server

__all__ = ["https_server"]


def test_every_default_client_shares_one_context() -> None:
    assert ssl_verify(None, None) is ssl_verify(True, None)
    with Client(base_url="http://127.0.0.1:9") as one, Client(base_url="http://127.0.0.1:9") as other:
        assert one._http._transport._pool._ssl_context is other._http._transport._pool._ssl_context  # type: ignore[attr-defined]


async def test_ssl_cert_file_is_trusted_as_httpx_trusts_it_and_only_while_set(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_file = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with Client(base_url=url, max_retries=0) as client:
        assert client.admin.health() is True
    async with AsyncClient(base_url=url, max_retries=0) as async_client:
        assert await async_client.admin.health() is True
    monkeypatch.delenv("SSL_CERT_FILE")
    with (
        Client(base_url=url, max_retries=0) as client,
        pytest.raises(APIConnectionError, match="verify failed"),
    ):
        client.admin.health()
