"""The request's database session. Only this dependency commits (STYLE habit 2).

Handlers and services add and flush; the session commits once after the handler returns
without error and rolls back otherwise, so a failing request never leaves a partial write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from localexa.server.db.engine import reads_only


def session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return factory


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    session = session_factory(request)()
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        # Closed here, not by `async with`: AsyncSession's exit runs close() in a task of its own so
        # that a cancellation cannot cut it short, which cost every request a task and a trip round
        # the loop. FastAPI already shields a dependency's exit (everything after `yield`) from
        # cancellation, so the commit or rollback and the close run to the end either way.
        await session.close()


#: Function scope: the commit runs when the handler returns, BEFORE the response is sent. FastAPI's
#: default for a yield dependency ("request") would commit after the client already holds its 2xx,
#: so a crash (or a failing commit) there would lose a write the client was told succeeded.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class ReadsOnlyMiddleware:
    """Marks GET and HEAD requests (safe methods, RFC 9110 §9.2.1) as read-only for the database:
    on SQLite their transactions then take no write lock (db/engine.py). Pure ASGI, so the mark
    is in the context the route, its dependencies and the token check run in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        token = reads_only.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            reads_only.reset(token)
