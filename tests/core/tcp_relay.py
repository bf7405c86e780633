"""A TCP relay from a free local port to a real server, for outages that touch nothing shared;
and `silent_redis()`, a Redis that takes connections and never answers (hung).

`down()` stops listening and cuts every relayed connection: to whoever connects through it the
server has gone (connection refused, the open connections closed), as a stopped PostgreSQL is,
while the machine's shared PostgreSQL keeps serving everyone else. `up()` listens again.

`relay` is a fixture (import it into a test module): a relay to the session's PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url


class Relay:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def down(self) -> None:
        """Refuse new connections and close the open ones (closed, not cancelled: a cancelled
        connection task is logged as an error by asyncio's stream server)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout=5)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        try:
            with contextlib.suppress(OSError):
                to_reader, to_writer = await asyncio.open_connection(*self._target)
                self._writers.append(to_writer)
                await asyncio.gather(_pipe(reader, to_writer), _pipe(to_reader, writer))
            writer.close()
        finally:
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def silent_redis() -> AsyncIterator[str]:
    """The URL of a listener that takes every connection and never answers: a Redis paused,
    swapping, or a dead peer behind a load balancer (core/redis_guard.py)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # holds the connection until the client closes it
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    finally:
        server.close()


@pytest.fixture
async def relay(pg_database_url: str | None) -> AsyncIterator[Relay]:
    """A relay, listening, to the session's PostgreSQL (tests/conftest.py `pg_database_url`)."""
    assert pg_database_url is not None
    server = make_url(pg_database_url)
    relayed = Relay(server.host or "127.0.0.1", server.port or 5432)
    await relayed.up()
    yield relayed
    await relayed.down()
