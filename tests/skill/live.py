"""Real HTTP servers on 127.0.0.1 for the kit and sample tests: an ASGI app under uvicorn in a
thread, and `FakeAmazon`, a stub of LWA's token endpoint and the event gateway (Amazon itself is
the one thing we mock)."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from tests.servers import serve_in_thread


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for work done in the background (a ChangeReport sent after the answer)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeAmazon:
    """LWA `/auth/o2/token` (codes → token pairs, refresh) and `/v3/events` (202 for a live token)."""

    client_id: str = "amzn1.application-oa2-client.skill"
    client_secret: str = "skill-secret"
    codes: set[str] = field(default_factory=lambda: {"good-code"})
    gateway_status: int | None = None  # force an answer from /v3/events, e.g. 403
    requests: list[Recorded] = field(default_factory=list)
    live_access: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    base_url: str = ""

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        self.requests.append(Recorded(path, headers, body))
        if path == "/auth/o2/token":
            return self._token(dict(parse_qsl(body.decode())))
        if path == "/v3/events":
            return self._event(headers.get("authorization", ""))
        return 404, {"message": "not found"}

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])
            return 200, self._pair(with_refresh=True)
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            return 200, self._pair(with_refresh=False)
        return 400, {"error": "invalid_grant", "error_description": "The code or refresh token is not valid"}

    def _pair(self, *, with_refresh: bool) -> dict[str, Any]:
        access = "Atza|" + secrets.token_urlsafe(16)
        self.live_access.add(access)
        pair: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": 3600}
        if with_refresh:
            pair["refresh_token"] = "Atzr|" + secrets.token_urlsafe(16)
            self.refresh_tokens.add(pair["refresh_token"])
        return pair

    def _event(self, authorization: str) -> tuple[int, dict[str, Any]]:
        if self.gateway_status is not None:
            return self.gateway_status, _gateway_error("SKILL_DISABLED_EXCEPTION", "The skill is disabled")
        if authorization.removeprefix("Bearer ") not in self.live_access:
            return 401, _gateway_error("INVALID_ACCESS_TOKEN_EXCEPTION", "The token is not valid")
        return 202, {}


def _gateway_error(code: str, description: str) -> dict[str, Any]:
    header = {"namespace": "System", "name": "Exception", "messageId": "m-1"}
    return {"header": header, "payload": {"code": code, "description": description}}


@contextmanager
def fake_amazon(stub: FakeAmazon | None = None) -> Iterator[FakeAmazon]:
    amazon = stub or FakeAmazon()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = amazon.answer(self.path, headers, body)
            data = json.dumps(answer).encode() if answer or status != 202 else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    amazon.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield amazon
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# Fixtures, imported by tests/skill/conftest.py and tests/samples/conftest.py.
@pytest.fixture
def cloud() -> DeviceCloud:
    """A My Lights device cloud with two users."""
    return DeviceCloud(MyLightsConfig(users={"demo": "demo", "ann": "ann-password"}))


class SwappableApp:
    """One uvicorn server for the session; each test mounts a fresh My Lights behind it."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _mylights_server() -> Iterator[tuple[SwappableApp, str]]:
    holder = SwappableApp()
    with serve_in_thread(holder) as url:
        yield holder, url


@pytest.fixture
def mylights(cloud: DeviceCloud, _mylights_server: tuple[SwappableApp, str]) -> Iterator[str]:
    """A fresh My Lights (on `cloud`) served over real HTTP; yields its base URL."""
    holder, url = _mylights_server
    holder.app = create_mylights_app(cloud=cloud)
    yield url
    holder.app = None


@pytest.fixture
def amazon() -> Iterator[FakeAmazon]:
    with fake_amazon() as stub:
        yield stub
