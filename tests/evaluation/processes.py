"""`localexa serve` as a real subprocess for the evaluation tests (a process to SIGKILL, a TLS
listener for Amazon's SDK)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.servers import shared_tls

ADMIN_KEY = "process-test-admin-key"


def free_ports(count: int = 3) -> int:
    """A base port with `count` free ports from it (serve binds NA, EU and FE side by side)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


@contextmanager
def server_process(
    data_dir: Path, *, tls: bool = False, env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The server on free ports with a 2 s evaluation lease; yields the process and its NA URL."""
    port = free_ports()
    extra = env or {}
    env = dict(
        os.environ,
        LOCALEXA_ADMIN_KEY=ADMIN_KEY,
        LOCALEXA_EVALUATION_LEASE_SECONDS="2",
        LOCALEXA_PASSWORD_HASH_N="1024",
    )
    env.update(extra)
    command = [
        sys.executable,
        "-m",
        "localexa",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--no-demo",
        *(["--tls"] if tls else []),
    ]
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        env.pop(name, None)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"serve-{port}.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    ca_file = data_dir / "tls" / "ca.pem"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if tls and not ca_file.exists():
                    raise httpx.ConnectError("no CA yet")
                verify = ssl.create_default_context(cafile=str(ca_file)) if tls else shared_tls()
                if httpx.get(f"{url}/_localexa/health", timeout=1, verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
