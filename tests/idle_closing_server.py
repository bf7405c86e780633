"""An HTTP/1.1 server on 127.0.0.1 that plays out a keep-alive connection closed as idle.

It answers each request 201 with a small JSON body, but a request arriving on a connection that
has been idle `idle_seconds` or more gets no answer: the connection closes, as a server's idle
timeout closes it at the moment a client writes on it (uvicorn keeps an idle connection 5 s,
gunicorn 2 s). A client that reuses such a connection sees "Server disconnected without sending a
response", and must not resend a POST; one that gives idle connections up sooner opens a new one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

BODY = json.dumps({"vendorId": "amzn1.vendor.1", "name": "Acme"}).encode()


@asynccontextmanager
async def closing_at_idle(idle_seconds: float, connections: list[int]) -> AsyncIterator[str]:
    """The server's URL for the block; `connections` gets one item per connection opened."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        last = time.monotonic()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if time.monotonic() - last >= idle_seconds:
                    return  # closed as idle: the request gets no answer
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(
                    b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(BODY)}\r\n\r\n".encode()
                    + BODY
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
