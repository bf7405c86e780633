"""One real `localexa serve` for the wire tests, driven with raw sockets: what an in-process
transport never sends (a head too large or too slow, broken framing, a client that stops reading
or leaves mid-body) reaches uvicorn's parser and localexa's protocol only over a socket.

The server runs with short timeouts (`LOCALEXA_CLIENT_TIMEOUT`, `LOCALEXA_IDLE_TIMEOUT`: 1 s), an
open-file limit of 200 (hard 256) so the connection cap is reached with a few hundred sockets,
and logs at info, so every call leaves its status in the log. After each test the log must hold
no error, no traceback and no 5xx: one bad client must never show up as a bug.
"""

from __future__ import annotations

import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_ports

#: Seconds the server gives a client (head, body pause, unread answer) and an idle connection.
CLIENT_TIMEOUT = 1.0
IDLE_TIMEOUT = 1
#: The server starts with this soft open-file limit, and may raise it to the hard one.
SOFT_FILES, HARD_FILES = 200, 256


@dataclass
class Served:
    """The server under test: its NA and EU ports, admin key, log and pid."""

    port: int
    eu_port: int
    admin_key: str
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base_url}/_localexa/{path}",
            json=body,
            headers={"X-Localexa-Admin-Key": self.admin_key},
            timeout=10,
        )
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def health_now(self) -> int:
        """The status of a health check from a new client, which must be answered at once."""
        return httpx.get(f"{self.base_url}/_localexa/health", timeout=5).status_code


def _low_file_limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT_FILES, HARD_FILES))


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("the wire tests set an open-file limit (POSIX)")
    root = tmp_path_factory.mktemp("wire")
    na, eu, fe = free_ports(3)
    admin_key = secrets.token_urlsafe(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCALEXA_", "ASK_", "AWS_"))}
    env.update(
        LOCALEXA_ADMIN_KEY=admin_key,
        LOCALEXA_EU_PORT=str(eu),
        LOCALEXA_FE_PORT=str(fe),
        LOCALEXA_LOG_LEVEL="info",
        LOCALEXA_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT),
        LOCALEXA_IDLE_TIMEOUT=str(IDLE_TIMEOUT),
        LOCALEXA_PASSWORD_HASH_N=str(2**10),
    )
    log_path = root / "serve.log"
    command = [sys.executable, "-m", "localexa", "serve", "--no-demo", "--port", str(na)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--data-dir", str(root / "data")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_low_file_limit,
        )
    server = Served(na, eu, admin_key, log_path, process)
    try:
        wait_until_healthy(process, server.health_now, server.log)
        yield server
        # SIGTERM while a client's body has stalled: uvicorn waits for every running call, and
        # this one waited for its body for ever (the server never stopped). It ends with the
        # stop's grace now, the client timeout here (cli/wire_stop.py; tests/crash has the rest).
        stalled = socket.create_connection(("127.0.0.1", na))
        stalled.sendall(
            f"POST /_localexa/customers HTTP/1.1\r\nHost: x\r\nX-Localexa-Admin-Key: {admin_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
        )
        time.sleep(0.2)
    finally:
        process.terminate()
        try:
            process.wait(CLIENT_TIMEOUT + 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("SIGTERM did not stop the server while a client's body stalled") from None
    stalled.close()
    assert process.returncode in (0, -signal.SIGTERM), server.log()  # uvicorn re-raises SIGTERM
    assert not bad_lines(server.log()), server.log()


#: What a bad client must never leave in the log: a bug's traceback or error, or a 5xx answer
#: (but 501, the answer RFC 9112 §6.1 gives a transfer coding the server does not know).
_BAD = re.compile(r"level=error|Traceback|status=5(?!01)\d\d")


def wait_until_healthy(
    process: subprocess.Popen[bytes], health_now: Callable[[], int], log: Callable[[], str]
) -> None:
    """Until the served process answers its health check 200 (60 s at most, or it exits)."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log()
        try:
            if health_now() == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log()
        time.sleep(0.05)


def bad_lines(text: str) -> list[str]:
    return [line[:600] for line in text.splitlines() if _BAD.search(line)]


@pytest.fixture(autouse=True)
def no_bug_in_the_log(served: Served) -> Iterator[None]:
    yield from no_bug_logged(served.log_path)


def no_bug_logged(log_path: Path) -> Iterator[None]:
    """Around one test: what the served process logs meanwhile holds no traceback or bug line."""
    before = log_path.stat().st_size
    yield
    time.sleep(0.05)  # a line about a client that just left may still be on its way
    with log_path.open("rb") as log:
        log.seek(before)
        added = log.read().decode(errors="replace")
    assert not bad_lines(added), "\n".join(bad_lines(added))


@dataclass
class Locker:
    """A skill's token for the Credential Locker (whose errors are `{"code", "message"}`)."""

    token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="package")
def locker(served: Served) -> Locker:
    user = served.admin(
        "customers", {"name": "Ada", "email": "ada-wire@example.com", "password": "pw123456"}
    )["userId"]
    vendor = served.admin("vendors", {"name": "Acme", "ownerUserId": user})["vendorId"]
    skill = served.admin(
        "skills",
        {
            "vendorId": vendor,
            "name": "Wire",
            "endpoint": "http://127.0.0.1:9/skill",
            "permissions": ["alexa::async_event:write", "alexa::thread_network_credentials:read"],
        },
    )
    client_id = skill["skillMessagingCredentials"]["clientId"]
    token = served.admin(
        "tokens", {"clientId": client_id, "userId": user, "scopes": ["alexa::async_event:write"]}
    )["access_token"]
    return Locker(token)
