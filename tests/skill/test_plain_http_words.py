"""The skill kit's calls to an https:// URL of a plain-HTTP server say what the client says for
one (localexa/tls_failures.py): until 2026-12-06 they read "LWA unreachable (ConnectError)", like a
server that is down (rev4 QA). A real plain-HTTP server on 127.0.0.1 answers the ClientHello."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from localexa.client import Client, LocalexaClientError
from localexa.skill import (
    EventGatewayClient,
    EventGatewayError,
    GrantExchangeError,
    GrantTokens,
    change_report,
    exchange_grant_code,
    power_state,
)
from localexa.skill.clock import utc_now
from tests.servers import serve_stdlib

HINT = "is the server serving plain HTTP? (started without --tls) Use an http:// URL for it."


class _Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a ClientHello is no HTTP request


@pytest.fixture
def plain_as_https() -> Iterator[str]:
    """The https:// URL of a server that speaks plain HTTP."""
    with serve_stdlib(_Server(("127.0.0.1", 0), _Quiet)) as url:
        yield url.replace("http://", "https://", 1)


async def test_the_code_exchange_says_the_server_speaks_plain_http(plain_as_https: str) -> None:
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", plain_as_https)
    assert caught.value.error == "server_error"
    assert "LWA unreachable (ConnectError: TLS handshake failed (" in str(caught.value)
    assert HINT in str(caught.value)


async def test_the_event_gateway_says_the_server_speaks_plain_http(plain_as_https: str) -> None:
    tokens = GrantTokens("Atza|a", "Atzr|r", utc_now() + timedelta(hours=1))
    client = EventGatewayClient(tokens, "id", "secret", base_url=plain_as_https, lwa_base_url=plain_as_https)
    with pytest.raises(EventGatewayError) as caught:
        await client.send(change_report("lamp", [power_state(True)]))
    assert caught.value.code == "UNREACHABLE"
    assert HINT in str(caught.value)


def test_the_kit_and_the_client_say_it_in_the_same_words(plain_as_https: str) -> None:
    with (
        Client(base_url=plain_as_https, max_retries=0) as client,
        pytest.raises(LocalexaClientError) as caught,
    ):
        client.admin.health()
    assert HINT in str(caught.value)
