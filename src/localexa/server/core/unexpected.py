"""An exception no handler took becomes the API's 500 inside the request, not outside it.

Starlette hands such an exception to its outermost middleware (ServerErrorMiddleware), outside
every middleware of ours: the handler's log line had no request id (the id's context had ended),
the journal saw no answer, and the exception was raised again to uvicorn, which logged a second
traceback and closed the keep-alive connection. Here, innermost, the same handler
(`core/error_handlers.py`'s, registered for `Exception`) answers while the request id, the journal and the
metrics still see the call, and nothing is raised further.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class UnexpectedErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            handler = scope["app"].exception_handlers.get(Exception)
            if started or handler is None:
                raise  # too late to answer (or no handler): the server ends the connection
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)
