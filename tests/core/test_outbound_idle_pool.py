"""Outbound keep-alive connections do not outlive a quiet spell: httpx notices a connection its
peer closed only when the pool is used again, so a skill host that hung up left the server a
socket in CLOSE_WAIT until the next outbound call (tests/scale/test_no_leaks.py waited on it)."""

from __future__ import annotations

import asyncio

import pytest

from localexa.server.core import http as outbound

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


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

    server = await asyncio.start_server(serve_until_closed, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = outbound.OutboundHttp()
    try:
        for _ in range(2):
            answer = await http.request("GET", f"http://127.0.0.1:{port}/", timeout=5)
            assert (answer.status, answer.body) == (200, b"ok")
        assert connections == 1  # kept alive between the two calls
        await asyncio.wait_for(closed_by_client.wait(), 3)
        answer = await http.request("GET", f"http://127.0.0.1:{port}/", timeout=5)
        assert answer.body == b"ok"  # a new pool opens with the next call
        assert connections == 2
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()


#: Idle long enough for localexa to give the connection up (4 s), not for a skill host's 5 s.
IDLE = 4.3


async def test_a_call_after_an_idle_pause_goes_on_a_new_connection() -> None:
    """A skill host that closes a connection idle for 5 s (uvicorn's and Node's default
    keep-alive) closed it just as httpx, keeping it 5 s too, sent the next directive on it: the
    directive got no answer ("Server disconnected"). The host here plays that moment out: a
    request on a connection idle 4 s or more finds it closed; localexa keeps one idle 4 s."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        last = loop.time()
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                if loop.time() - last >= 4.0:
                    return  # closed as idle: the request gets no answer
                writer.write(ANSWER)
                await writer.drain()
                last = loop.time()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = outbound.OutboundHttp()
    try:
        first = await http.request("GET", f"http://127.0.0.1:{port}/", timeout=5)
        await asyncio.sleep(IDLE)
        second = await http.request("GET", f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()
    assert (first.body, second.body) == (b"ok", b"ok")
    assert connections == 2
