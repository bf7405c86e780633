"""Real HTTP servers on 127.0.0.1 for the tests: an ASGI app (a skill, a token server, My Lights)
under uvicorn in a thread or in the test's own event loop, and free ports for `localexa serve`."""

from __future__ import annotations

import asyncio
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from functools import cache

import httpx
import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT = 10.0
#: For a test's own httpx client of a `localexa serve` process: httpx keeps an idle connection 5 s,
#: as long as the server's `--idle-timeout`, and a request sent on one just as the server closed
#: it got no answer ("Server disconnected", seen in CI). Idle connections are given up well before.
SERVED_LIMITS = httpx.Limits(keepalive_expiry=2.0)


@cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default TLS context (`verify=True`), built once. httpx builds one for every client
    it makes, certifi's bundle loaded (~25 ms, 40 on a loaded machine), though the servers here
    speak plain HTTP: a client made per admin call or per readiness poll spent seconds of a test
    (and the CPU the servers starting beside it needed) on it."""
    return httpx.create_ssl_context()


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that were free a moment ago (held together so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextmanager
def closed_ports(*ports: int) -> Iterator[None]:
    """The ports bound and never listening while the block runs: a connection to them is refused
    at once, and no other server of the machine (another xdist worker's) can listen there
    meanwhile, as it can on a port that was free a moment ago (`free_ports`). Once one did, and a
    demo rightly stayed where something answered (CI of 2026-12-08)."""
    with ExitStack() as held:
        for port in ports:
            bound = held.enter_context(socket.socket())
            bound.bind(("127.0.0.1", port))
        yield


@contextmanager
def closed_port() -> Iterator[int]:
    """A port of 127.0.0.1 where nothing answers while the block runs (`closed_ports`)."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield int(bound.getsockname()[1])


def _bound_socket() -> socket.socket:
    # Bound before uvicorn starts, so the port is known and nobody can take it in between.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _LeavesSignalsAlone(uvicorn.Server):
    """A server that never touches the test process's signal handlers.

    uvicorn swaps in its own SIGINT handler while it serves and puts back the one it found when
    it stops. Served from the running loop (`serve_in_loop`) by an async fixture, it started
    during one `asyncio.Runner.run` (pytest-asyncio's setup) and stopped during another
    (teardown): it put back the first Runner's SIGINT handler, which that Runner no longer
    removed, and for the rest of the session the first Ctrl-C only cancelled a finished task."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", ws="none", access_log=False, timeout_graceful_shutdown=2
    )
    return _LeavesSignalsAlone(config)


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve `app` from a thread with its own event loop; yields its base URL."""
    sock = _bound_socket()
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
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


@asynccontextmanager
async def serve_in_loop(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` from the running event loop (an app whose engine belongs to that loop)."""
    sock = _bound_socket()
    server = _server(app)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + START_TIMEOUT
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
def serve_stdlib(server: socketserver.TCPServer, scheme: str = "http") -> Iterator[str]:
    """A `http.server` server (bound already, TLS-wrapped or not) serving in a thread; yields its
    base URL and stops it on exit."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"{scheme}://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
