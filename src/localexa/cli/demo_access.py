"""The access line of each request `localexa serve`'s My Lights demo answers (cli/serve_servers.py
`build_demo_device_cloud` wraps the sample's app in it, inside localexa's request id middleware).

localexa's own answers each carry an `X-Amzn-RequestId` and leave an access line under it
(observe/middleware.py); My Lights, beside it in the same process and log, answered with neither,
so a request to it left no trace in the log. Not part of the sample itself: it is an example of a
device cloud, and run on its own (`python -m localexa.samples.mylights`) uvicorn logs its access
lines.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("localexa.mylights.access")

#: What the line of a request whose body was cut off says in place of a status: the answer My
#: Lights rendered (a 400) reached nobody, and when the wire answered it itself (the stop's 503, a
#: broken chunk's 400), its own line under the same request id says what the client got.
CUT_OFF_NOTE = "cut off: the connection ended before the request's body arrived whole; nothing of it was done"


class DemoAccessLog:
    """One info line per HTTP request: `method=… path=… status=… latency_ms=…` (the path without
    its query: My Lights' `/authorize` carries codes and states there)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        cut_off = False

        async def watch_receive() -> Message:
            nonlocal cut_off
            message = await receive()
            if message["type"] == "http.disconnect" and status is None:
                cut_off = True
            return message

        async def watch_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, watch_receive, watch_send)
        finally:
            shown = "-" if cut_off or status is None else str(status)
            logger.info(
                "method=%s path=%s status=%s latency_ms=%.1f%s",
                scope["method"],
                scope["path"],
                shown,
                (time.perf_counter() - started) * 1000,
                f" {CUT_OFF_NOTE}" if cut_off else "",
            )
