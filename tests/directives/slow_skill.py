"""A skill endpoint on 127.0.0.1 that holds its Discover answer, for the follow-ups' tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.skill import accept_grant_response, discover_response
from tests.servers import serve_in_loop


class SlowSkill:
    """Answers Discover after `discover_seconds`, AcceptGrant at once; counts what came."""

    def __init__(self, discover_seconds: float) -> None:
        self.discover_seconds = discover_seconds
        self.discover_arrived = asyncio.Event()
        #: Discovers that came, also those whose sender gave up before the answer.
        self.discovers = 0
        self.discovers_answered = 0
        self.accept_grants = 0
        #: When given, Discover is answered once this is set instead of after `discover_seconds`:
        #: a test that must act while Discover waits then does not race a timer on a loaded
        #: machine (the takeover test failed in CI so).
        self.release: asyncio.Event | None = None

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        if message["directive"]["header"]["name"] == "Discover":
            self.discovers += 1
            self.discover_arrived.set()
            if self.release is None:
                await asyncio.sleep(self.discover_seconds)
            else:
                await asyncio.wait_for(self.release.wait(), 60)
            self.discovers_answered += 1
            return JSONResponse(discover_response(message, []))
        self.accept_grants += 1
        return JSONResponse(accept_grant_response(message))


@asynccontextmanager
async def slow_skill_served(discover_seconds: float) -> AsyncIterator[tuple[SlowSkill, str]]:
    """The skill and its endpoint URL, served for the block."""
    skill = SlowSkill(discover_seconds)
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
        yield skill, f"{url}/skill"
