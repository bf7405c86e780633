"""An engine whose reads hold their answer until the test lets them go: for races between a read
begun before a change and the change itself (the clock's and the faults' caches)."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class SlowRead:
    """A connection whose statements answer only once `gate` opens (`read` is set when the
    value has been read from the database, before the gate)."""

    def __init__(self, conn: AsyncConnection, read: asyncio.Event, gate: asyncio.Event) -> None:
        self._conn = conn
        self._read = read
        self._gate = gate

    async def execution_options(self, **options: Any) -> AsyncConnection:
        return await self._conn.execution_options(**options)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._conn.execute(*args, **kwargs)
        self._read.set()
        await self._gate.wait()
        return result

    async def close(self) -> None:
        await self._conn.close()


class SlowEngine:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.read = asyncio.Event()
        self.gate = asyncio.Event()

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    def connect(self) -> SlowConnect:
        """As `AsyncEngine.connect()`: awaited, or used with `async with`."""
        return SlowConnect(self)


class SlowConnect:
    def __init__(self, slow: SlowEngine) -> None:
        self._slow = slow
        self._opened: SlowRead | None = None

    def __await__(self) -> Generator[Any, None, SlowRead]:
        return self._open().__await__()

    async def _open(self) -> SlowRead:
        conn = await self._slow.engine.connect()
        return SlowRead(conn, self._slow.read, self._slow.gate)

    async def __aenter__(self) -> SlowRead:
        self._opened = await self._open()
        return self._opened

    async def __aexit__(self, *_: object) -> None:
        assert self._opened is not None
        await self._opened.close()
