"""Outbound keep-alive connections do not outlive a quiet spell: httpx notices a connection its
peer closed only when the pool is used again, so a skill host that hung up left the server a
socket in CLOSE_WAIT until the next outbound call (tests/scale/test_no_leaks.py waited on it)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from localexa.server.core import http as outbound

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def _outbound_to(handler: Handler) -> AsyncIterator[tuple[outbound.OutboundHttp, str]]:
    """localexa's outbound HTTP and the URL of a server on 127.0.0.1 that `handler` runs."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    http = outbound.OutboundHttp()
    try:
        yield http, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()


async def test_the_pool_closes_its_connections_after_a_quiet_spell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "IDLE_CLOSE_SECONDS", 0.2)
    closed_by_client = asyncio.Event()
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while await reader.readuntil(b"\r\n\r\n"):  # keep-alive: answer each request
            writer.write(ANSWER)
            await writer.drain()
        # unreachable: readuntil raises at end of stream

    async def serve_until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await serve(reader, writer)
        except asyncio.IncompleteReadError:
            closed_by_client.set()  # the client (localexa) closed its end
        finally:
            writer.close()

    async with _outbound_to(serve_until_closed) as (http, url):
        for _ in range(2):
            answer = await http.request("GET", url, timeout=5)
            assert (answer.status, answer.body) == (200, b"ok")
        assert connections == 1  # kept alive between the two calls
        await asyncio.wait_for(closed_by_client.wait(), 3)
        answer = await http.request("GET", url, timeout=5)
        assert answer.body == b"ok"  # a new pool opens with the next call
        assert connections == 2


async def test_a_reopened_pool_reuses_the_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the system trust store takes 20-40 ms of the event loop: it was read again each
    time the pool re-opened after a quiet spell, holding every request of the process up."""
    monkeypatch.setattr(outbound, "IDLE_CLOSE_SECONDS", 0.05)
    made: list[ssl.SSLContext] = []
    real = outbound.ssl_context

    def counted(ca_file: Path | None) -> ssl.SSLContext:
        made.append(real(ca_file))
        return made[-1]

    monkeypatch.setattr(outbound, "ssl_context", counted)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    async with _outbound_to(serve) as (http, url):
        for _ in range(3):
            answer = await http.request("GET", url, timeout=5)
            assert answer.body == b"ok"
            await asyncio.sleep(0.2)  # the pool closes, and the next call opens a new one
            assert http._opened is None
    assert len(made) == 1, made
