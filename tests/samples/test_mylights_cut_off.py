"""A body cut off mid-upload is no bug in My Lights: one warning line, no traceback.

My Lights served over real HTTP (uvicorn on 127.0.0.1), raw sockets. Its routes read their bodies
with Starlette (`request.body()`, `request.form()`), which raises `ClientDisconnect` when the
connection ends first: uvicorn logged "Exception in ASGI application" at level error with the
traceback, for a client that merely left (or, under `localexa serve`, a request the stop answered
503 mid-body: tests/crash/test_stop_with_clients_mid_request.py).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud
from localexa.samples.mylights.errors import CUT_OFF_MESSAGE

#: What My Lights' routes read: JSON (the skill, the resource server) and forms (OAuth).
CASES = [
    ("POST", "/skill", "application/json"),
    ("POST", "/skill/eu", "application/json"),
    ("POST", "/token", "application/x-www-form-urlencoded"),
    ("PUT", "/lights/kitchen", "application/json"),
]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every record of My Lights' logger and of uvicorn's (whose own config stops them reaching
    the root logger, so caplog never saw the traceback)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("localexa.samples.mylights", "uvicorn.error")]
    for named in loggers:
        named.addHandler(handler)
    yield handler.records
    for named in loggers:
        named.removeHandler(handler)


def _cut_off(base_url: str, method: str, path: str, media: str, token: str) -> None:
    """Announce a 40-byte body, send 1 byte, let the handler wait for the rest, and leave."""
    address = urlsplit(base_url)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: {media}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 40\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(head.encode() + b"{")
        time.sleep(0.2)  # the handler is reading the body


def _token(cloud: DeviceCloud) -> str:
    """A token for the resource server, which reads a body only once the token has passed."""
    config = cloud.config
    code = cloud.oauth.issue_code("demo", config.client_id, None, "lights")
    return cloud.oauth.redeem_code(code, config.client_id, None, None).access_token


@pytest.mark.parametrize(("method", "path", "media"), CASES)
def test_a_body_cut_off_is_one_warning_without_traceback(
    mylights: str, cloud: DeviceCloud, logged: list[logging.LogRecord], method: str, path: str, media: str
) -> None:
    _cut_off(mylights, method, path, media, _token(cloud))
    deadline = time.monotonic() + 5
    while not logged and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # anything else it logs for the request
    lines = [(r.name, r.levelname, r.getMessage()) for r in logged]
    assert lines == [("localexa.samples.mylights", "WARNING", f"{method} {path}: {CUT_OFF_MESSAGE}")], lines
    assert not [r for r in logged if r.exc_info], "a traceback was logged"
    # The server goes on serving.
    assert httpx.get(f"{mylights}/health", timeout=5).json() == {"status": "ok"}
