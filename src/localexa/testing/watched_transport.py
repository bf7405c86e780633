"""The transport of the testing kit's clients: a connection failure first asks whether the
server exited, so a call to a server that died mid-test raises the kit's error (its exit code
and log's tail) instead of a bare connection error (testing/server.py)."""

from __future__ import annotations

import functools
from typing import Protocol

import anyio.to_thread
import httpx

#: How long a kit client waits, after a failed connection, for a dying server to be gone.
EXIT_GRACE = 0.5
#: The failures a server that exited causes: refused, or reset mid-request. Not timeouts (a
#: server that hangs is running) nor LocalProtocolError (a header httpx refuses to send).
CONNECTION_FAILURES = (httpx.NetworkError, httpx.RemoteProtocolError)


class ExitChecked(Protocol):
    def raise_if_exited(self, *, grace: float) -> None:
        """Raise the kit's error if the server has exited (waiting up to `grace` s for it)."""


class WatchedTransport(httpx.BaseTransport):
    """The kit's clients' transport: a connection failure first asks whether the server exited.

    Checked only when a request failed, so a call that works costs nothing more. Without it a
    test whose server died (killed, crashed) failed with "Connection refused", and only the next
    test's fixture said why."""

    def __init__(self, transport: httpx.BaseTransport, server: ExitChecked) -> None:
        self._transport = transport
        self._server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._transport.handle_request(request)
        except CONNECTION_FAILURES:
            self._server.raise_if_exited(grace=EXIT_GRACE)  # the kit's error, the failure its context
            raise

    def close(self) -> None:
        self._transport.close()


class WatchedAsyncTransport(httpx.AsyncBaseTransport):
    """`WatchedTransport` for async clients."""

    def __init__(self, transport: httpx.AsyncBaseTransport, server: ExitChecked) -> None:
        self._transport = transport
        self._server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._transport.handle_async_request(request)
        except CONNECTION_FAILURES:
            # In a worker thread: the wait for a dying server must not block the event loop.
            await anyio.to_thread.run_sync(functools.partial(self._server.raise_if_exited, grace=EXIT_GRACE))
            raise

    async def aclose(self) -> None:
        await self._transport.aclose()
