"""A skill's answer must be whole within the directive timeout, however it trickles in.

httpx's own timeout is per read: a skill sending a byte every fraction of a second would never
trip it. Amazon gives a skill 8 s for the whole answer; localexa holds to one deadline too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from localexa.server.core.http import OutboundCall, OutboundHttp
from localexa.server.directives.invoker import InvocationErrorKind, SkillInvoker
from localexa.server.directives.lambda_pool import LambdaPool
from tests.servers import serve_in_loop

MESSAGE = {
    "directive": {
        "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
        "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": "skill-token-1"}},
        "payload": {},
    }
}
TIMEOUT = 1.0
#: Each pause is well under the timeout; all of them together are well over it.
PAUSE = 0.25
#: 10 s in all, so the bound below (half of it) leaves a loaded machine 4 s past the deadline.
PIECES = 40


async def _trickle(request: Request) -> Response:
    async def pieces() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(PIECES):
            await asyncio.sleep(PAUSE)
            yield b"x"
        yield b'"}'

    return StreamingResponse(pieces(), media_type="application/json")


@pytest.fixture
async def skill_url() -> AsyncIterator[str]:
    async with serve_in_loop(Starlette(routes=[Route("/trickle", _trickle, methods=["POST"])])) as url:
        yield url


async def test_a_trickling_answer_times_out_at_the_deadline(skill_url: str) -> None:
    outbound, lambdas = OutboundHttp(), LambdaPool()
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    outbound.observers.append(observer)
    try:
        started = time.monotonic()
        invocation = await SkillInvoker(outbound, lambdas, timeout=TIMEOUT).invoke(
            f"{skill_url}/trickle", MESSAGE
        )
        took = time.monotonic() - started
    finally:
        await outbound.aclose()
        await lambdas.aclose()

    assert invocation.answer is None
    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.TIMEOUT, invocation.error
    assert f"{TIMEOUT:g} s" in invocation.error.message
    # Ended at the deadline, not when the skill finished (PIECES * PAUSE = 10 s).
    assert took < PIECES * PAUSE / 2
    assert [c.error for c in seen] == ["timed out"]
