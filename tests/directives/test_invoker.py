"""The skill invoker on its own: HTTP endpoints that misbehave, and the Lambda runner's contract."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from localexa.server.core.http import OutboundCall, OutboundHttp
from localexa.server.directives.invoker import InvocationErrorKind, SkillInvoker
from localexa.server.directives.lambda_pool import LambdaPool
from tests.servers import serve_in_loop

HANDLERS = "python:tests.directives.handlers"
MESSAGE = {
    "directive": {
        "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
        "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": "Atza|secret-token"}},
        "payload": {},
    }
}


async def _echo(request: Request) -> Response:
    return JSONResponse({"received": await request.json(), "contentType": request.headers["content-type"]})


async def _slow(request: Request) -> Response:
    await asyncio.sleep(1.5)
    return JSONResponse({})


SKILL = Starlette(
    routes=[
        Route("/echo", _echo, methods=["POST"]),
        Route("/fail", lambda r: JSONResponse({"oops": True}, 500), methods=["POST"]),
        Route("/text", lambda r: PlainTextResponse("hello"), methods=["POST"]),
        Route("/list", lambda r: JSONResponse([1, 2]), methods=["POST"]),
        # Valid JSON whose number Python reads as Infinity, which no database's JSON stores.
        Route("/huge", lambda r: Response(b'{"event": {"payload": {"v": 1e400}}}'), methods=["POST"]),
        Route("/nan", lambda r: Response(b'{"event": {"payload": {"v": NaN}}}'), methods=["POST"]),
        Route("/slow", _slow, methods=["POST"]),
    ]
)


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundHttp]:
    client = OutboundHttp()
    yield client
    await client.aclose()


@pytest.fixture
async def lambdas() -> AsyncIterator[LambdaPool]:
    pool = LambdaPool()
    yield pool
    await pool.aclose()


@pytest.fixture
async def skill_url() -> AsyncIterator[str]:
    async with serve_in_loop(SKILL) as url:
        yield url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_http_endpoint_gets_the_message_as_json(
    outbound: OutboundHttp, lambdas: LambdaPool, skill_url: str
) -> None:
    invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(f"{skill_url}/echo", MESSAGE)
    assert invocation.error is None
    assert invocation.answer == {"received": MESSAGE, "contentType": "application/json"}


@pytest.mark.parametrize(
    ("path", "kind", "fragment"),
    [
        pytest.param("/fail", InvocationErrorKind.HTTP_STATUS, "HTTP 500", id="status-500"),
        pytest.param("/text", InvocationErrorKind.INVALID_JSON, "not JSON", id="not-json"),
        pytest.param("/list", InvocationErrorKind.INVALID_JSON, "not a JSON object", id="not-an-object"),
        pytest.param("/huge", InvocationErrorKind.INVALID_JSON, "beyond ±1.8e308", id="number-too-large"),
        pytest.param("/nan", InvocationErrorKind.INVALID_JSON, "NaN is not a JSON number", id="nan"),
        pytest.param("/slow", InvocationErrorKind.TIMEOUT, "did not answer", id="too-slow"),
    ],
)
async def test_http_endpoint_failures(
    outbound: OutboundHttp,
    lambdas: LambdaPool,
    skill_url: str,
    path: str,
    kind: InvocationErrorKind,
    fragment: str,
) -> None:
    # Only the timeout case needs a short budget; the others get room for a loaded CI machine.
    timeout = 0.5 if kind is InvocationErrorKind.TIMEOUT else 10
    invocation = await SkillInvoker(outbound, lambdas, timeout=timeout).invoke(f"{skill_url}{path}", MESSAGE)
    assert invocation.answer is None
    assert invocation.error is not None
    assert invocation.error.kind is kind
    assert fragment in invocation.error.message


async def test_unreachable_http_endpoint(outbound: OutboundHttp, lambdas: LambdaPool) -> None:
    invocation = await SkillInvoker(outbound, lambdas, timeout=2).invoke(
        f"http://127.0.0.1:{closed_port()}/skill", MESSAGE
    )
    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.UNREACHABLE


async def test_lambda_handler_gets_event_and_context_and_its_prints_stay_in_the_log(
    outbound: OutboundHttp,
    lambdas: LambdaPool,
) -> None:
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    outbound.observers.append(observer)
    invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(f"{HANDLERS}:echo", MESSAGE)

    assert invocation.error is None
    answer: dict[str, Any] = invocation.answer or {}
    assert answer["event"]["header"]["correlationToken"] == "c-1"
    assert answer["lambdaContext"]["functionName"] == "echo"
    assert 0 < answer["lambdaContext"]["remainingMs"] <= 5000
    assert answer["lambdaContext"]["requestId"]
    assert "echo handler says hello" in invocation.logs
    # The journal hears about the call like an HTTP one, without the token.
    assert [(c.method, c.url, c.status) for c in seen] == [("INVOKE", f"{HANDLERS}:echo", 200)]
    assert b"secret-token" not in seen[0].request_body


@pytest.mark.parametrize(
    ("handler", "kind", "fragment"),
    [
        pytest.param("return_list", InvocationErrorKind.INVALID_JSON, "returned list", id="not-an-object"),
        pytest.param(
            "return_unserialisable", InvocationErrorKind.HANDLER_ERROR, "not JSON serializable", id="unjson"
        ),
        pytest.param(
            "return_infinity", InvocationErrorKind.HANDLER_ERROR, "not JSON compliant", id="infinity"
        ),
    ],
)
async def test_lambda_answers_that_are_not_messages(
    outbound: OutboundHttp, lambdas: LambdaPool, handler: str, kind: InvocationErrorKind, fragment: str
) -> None:
    invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(f"{HANDLERS}:{handler}", MESSAGE)
    assert invocation.error is not None
    assert invocation.error.kind is kind
    assert fragment in invocation.error.message


async def test_unknown_lambda_module(outbound: OutboundHttp, lambdas: LambdaPool) -> None:
    invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(
        "python:no_such_package.skill:handler", MESSAGE
    )
    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.HANDLER_ERROR
    assert "ModuleNotFoundError" in invocation.error.message
