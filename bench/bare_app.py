"""The baseline: a bare Starlette app on the same server settings as `localexa serve`.

    .venv/bin/python -m bench.bare_app --port 18300

uvicorn with the loop and HTTP parser `localexa serve` picks (uvloop, httptools), no access log,
one process. It answers the same paths as the localexa calls under test, doing only what any
server must: read the bearer token and answer. What localexa spends beyond this is the price of
being an API (routing, validation, auth, database, journal, metrics).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def enablement_status(request: Request) -> Response:
    if not request.headers.get("authorization"):
        return JSONResponse({"code": "UNAUTHORIZED", "message": "no token"}, status_code=401)
    return Response(status_code=204)


async def thread_networks(request: Request) -> Response:
    if not request.headers.get("authorization"):
        return JSONResponse({"code": "UNAUTHORIZED", "message": "no token"}, status_code=401)
    network = {
        "extendedPanId": request.query_params.get("extendedPanId", ""),
        "networkName": "Home",
        "networkKey": "00112233445566778899aabbccddeeff",
    }
    return Response(json.dumps({"threadNetworks": [network]}), media_type="application/json")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/v1/skills/{skill_id}/stages/{stage}/enablement", enablement_status),
        Route("/credentiallocker/v2/threadNetworks", thread_networks),
        Route("/_localexa/health", health),
    ]
)


def serve(asgi_app: Any, port: int, *, lifespan: Literal["on", "off"] = "off") -> None:
    """Run an app on 127.0.0.1 with the server settings `localexa serve` uses."""
    config = uvicorn.Config(
        asgi_app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan=lifespan,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        ws="none",
    )
    uvicorn.Server(config).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    serve(app, parser.parse_args().port)


if __name__ == "__main__":
    main()
