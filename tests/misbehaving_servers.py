"""Raw HTTP servers on 127.0.0.1 that break the protocol on purpose (the skill side misbehaving).

uvicorn (tests/servers.py) only speaks correct HTTP; these speak whatever a script writes on the
socket: a wrong Content-Length, a broken chunk, a body that trickles, a connection closed halfway.
A server runs in the test's own event loop and hands every request, read whole, to a `Script`:

    async with misbehaving_server({"/skill": trickle(), "/token": answer(200, TOKEN)}) as server:
        url = server.url("/skill")

Each script gets the request and the raw writer, writes what it likes and returns; the server then
closes the connection (a script that must hang awaits `server.release`, set when the server stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


Script = Callable[[RawRequest, asyncio.StreamWriter, asyncio.Event], Awaitable[None]]


@dataclass
class MisbehavingServer:
    base_url: str
    requests: list[RawRequest] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.base_url + path


async def _read_request(reader: asyncio.StreamReader) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawRequest(method, path, headers, body)


@asynccontextmanager
async def misbehaving_server(
    scripts: Mapping[str, Script], *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[MisbehavingServer]:
    """Serve `scripts` by path (a path not listed is answered 404) until the block ends."""
    server: MisbehavingServer | None = None
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert server is not None
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is None:
                return
            server.requests.append(request)
            script = scripts.get(request.path.split("?", 1)[0], answer(404, b"not here"))
            await script(request, writer, server.release)
            await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass  # the client gave up first: what these servers are for
        except asyncio.CancelledError:
            # The block ended while this script still ran. Returning (not re-raising) spares
            # Python 3.11's stream protocol a logged "Exception in callback" with the traceback.
            return
        finally:
            tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = listener.sockets[0].getsockname()[1]
    server = MisbehavingServer(f"{'https' if tls else 'http'}://127.0.0.1:{port}")
    try:
        yield server
    finally:
        server.release.set()
        listener.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.wait_closed()


# -- scripts -----------------------------------------------------------------------------------------


@dataclass
class Switch:
    """A script the test changes while the server runs (the skill or token URL behaving well for
    the link, then badly for the call under test)."""

    script: Script

    async def __call__(
        self, request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        await self.script(request, writer, release)


def raw(data: bytes) -> Script:
    """Write `data` as it is, then close."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        writer.write(data)

    return script


def answer(
    status: int,
    body: bytes | str | Any,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Script:
    """A correct HTTP/1.1 answer (bytes as given, str encoded, anything else as JSON)."""
    if isinstance(body, str):
        data = body.encode("utf-8", "surrogatepass")
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n"
        f"Connection: close\r\n{extra}\r\n"
    )
    return raw(head.encode() + data)


def silent() -> Script:
    """Read the request and never answer (until the server stops)."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        await release.wait()

    return script


def trickle(interval: float = 0.05) -> Script:
    """Answer 200 promising 1 MB, then send one byte every `interval` for ever: every single
    read is quick, the body never ends."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
        while not release.is_set():
            writer.write(b" ")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), interval)

    return script


def cut_mid_body() -> Script:
    """Promise 100 bytes, send 10, close."""
    return raw(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"event":')


def reset_after(data: bytes) -> Script:
    """Write `data`, then reset the connection (an RST, not a close: the client reads a
    ConnectionResetError, httpx a ReadError)."""

    async def script(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(0.05)  # the client reads what was written before the reset
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    return script


def lying_length(body: bytes, claimed: int) -> Script:
    """A Content-Length that is not the body's (more than sent: the connection then closes)."""
    return raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(claimed).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


def chunked(chunks: bytes) -> Script:
    """`Transfer-Encoding: chunked` with the chunk framing written by the caller (broken or not)."""
    return raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunks
    )


# -- Lambda-style handlers (`python:tests.misbehaving_servers:<name>`) ----------------------------------
# Here rather than in a test module: a worker imports this module on its first call, and a test
# module's imports (pytest, the app) would make that cold start slower than the short deadlines.


def raise_unprintable(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = event["directive"]["endpoint"]["scope"]["token"]
    raise RuntimeError(f"failed for {token}\x00\x1b[31m\ud800")


def return_lone_surrogate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"event": {"header": {"name": "Response\ud800"}, "payload": {}}}


def return_deep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for _ in range(int(event["directive"]["payload"].get("depth") or 900)):
        answer = {"a": answer}
    return {"event": answer}


def print_a_lot(event: dict[str, Any], context: Any) -> dict[str, Any]:
    chunk = "x" * 1024 * 1024
    for _ in range(20):
        print(chunk)
    return {"event": {"header": {"name": "Response"}}}


def exit_politely(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise SystemExit(0)


def interrupt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise KeyboardInterrupt


def return_set(event: dict[str, Any], context: Any) -> Any:
    return {"event": {1, 2}}
