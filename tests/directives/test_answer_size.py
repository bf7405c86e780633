"""An HTTP skill's answer has the same cap as a Lambda's (6 MB): bigger is ANSWER_TOO_LARGE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from localexa.server.core.http import OutboundCall, OutboundHttp
from localexa.server.directives.invoker import InvocationErrorKind, SkillInvoker
from localexa.server.directives.lambda_pool import MAX_ANSWER_BYTES, LambdaPool
from tests.directives.conftest import MyLights, link_customer, send
from tests.factories import Admin
from tests.servers import serve_in_loop

MESSAGE = {
    "directive": {
        "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
        "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": "skill-token-1"}},
        "payload": {},
    }
}
CHUNK = 1024 * 1024


def _padded(size: int) -> bytes:
    """A JSON object of about `size` bytes."""
    return json.dumps({"event": {"payload": {"padding": "x" * size}}}).encode()


async def _endless(request: Request) -> Response:
    """Chunked, no Content-Length: 20 MB that only reading can measure."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(20):
            yield b"x" * CHUNK
        yield b'"}'

    return StreamingResponse(chunks(), media_type="application/json")


SKILL = Starlette(
    routes=[
        Route(
            "/seven-mb",
            lambda r: Response(_padded(7 * CHUNK), media_type="application/json"),
            methods=["POST"],
        ),
        Route(
            "/five-mb",
            lambda r: Response(_padded(5 * CHUNK), media_type="application/json"),
            methods=["POST"],
        ),
        Route("/endless", _endless, methods=["POST"]),
    ]
)


@pytest.fixture
async def skill_url() -> AsyncIterator[str]:
    async with serve_in_loop(SKILL) as url:
        yield url


@pytest.fixture
async def invoker() -> AsyncIterator[tuple[SkillInvoker, list[OutboundCall]]]:
    outbound, lambdas = OutboundHttp(), LambdaPool()
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    outbound.observers.append(observer)
    yield SkillInvoker(outbound, lambdas, timeout=10), seen
    await outbound.aclose()
    await lambdas.aclose()


@pytest.mark.parametrize("path", ["/seven-mb", "/endless"])
async def test_an_http_answer_over_the_cap_is_too_large(
    invoker: tuple[SkillInvoker, list[OutboundCall]], skill_url: str, path: str
) -> None:
    skill, seen = invoker

    invocation = await skill.invoke(f"{skill_url}{path}", MESSAGE)

    assert invocation.answer is None
    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.ANSWER_TOO_LARGE
    assert str(MAX_ANSWER_BYTES) in invocation.error.message
    # The journal hears of the call, with no more of the answer than the cap.
    assert [(c.method, c.status) for c in seen] == [("POST", 200)]
    assert len(seen[0].response_body) <= MAX_ANSWER_BYTES

    # Under the cap, the answer is read whole.
    under = await skill.invoke(f"{skill_url}/five-mb", MESSAGE)
    assert under.error is None
    assert len((under.answer or {})["event"]["payload"]["padding"]) == 5 * CHUNK


async def test_the_admin_api_answers_too_large_and_stores_no_answer(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, skill_url: str
) -> None:
    linked = await link_customer(admin, client, mylights, endpoint=f"{skill_url}/endless", permissions=[])
    body: dict[str, Any] = {
        "userId": linked.user_id,
        "skillId": linked.skill_id,
        "endpointId": "light-1",
        "namespace": "Alexa.PowerController",
        "name": "TurnOn",
    }

    answer = await send(admin, body)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["error"]["type"] == "ANSWER_TOO_LARGE"
    assert result["response"] is None
    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()["messages"]
    stored = next(
        m for m in messages if m["exchangeId"] == result["exchangeId"] and m["direction"] == "response"
    )
    assert stored["body"] is None
    assert stored["error"]["type"] == "ANSWER_TOO_LARGE"
