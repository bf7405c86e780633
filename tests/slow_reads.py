"""An engine whose reads hold their answer until the test lets them go: for races between a read
begun before a change and the change itself (the clock's and the faults' caches)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

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


class SlowEngine:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.read = asyncio.Event()
        self.gate = asyncio.Event()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[SlowRead]:
        async with self.engine.connect() as conn:
            yield SlowRead(conn, self.read, self.gate)
