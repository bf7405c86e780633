"""`/_localexa/docs`: Swagger UI over localexa's OpenAPI document, served from the package.

FastAPI's default page loads Swagger UI from a CDN (cdn.jsdelivr.net, unpinned): blank on a
network without the internet, and a script from another origin running in localexa's, where it
could use a signed-in console's cookie (security and packaging QA of 2026-12-06). The assets are
Swagger UI's own (core/swagger_ui/, version below), and the page's Content-Security-Policy lets
scripts come from this origin only, plus the one inline script that starts Swagger UI (by hash).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).parent / "swagger_ui"
DOCS_PATH = "/_localexa/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
#: The files the page loads, and their types (nothing else of the directory is served).
_ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def _page(openapi_url: str) -> tuple[bytes, str]:
    """The page and its Content-Security-Policy."""
    html = bytes(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title="localexa API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        ).body
    )
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html.decode())
    )
    policy = (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        # Swagger UI sets style attributes and draws its icons as data: images.
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        # "Try it out" calls localexa itself.
        "connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return html, policy


def install_docs_page(app: FastAPI, openapi_url: str) -> None:
    """Serve the page and its assets (the app is made with `docs_url=None`)."""
    body, policy = _page(openapi_url)
    headers = {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    async def docs(request: Request) -> Response:
        return HTMLResponse(body, headers=headers)

    async def asset(request: Request) -> Response:
        # A route with a template, not a mount: the metrics and the journal then count the
        # assets under `/_localexa/docs/assets/{name}`, not `unmatched` (re-verification).
        name = request.path_params["name"]
        if name not in _ASSET_TYPES:
            return JSONResponse({"message": f"No docs asset {name}."}, status_code=404)
        return FileResponse(
            ASSETS / name, media_type=_ASSET_TYPES[name], headers={"X-Content-Type-Options": "nosniff"}
        )

    app.add_route(f"{ASSETS_PATH}/{{name}}", asset, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(DOCS_PATH, docs, include_in_schema=False)
