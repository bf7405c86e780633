"""Real HTTP for the directives and events tests.

- localexa itself is served by uvicorn inside the test's event loop (its database engine belongs to
  that loop), on a free port of 127.0.0.1, so a skill can call it back (AcceptGrant's code
  exchange, ChangeReports).
- My Lights (the sample device cloud: OAuth server, lights, skill endpoint) runs under uvicorn in a
  thread, wrapped in a recorder that keeps every request to its token endpoint.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class TokenRequests:
    """Form bodies the skill's token endpoint received (grant_type, …), in order."""

    forms: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grant_types(self) -> list[str]:
        with self.lock:
            return [form.get("grant_type", "") for form in self.forms]


def record_token_requests(app: ASGIApp, path: str, seen: TokenRequests) -> ASGIApp:
    """Wrap `app` so the bodies of POSTs to `path` are kept in `seen` (then passed on unchanged)."""

    async def recorder(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != path:
            await app(scope, receive, send)
            return
        body = bytearray()
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with seen.lock:
            seen.forms.append(dict(parse_qsl(body.decode())))

        async def replay() -> Message:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        await app(scope, replay, send)

    return recorder


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait (yielding to the loop that serves localexa) until `condition` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
