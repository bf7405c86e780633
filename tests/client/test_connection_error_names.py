"""A connection error names the call and where it went (since 2026-12-06): "Connection error:
[Errno 111] Connection refused" (sync) and "All connection attempts failed" (async) did not say
which host; the query (a token), fragment and user info stay out of the message."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from localexa.client import APIConnectionError, AsyncClient, Client
from tests.cli.conftest import CLEAN_ENV

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


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Nothing on stderr, which the CLI's checks read."""


@pytest.fixture
def plain_http() -> Iterator[str]:
    """A plain-HTTP server (as `localexa serve` without --tls), addressed with https://."""
    for port in range(20600, 20700):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _Quiet)
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port in 20600-20699")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _check_plain_http(message: str) -> None:
    assert "is the server serving plain HTTP? (started without --tls)" in message, message
    assert "TLS handshake failed (wrong version number" in message or "record layer" in message, message
    assert "_ssl.c" not in message, message


def test_https_to_a_plain_http_server_says_so(plain_http: str) -> None:
    """OpenSSL's raw `[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)` was all the
    client and the CLI said (rev3 QA)."""
    with (
        Client(base_url=plain_http, admin_key="k", max_retries=0) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.admin.clock.get()
    _check_plain_http(str(caught.value))
    assert f"GET {plain_http}/_localexa/clock" in str(caught.value)
    result = CliRunner().invoke(app, ["--url", plain_http, "admin", "health"], env=CLEAN_ENV)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    _check_plain_http(result.stderr)
    as_json = CliRunner().invoke(app, ["--url", plain_http, "admin", "health", "--json"], env=CLEAN_ENV)
    error = json.loads(as_json.stderr)["error"]
    assert error["code"] == "NO_CONNECTION", error
    _check_plain_http(error["message"])


async def test_the_async_client_says_so_too(plain_http: str) -> None:
    async with AsyncClient(base_url=plain_http, admin_key="k", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.admin.clock.get()
    _check_plain_http(str(caught.value))
