"""`--log-level debug` logs httpcore's trace of every outbound call (to skills, token URLs, device
clouds), response headers included: a skill's `Set-Cookie` (or an `Authorization` it echoed) was
written to the log as it came (QA of 2026-12-06). Header pairs of credential headers are scrubbed
from log lines now, whoever prints them (`(b'Set-Cookie', b'…')`, `'set-cookie': '…'`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from localexa.server.observe.logging_setup import configure_logging
from tests.servers import serve_stdlib


class _CookieSkill(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "sid=s3cr3tCookieValue; Path=/; HttpOnly")
        self.send_header("Authorization", "Bearer echoedS3cr3t")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def skill_url() -> Iterator[str]:
    with serve_stdlib(ThreadingHTTPServer(("127.0.0.1", 0), _CookieSkill)) as url:
        yield f"{url}/skill"


def test_debug_logs_of_outbound_calls_hold_no_cookie_or_authorization(skill_url: str) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("debug", stream=stream)
    try:
        answer = httpx.post(skill_url, json={"directive": {}})
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert answer.cookies["sid"] == "s3cr3tCookieValue"  # the client itself still gets it
    logged = stream.getvalue()
    assert "receive_response_headers.complete" in logged  # httpcore's trace is there...
    assert "application/json" in logged  # ... with the harmless headers
    assert "s3cr3tCookieValue" not in logged, logged
    assert "echoedS3cr3t" not in logged, logged


@pytest.mark.parametrize(
    "message",
    [
        "return_value=(b'HTTP/1.1', 200, b'OK', [(b'Set-Cookie', b'sid=abc123secret'), (b'X', b'y')])",
        "headers={'set-cookie': 'sid=abc123secret', 'x': 'y'}",
        'headers={"Cookie": "sid=abc123secret"}',
        "[('authorization', 'Basic abc123secret')]",
        "(b'x-localexa-admin-key', b'abc123secret')",
    ],
)
def test_header_pairs_of_credential_headers_are_scrubbed_from_log_lines(message: str) -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        logging.getLogger("localexa.test").info(message)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "abc123secret" not in stream.getvalue(), stream.getvalue()
    assert "[redacted]" in stream.getvalue()
