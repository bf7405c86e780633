"""The client's pool gives up an idle connection before `localexa serve` closes it.

httpx keeps an idle connection 5 s by default, exactly as long as `localexa serve --idle-timeout`
(5 s) keeps it: a request written on it just as the server closed it got no answer ("Server
disconnected without sending a response", seen in CI on a loaded machine), and a POST is then
not sent again (the server may have acted on it). The client keeps idle connections 4 s.

The server here plays that moment out: it answers the first request of a connection, and a later
request on a connection that was idle 4 s or more finds it closed, as localexa's idle close would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from localexa.client import AsyncClient

#: Idle long enough for the client to give the connection up, not for the server's 5 s.
IDLE = 4.3


@asynccontextmanager
async def closing_at_idle(connections: list[int]) -> AsyncIterator[str]:
    """An HTTP/1.1 server on 127.0.0.1 that drops a request on a connection idle >= 4 s."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        last = time.monotonic()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if time.monotonic() - last >= 4.0:
                    return  # closed as idle: the request gets no answer
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                body = json.dumps({"vendorId": "amzn1.vendor.1", "name": "Acme"}).encode()
                writer.write(
                    b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                last = time.monotonic()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def test_a_post_after_an_idle_pause_goes_on_a_new_connection() -> None:
    connections: list[int] = []
    async with closing_at_idle(connections) as url, AsyncClient(base_url=url, admin_key="k") as client:
        await client.admin.vendors.create(name="Acme", owner_user_id="amzn1.account.1")
        await asyncio.sleep(IDLE)
        made = await client.admin.vendors.create(name="Acme", owner_user_id="amzn1.account.1")
    assert made.name == "Acme"
    assert len(connections) == 2
