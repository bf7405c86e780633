"""Counting what one call costs: SQL statements, transactions and savepoints of the app's engines,
and Redis commands and round trips, attributed to the task that sent the call.

A call sent with httpx's ASGITransport runs in the sender's own task, so everything that task
runs is the call's: its route, dependencies and middlewares, the token check, an after-commit
hook, and the tasks it starts to close a connection. The journal writer, the evaluation worker
and the after-link follow-up run in tasks of their own and are kept apart (`background`), so a
count does not depend on when they happen to run.

    log = StatementLog.install(app)          # once the app's lifespan has started
    async with log.call() as call:
        await client.get(...)
    call.statements, call.transactions, call.redis_commands, call.round_trips
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

#: Transaction control sent as SQL (SQLite's BEGIN [IMMEDIATE], savepoints): counted by the
#: transaction events instead of as statements.
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class Call:
    """What one call ran, in order."""

    #: (engine, kind, text): kind is "sql", "begin", "commit", "rollback", "savepoint",
    #: "release" or "rollback_savepoint"; "begin (autocommit)" and the like where the connection
    #: runs in autocommit (no transaction is begun on the server).
    events: list[tuple[str, str, str]] = field(default_factory=list)
    #: Redis command names, in order (EVALSHA for the rate limiter's script).
    redis: list[str] = field(default_factory=list)
    #: Writes of a command (or a pipeline) to a Redis socket, each answered before the next.
    redis_trips: int = 0

    @property
    def statements(self) -> list[str]:
        return [text for _, kind, text in self.events if kind == "sql"]

    @property
    def transactions(self) -> int:
        return sum(1 for _, kind, _ in self.events if kind == "begin")

    @property
    def commits(self) -> int:
        return sum(1 for _, kind, _ in self.events if kind == "commit")

    @property
    def savepoints(self) -> int:
        return sum(1 for _, kind, _ in self.events if kind == "savepoint")

    @property
    def database_trips(self) -> int:
        """Round trips to a database server: each statement, BEGIN, COMMIT, ROLLBACK and savepoint
        command is one on PostgreSQL (asyncpg, statements prepared once per connection); in
        autocommit no BEGIN, COMMIT or ROLLBACK is sent."""
        return sum(1 for _, kind, _ in self.events if not kind.endswith("(autocommit)"))

    def describe(self) -> str:
        lines = [
            f"  {engine} {kind}: {' '.join((text or '').split())[:200]}" for engine, kind, text in self.events
        ]
        lines += [f"  redis: {name}" for name in self.redis]
        return "\n".join(lines)


#: The call being recorded, in the context of the task sending it and of every task it starts
#: (SQLAlchemy closes an `async with engine.connect()` block in a task of its own).
_recording: ContextVar[Call | None] = ContextVar("statement_log_call", default=None)
#: Tasks a call starts that are not the call's own work: they outlive it (after_link_runner.py).
_OWN_WORK = ("after-link",)


class StatementLog:
    def __init__(self) -> None:
        self._current: Call | None = None
        #: What other tasks ran while calls were recorded (the journal writer, workers).
        self.background = Call()
        self._engines: list[AsyncEngine] = []

    @classmethod
    def install(cls, app: FastAPI) -> StatementLog:
        log = cls()
        log.watch(app.state.engine, "state")
        journal_engine = app.state.journal.engine
        if journal_engine is not app.state.engine:
            log.watch(journal_engine, "journal")
        return log

    def _target(self) -> Call | None:
        if self._current is None:
            return None
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return None
        recording = _recording.get()
        if recording is not self._current or task is None or task.get_name().startswith(_OWN_WORK):
            return self.background
        return recording

    def _add(self, engine: str, kind: str, text: str = "") -> None:
        target = self._target()
        if target is not None:
            target.events.append((engine, kind, text))

    def watch(self, engine: AsyncEngine, name: str) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def _execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if not _CONTROL.match(statement):
                self._add(name, "sql", statement)

        for kind in ("begin", "commit", "rollback"):

            def _on(conn: Any, kind: str = kind) -> None:
                # In autocommit (PostgreSQL reads, db/engine.py) nothing is sent for these.
                autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
                self._add(name, f"{kind} (autocommit)" if autocommit else kind)

            event.listen(sync, kind, _on)

        @event.listens_for(sync, "savepoint")
        def _savepoint(_conn: Any, name_: str) -> None:
            self._add(name, "savepoint", name_)

        @event.listens_for(sync, "release_savepoint")
        def _release(_conn: Any, name_: str, _xid: Any) -> None:
            self._add(name, "release", name_)

        @event.listens_for(sync, "rollback_savepoint")
        def _rollback_savepoint(_conn: Any, name_: str, _xid: Any) -> None:
            self._add(name, "rollback_savepoint", name_)

        @event.listens_for(sync.pool, "reset")
        def _reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
            # The pool ends a transaction the connection left open (a read on `engine.connect()`).
            if getattr(dbapi_connection, "_transaction", None) is not None or getattr(
                dbapi_connection, "in_transaction", False
            ):
                self._add(name, "rollback", "(the pool's reset)")

        self._engines.append(engine)

    @contextlib.contextmanager
    def _redis_patched(self) -> Iterator[None]:
        from redis.asyncio.client import Redis
        from redis.asyncio.connection import AbstractConnection

        execute: Callable[..., Awaitable[Any]] = Redis.execute_command  # (redis leaves it unannotated)
        send = AbstractConnection.send_packed_command
        log = self

        async def execute_command(client: Redis, *args: Any, **options: Any) -> Any:
            target = log._target()
            if target is not None:
                target.redis.append(str(args[0]).upper())
            return await execute(client, *args, **options)

        async def send_packed_command(
            conn: AbstractConnection, command: bytes | str | Iterable[bytes], check_health: bool = True
        ) -> None:
            target = log._target()
            if target is not None:
                target.redis_trips += 1
            await send(conn, command, check_health)

        # patch.object puts the methods back on the way out, as the finally of a setattr would.
        with (
            mock.patch.object(Redis, "execute_command", execute_command),
            mock.patch.object(AbstractConnection, "send_packed_command", send_packed_command),
        ):
            yield

    @contextlib.asynccontextmanager
    async def call(self) -> AsyncIterator[Call]:
        """Record what the current task, and the short tasks it starts, run inside the block."""
        recorded = Call()
        self._current = recorded
        token = _recording.set(recorded)
        try:
            with self._redis_patched():
                yield recorded
        finally:
            _recording.reset(token)
            self._current = None
