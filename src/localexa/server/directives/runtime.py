"""What talking to skills needs, gathered from the app's long-lived objects.

Sending a directive is not one request's work: the skill may call back into localexa while it
answers (AcceptGrant's code exchange at /auth/o2/token, a ChangeReport at /v3/events), and the
evaluation runs directives from background jobs. So these services do not use the request's
session: each step opens a short transaction of its own (`transaction()`), and no transaction is
open while a skill is being called. On SQLite every transaction holds the write lock from its
BEGIN, so a transaction held across the call would block the skill's call-back until it timed out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.http import OutboundHttp
from localexa.server.directives.in_flight import InFlightDirectives
from localexa.server.directives.invoker import SkillInvoker
from localexa.server.directives.lambda_pool import LambdaPool
from localexa.server.settings import Settings


@dataclass(frozen=True)
class Runtime:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    box: SecretBox
    outbound: OutboundHttp
    settings: Settings
    #: Warm workers for `python:` endpoints (owned by the directives router's lifespan).
    lambdas: LambdaPool
    #: For reading the shared clock offset (another process may have moved the clock).
    engine: AsyncEngine | None = None
    #: Directives sent and not yet recorded: what an early asynchronous answer is judged against.
    in_flight: InFlightDirectives | None = None

    @classmethod
    def of(cls, state: Any) -> Runtime:
        """From `app.state` (or anything with the same attributes)."""
        return cls(
            sessions=state.sessions,
            clock=state.clock,
            box=state.box,
            outbound=state.outbound,
            settings=state.settings,
            lambdas=LambdaPool.of(state),
            engine=getattr(state, "engine", None),
            in_flight=InFlightDirectives.of(state),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block ends without error, and rolls back otherwise."""
        # `async with`, unlike the request's session (db/session.py): this runs in background tasks,
        # where no FastAPI cancel scope shields the exit, so SQLAlchemy's own protected close is kept.
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def refresh_clock(self, *, force: bool = False) -> None:
        """Pick up a clock advance made by another server process (core.clock); `force` reads it
        even when it was read moments ago (before stamping something that expires)."""
        if self.engine is not None:
            await self.clock.refresh(self.engine, force=force)

    def invoker(self) -> SkillInvoker:
        return SkillInvoker(self.outbound, self.lambdas, timeout=self.settings.directive_timeout)
