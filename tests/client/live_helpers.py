"""Helpers of the client's second audit (test_cancellation, test_concurrency, test_retry_budget,
test_parity, test_error_hygiene): the real app on a port of 127.0.0.1, scripts for
tests/misbehaving_servers.py that say when a request has reached them, and the operating system's
own count of the client's open sockets (/proc/net/tcp), so a leak is seen whatever httpx thinks.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import socket
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI

from localexa.client import AsyncClient, Client
from tests.conftest import ADMIN_KEY
from tests.misbehaving_servers import RawRequest, Script, answer
from tests.servers import serve_in_loop

CREDS = {"skillMessagingCredentials": {"clientId": "amzn1.application-oa2-client.c", "clientSecret": "s"}}
TOKEN = {"access_token": "Atza|fresh", "token_type": "bearer", "expires_in": 3600}


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[str]:
    """The real app on a real port of 127.0.0.1 (NA listener)."""
    async with serve_in_loop(app) as url:
        yield url


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


async def on_client(mode: str, url: str, call: Callable[[Any], Any], **options: Any) -> Any:
    """Run `call(client)` on a Client (in a worker thread) or an AsyncClient against `url`."""
    options = {"base_url": url, "admin_key": ADMIN_KEY, **options}
    if mode == "sync":

        def blocking() -> Any:
            with Client(**options) as client:
                return call(client)

        return await anyio.to_thread.run_sync(blocking)
    async with AsyncClient(**options) as client:
        result = call(client)
        return await result if inspect.isawaitable(result) else result


# -- scripts that report arrival ------------------------------------------------------------------


def held(arrived: asyncio.Event) -> Script:
    """Read the request, say so, and never answer (until the server stops)."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        arrived.set()
        await release.wait()

    return script


def half_answered(arrived: asyncio.Event) -> Script:
    """Answer 200 with headers and a few bytes of a 1000-byte body, say so, and stop there."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        await writer.drain()
        arrived.set()
        await release.wait()

    return script


def signalling(script: Script, arrived: asyncio.Event) -> Script:
    """`script`, after saying that a request reached it."""

    async def wrapped(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        arrived.set()
        await script(request, writer, release)

    return wrapped


def hang_up() -> Script:
    """Read the request whole, then close without a word: the answer is lost after the server may
    have acted (httpx: RemoteProtocolError, "Server disconnected without sending a response")."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        return None

    return script


def sequence(*scripts: Script) -> Script:
    """The first request gets the first script, and so on; the last script answers the rest."""
    remaining = list(scripts)

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        current = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        await current(request, writer, release)

    return script


def ok(body: Any = None) -> Script:
    return answer(200, CREDS if body is None else body)


# -- sockets as the kernel sees them -----------------------------------------------------------------

#: TCP states of a socket its owner has not closed: ESTABLISHED, SYN_SENT, CLOSE_WAIT.
_OPEN_STATES = {"01", "02", "08"}


def client_sockets(port: int) -> list[tuple[int, str]]:
    """(local port, TCP state as /proc/net/tcp writes it) of every socket of this machine that
    connects to 127.0.0.1:`port`: the client's side of those connections."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_ip, remote_port = fields[2].split(":")
        if remote_ip == "0100007F" and int(remote_port, 16) == port:
            found.append((int(fields[1].split(":")[1], 16), fields[3]))
    return found


def open_client_sockets(port: int, *, exclude: set[int] | None = None) -> int:
    """How many client sockets to 127.0.0.1:`port` their owner has not closed (`exclude`: local
    ports of sockets not to count)."""
    skip = exclude or set()
    return sum(1 for local, state in client_sockets(port) if state in _OPEN_STATES and local not in skip)


async def eventually_no_client_sockets(port: int, *, exclude: set[int] | None = None) -> None:
    """Closing a socket takes a turn or two of the loop; allow 1.5 s, then fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.5
    while open_client_sockets(port, exclude=exclude):
        if loop.time() > deadline:
            raise AssertionError(f"{open_client_sockets(port, exclude=exclude)} client socket(s) left open")
        await asyncio.sleep(0.01)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


@contextmanager
def no_resource_warnings() -> Iterator[None]:
    """Fail on any ResourceWarning (an unclosed socket or transport) raised by the block, or by
    the garbage it leaves (collected at its end)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
