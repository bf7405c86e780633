"""A skill process that does not trust the CA of the LWA or event gateway it calls is told so:
"LWA unreachable (ConnectError)" hid CERTIFICATE_VERIFY_FAILED until 2026-12-06, and read like
a server that is down."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from localexa.server.core.tls import ensure_server_certificate
from localexa.skill import (
    EventGatewayClient,
    EventGatewayError,
    GrantExchangeError,
    GrantTokens,
    IntrospectionValidator,
    TokenValidationError,
    change_report,
    exchange_grant_code,
    power_state,
)
from localexa.skill.clock import utc_now
from localexa.skill.http import failure_text
from localexa.testing.ports import free_port_block
from tests.servers import serve_stdlib

UNTRUSTED = "TLS certificate verify failed"


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client's refused handshake


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server whose certificate comes from a CA nobody here trusts."""
    paths = ensure_server_certificate(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths.cert_file, paths.key_file)
    server = _Server(("127.0.0.1", free_port_block(size=1)), _Quiet)  # LOCALEXA_TEST_PORTS
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serve_stdlib(server, "https") as url:
        yield url


async def test_the_code_exchange_names_the_untrusted_certificate(https_url: str) -> None:
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", https_url)
    assert caught.value.error == "server_error"
    assert UNTRUSTED in str(caught.value)
    assert "trust_ca_file" in str(caught.value)


async def test_the_event_gateway_names_the_untrusted_certificate(https_url: str) -> None:
    tokens = GrantTokens("Atza|a", "Atzr|r", utc_now() + timedelta(hours=1))
    client = EventGatewayClient(tokens, "id", "secret", base_url=https_url, lwa_base_url=https_url)
    with pytest.raises(EventGatewayError) as caught:
        await client.send(change_report("lamp", [power_state(True)]))
    assert caught.value.code == "UNREACHABLE"
    assert UNTRUSTED in str(caught.value)


async def test_introspection_names_the_untrusted_certificate(https_url: str) -> None:
    """Until review 36b introspection said only "introspection failed: ConnectError", the one line
    in the skill's log for a token check that could not reach a development CA's HTTPS server."""
    validator = IntrospectionValidator(https_url + "/introspect", "id", "secret")
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate("Atza|a")
    assert str(caught.value).startswith(f"introspection failed: ConnectError: {UNTRUSTED}")
    assert "trust_ca_file" in str(caught.value)


def test_other_failures_keep_their_type_name() -> None:
    assert failure_text(httpx.ConnectError("[Errno 111] Connection refused")) == "ConnectError"


def _verify_failure(code: int, message: str) -> httpx.ConnectError:
    cause = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    cause.verify_code, cause.verify_message = code, message
    error = httpx.ConnectError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (62, "Hostname mismatch, certificate is not valid for 'localhost'."),
        (64, "IP address mismatch, certificate is not valid for '127.0.0.2'."),
        (10, "certificate has expired"),
    ],
)
def test_a_certificate_that_is_trusted_but_wrong_is_not_blamed_on_the_ca(code: int, message: str) -> None:
    """Until 2026-12-06 every verify failure said "this process does not trust the server's CA;
    call trust_ca_file(...)": trusting a CA fixes no wrong host name and no expired certificate."""
    text = failure_text(_verify_failure(code, message))
    assert text == f"ConnectError: TLS certificate verify failed ({message})"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (20, "unable to get local issuer certificate"),
        (19, "self-signed certificate in certificate chain"),
        (21, "unable to verify the first certificate"),
        (18, "self-signed certificate"),
    ],
)
def test_an_unknown_issuer_is_blamed_on_the_ca(code: int, message: str) -> None:
    text = failure_text(_verify_failure(code, message))
    assert text.startswith(f"ConnectError: TLS certificate verify failed ({message})")
    assert "trust_ca_file" in text
