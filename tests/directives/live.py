"""Real HTTP for the directives and events tests.

- localexa itself is served by uvicorn inside the test's event loop (its database engine belongs to
  that loop), on a free port of 127.0.0.1, so a skill can call it back (AcceptGrant's code
  exchange, ChangeReports).
- My Lights (the sample device cloud: OAuth server, lights, skill endpoint) runs under uvicorn in a
  thread, wrapped in a recorder that keeps every request to its token endpoint.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _bound_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level="warning", lifespan="off", ws="none", access_log=False, timeout_graceful_shutdown=2
    )


@asynccontextmanager
async def serve_in_loop(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` from the running event loop; yields its base URL."""
    sock = _bound_socket()
    server = uvicorn.Server(_config(app))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve `app` from a thread with its own event loop; yields its base URL."""
    sock = _bound_socket()
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@dataclass
class TokenRequests:
    """Form bodies the skill's token endpoint received (grant_type, …), in order."""

    forms: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grant_types(self) -> list[str]:
        with self.lock:
            return [form.get("grant_type", "") for form in self.forms]


def record_token_requests(app: ASGIApp, path: str, seen: TokenRequests) -> ASGIApp:
    """Wrap `app` so the bodies of POSTs to `path` are kept in `seen` (then passed on unchanged)."""

    async def recorder(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != path:
            await app(scope, receive, send)
            return
        body = bytearray()
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with seen.lock:
            seen.forms.append(dict(parse_qsl(body.decode())))

        async def replay() -> Message:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        await app(scope, replay, send)

    return recorder


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait (yielding to the loop that serves localexa) until `condition` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
