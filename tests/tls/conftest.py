"""Real servers for the TLS tests: `localexa serve --tls` as a subprocess (started once for the
package), and a tiny HTTPS endpoint in a thread standing in for a skill's cloud."""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from localexa.server.core.tls import client_ssl_context
from tests.servers import free_ports, serve_stdlib

#: Variables that would change what a child process trusts or where it keeps its data.
SCRUBBED = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith("LOCALEXA_")}
    env.update(extra)
    return env


@dataclass(frozen=True)
class TlsServer:
    data_dir: Path
    ports: dict[str, int]

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    def url(self, region: str = "NA", host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.ports[region]}"


@pytest.fixture(scope="package")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """`python -m localexa serve --tls --no-demo` on free ports, with its own data dir (SQLite)."""
    root = tmp_path_factory.mktemp("tls-serve")
    data_dir = root / "data"
    na, eu, fe = free_ports(3)
    env = child_env(LOCALEXA_DATA_DIR=str(data_dir), LOCALEXA_EU_PORT=str(eu), LOCALEXA_FE_PORT=str(fe))
    command = [sys.executable, "-m", "localexa", "serve", "--tls", "--no-demo", "--port", str(na)]
    log_path = root / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = TlsServer(data_dir, {"NA": na, "EU": eu, "FE": fe})
    try:
        _wait_healthy(server, process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(server: TlsServer, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"localexa serve --tls exited early:\n{log_path.read_text()}")
        if server.ca_file.exists():
            try:
                with httpx.Client(verify=client_ssl_context(server.data_dir), timeout=2) as client:
                    if client.get(server.url() + "/_localexa/health").status_code == 200:
                        return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    pytest.fail(f"localexa serve --tls never answered /_localexa/health:\n{log_path.read_text()}")


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello":"skill"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@contextmanager
def https_endpoint(cert_file: Path, key_file: Path) -> Iterator[str]:
    """A real HTTPS server on 127.0.0.1 presenting `cert_file`; yields its base URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serve_stdlib(server, "https") as url:
        yield url


@contextmanager
def plain_http_endpoint() -> Iterator[str]:
    """A plain-HTTP server on 127.0.0.1 (no TLS); yields its base URL (`http://…`)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    with serve_stdlib(server, "http") as url:
        yield url
