"""The My Lights ASGI app: OAuth server, resource server and the skill endpoint in one.

    app = create_mylights_app(MyLightsConfig(lwa_base_url="http://127.0.0.1:8080"))

Routes: `GET/POST /authorize`, `POST /token`, `POST /introspect`, `POST /admin/{expire,revoke,
clock,alexa-credentials}`, `GET/PUT /lights[/{id}]`, `POST /skill` (a directive in, the answer
out; `/skill/na`, `/skill/eu` and `/skill/fe` the same for one region's customers: their events go
to that region's gateway, `MyLightsConfig.events_base_urls`) and `GET /health`.
"""

from __future__ import annotations

import threading

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.samples.mylights import oauth_routes, resource_routes
from localexa.samples.mylights.cloud import DeviceCloud
from localexa.samples.mylights.config import MyLightsConfig
from localexa.samples.mylights.errors import cut_off, error_response, http_error, json_or_none, server_error
from localexa.samples.mylights.skill import build_skill

#: The regions whose own skill endpoint (`/skill/na`, `/skill/eu`, `/skill/fe`) My Lights serves.
REGIONS = ("NA", "EU", "FE")


def regional_gateways(events_base_url: str) -> dict[str, str]:
    """Each region's event gateway, from the NA one: Amazon's own three for Amazon's, else
    `localexa serve`'s layout (EU on the port after NA's, FE on the one after that). A URL without
    a port names one gateway for every region."""
    from urllib.parse import urlsplit

    from localexa.skill.gateway import EVENTS_BASE_URL, EVENTS_BASE_URLS

    if events_base_url.rstrip("/") == EVENTS_BASE_URL:
        return dict(EVENTS_BASE_URLS)
    parts = urlsplit(events_base_url.rstrip("/"))
    if parts.port is None:
        return {}
    host = parts.netloc.rsplit(":", 1)[0]
    return {
        region: f"{parts.scheme}://{host}:{parts.port + offset}{parts.path}"
        for offset, region in enumerate(REGIONS)
    }


_shared: DeviceCloud | None = None
_shared_lock = threading.Lock()


def shared_cloud() -> DeviceCloud:
    """The device cloud the module-level Lambda handler uses (created on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DeviceCloud()
        return _shared


def use_shared_cloud(cloud: DeviceCloud) -> None:
    """Make `cloud` the one the Lambda handler uses, so it and the HTTP app share state."""
    global _shared
    with _shared_lock:
        _shared = cloud


def create_mylights_app(
    config: MyLightsConfig | None = None, *, cloud: DeviceCloud | None = None
) -> Starlette:
    """A fresh My Lights (its own in-memory cloud unless `cloud` is given)."""
    cloud = cloud or DeviceCloud(config)

    def skill_endpoint(region: str | None) -> Route:
        skill = build_skill(cloud, region)

        async def answer(request: Request) -> Response:
            event = json_or_none(await request.body())
            if not isinstance(event, dict):
                return error_response("invalid_request", "Send a directive as JSON.", 400)
            return JSONResponse(await skill.handle(event))

        path = "/skill" if region is None else f"/skill/{region.lower()}"
        return Route(path, answer, methods=["POST"])

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            *oauth_routes.routes(cloud),
            *resource_routes.routes(cloud),
            # One endpoint per region, as a skill's manifest may name them (`regions`): the one a
            # customer's AcceptGrant came to tells which region's gateway their events go to.
            *(skill_endpoint(region) for region in (None, *REGIONS)),
            Route("/health", health, methods=["GET"]),
        ],
        # Routing's 404/405 and a bug's 500 in the sample's one error shape, not plain text; a
        # body cut off mid-upload is no bug (one warning line, not a 500 and a traceback).
        exception_handlers={HTTPException: http_error, ClientDisconnect: cut_off, Exception: server_error},
    )
    app.state.cloud = cloud
    return app


def build_mylights_server(
    host: str = "127.0.0.1",
    port: int = 9000,
    config: MyLightsConfig | None = None,
    *,
    log_level: str = "warning",
) -> uvicorn.Server:
    """A uvicorn server for My Lights, sharing its cloud with the Lambda handler. Start it with
    `await server.serve()` beside another app, or `server.run()`."""
    cloud = DeviceCloud(config)
    use_shared_cloud(cloud)
    app = create_mylights_app(cloud=cloud)
    # No `server: uvicorn` header, as `localexa serve` (and its demo's My Lights) sends none.
    return uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off", server_header=False)
    )


def run_mylights(
    host: str = "127.0.0.1",
    port: int = 9000,
    lwa_base_url: str = "http://127.0.0.1:8080",
    events_base_url: str = "http://127.0.0.1:8080",
    *,
    events_base_urls: dict[str, str] | None = None,
    config: MyLightsConfig | None = None,
) -> None:
    """Run My Lights until interrupted, pointed at localexa's LWA and event gateways by default
    (`localexa serve`'s NA, EU and FE listeners: 8080, 8081 and 8082, or after another NA port)."""
    config = config or MyLightsConfig()
    config.lwa_base_url = lwa_base_url
    config.events_base_url = events_base_url
    config.events_base_urls = (
        regional_gateways(events_base_url) if events_base_urls is None else dict(events_base_urls)
    )
    build_mylights_server(host, port, config, log_level="info").run()
