"""The soak's skill host (bench/soak.py): My Lights with misbehaving corners, served in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bench import servers
from localexa.samples.mylights import DeviceCloud, create_mylights_app
from localexa.samples.mylights.skill import build_skill

#: Seconds: the server's directive deadline and the skill host's slow and hanging answers.
DIRECTIVE_TIMEOUT = 1.0
SLOW_SECONDS = 0.2
HANG_SECONDS = DIRECTIVE_TIMEOUT + 1.5
#: Seconds the server waits for a token URL, and how long `/slow-token` takes to answer. Not the
#: directive deadline's 1 s: My Lights' own `/token` (served by a thread of the test's process)
#: once took longer than that on a loaded CI machine, and a link that must succeed answered 400.
TOKEN_EXCHANGE_TIMEOUT = 3.0
SLOW_TOKEN_SECONDS = TOKEN_EXCHANGE_TIMEOUT + 1.5


# -- the skill host: My Lights with misbehaving corners -------------------------------------------


def skill_host_app(cloud: DeviceCloud, *, close_connections: bool = False) -> Any:
    """My Lights (OAuth server, lights, skill) with a `/skill` whose answer depends on the
    directive's endpointId: `slow` (late but fine), `broken` (HTTP 500), `garbage` (not JSON),
    `hang` (after localexa's deadline); and `/slow-token`, a token URL that answers too late."""
    skill = build_skill(cloud)

    async def skill_endpoint(request: Request) -> Response:
        try:
            event = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "send a directive as JSON"}, 400)
        endpoint = (event.get("directive") or {}).get("endpoint") or {}
        behaviour = endpoint.get("endpointId")
        if behaviour == "broken":
            return Response("the device cloud fell over", 500, media_type="text/plain")
        if behaviour == "garbage":
            return Response(b'{"event": ', 200, media_type="application/json")
        if behaviour == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return JSONResponse({})
        if behaviour == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            endpoint["endpointId"] = "kitchen"
        return JSONResponse(await skill.handle(event))

    async def slow_token(request: Request) -> Response:
        await asyncio.sleep(SLOW_TOKEN_SECONDS)
        return JSONResponse({"error": "too_late"}, 400)

    app = Starlette(
        routes=[
            Route("/skill", skill_endpoint, methods=["POST"]),
            Route("/slow-token", slow_token, methods=["POST"]),
            Mount("", app=create_mylights_app(cloud=cloud)),
        ]
    )
    return _closing(app) if close_connections else app


def _closing(app: Any) -> Any:
    """`app` answering with `Connection: close`, so the caller's connection ends with the answer."""

    async def closing(scope: Any, receive: Any, send: Any) -> None:
        async def send_closing(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return closing


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1 under uvicorn in a daemon thread; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="error", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the skill host did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (a token URL that refuses connections)."""
    return servers.free_port()


#: A `python:` handler written anew each round: Discover finds nothing, anything else is refused.
FRESH_HANDLER = """
import uuid


def handler(event, context):
    header = event["directive"]["header"]
    if header["name"] == "Discover":
        return {"event": {"header": {"namespace": "Alexa.Discovery", "name": "Discover.Response",
                "payloadVersion": "3", "messageId": str(uuid.uuid4())}, "payload": {"endpoints": []}}}
    raise ValueError("this soak handler only discovers")
"""
