"""`localexa serve --tls` for real: a subprocess whose three region listeners speak HTTPS with a
certificate that clients trust through the local CA and only through it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from localexa.server.core.tls import SERVER_NAMES, client_ssl_context
from tests.tls.conftest import TlsServer, child_env

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("region", ["NA", "EU", "FE"])
def test_every_region_listener_speaks_https_trusted_by_the_ca(tls_server: TlsServer, region: str) -> None:
    with httpx.Client(verify=client_ssl_context(tls_server.data_dir)) as client:
        response = client.get(tls_server.url(region) + "/_localexa/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.url.scheme == "https"


@pytest.mark.parametrize("name", SERVER_NAMES)
def test_certificate_verifies_for_every_name(tls_server: TlsServer, name: str) -> None:
    """A real handshake checking the name, as a client reaching localexa under that name does
    (through a hosts-file entry or a proxy)."""
    context = client_ssl_context(tls_server.data_dir)
    with (
        socket.create_connection(("127.0.0.1", tls_server.ports["NA"]), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_name_outside_the_certificate_is_refused(tls_server: TlsServer) -> None:
    context = client_ssl_context(tls_server.data_dir)
    with (
        socket.create_connection(("127.0.0.1", tls_server.ports["NA"]), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="match"),
    ):
        context.wrap_socket(raw, server_hostname="example.com")


def test_httpx_without_the_ca_is_refused(tls_server: TlsServer) -> None:
    with httpx.Client() as client, pytest.raises(httpx.ConnectError) as caught:
        client.get(tls_server.url() + "/_localexa/health")
    causes: list[BaseException] = []
    cause: BaseException | None = caught.value
    while cause is not None:  # httpx wraps httpcore's error, which wraps the ssl module's
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(c, ssl.SSLCertVerificationError) for c in causes)


def test_plain_ssl_without_the_ca_is_refused(tls_server: TlsServer) -> None:
    context = ssl.create_default_context()
    context.load_default_certs()
    with (
        socket.create_connection(("127.0.0.1", tls_server.ports["EU"]), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"),
    ):
        context.wrap_socket(raw, server_hostname="localhost")


REQUESTS_SCRIPT = """
import sys, requests
try:
    response = requests.get(sys.argv[1], timeout=10)
except requests.exceptions.SSLError as exc:
    print("ssl-error", exc)
else:
    print(response.status_code, response.json()["status"])
"""


def run_python(script: str, *args: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=child_env(**env), capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def test_requests_trusts_the_server_through_requests_ca_bundle(tls_server: TlsServer) -> None:
    url = tls_server.url(host="localhost") + "/_localexa/health"
    assert run_python(REQUESTS_SCRIPT, url, REQUESTS_CA_BUNDLE=str(tls_server.ca_file)) == "200 ok"
    assert run_python(REQUESTS_SCRIPT, url).startswith("ssl-error")


def test_the_cli_without_the_ca_names_its_own_options(tls_server: TlsServer, tmp_path: Path) -> None:
    """The client's fix for an untrusted CA names `ca_file=`; the CLI words it as its options
    (revB QA of 2026-12-06: both showed OpenSSL's raw CERTIFICATE_VERIFY_FAILED text)."""
    command = [sys.executable, "-m", "localexa", "--url", tls_server.url(), "--admin-key", "k"]
    command += ["--retries", "0", "--data-dir", str(tmp_path / "another")]
    done = subprocess.run(
        [*command, "admin", "health"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 6, done.stderr
    assert done.stderr.strip().endswith(
        "TLS certificate verify failed (unable to get local issuer certificate): this client does not trust"
        " the server's CA; give --ca-file <its ca.pem>, or the --data-dir of the localexa serving it"
    ), done.stderr
    trusted = subprocess.run(
        [*command[:-1], str(tls_server.data_dir), "admin", "health"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert trusted.returncode == 0, trusted.stderr
