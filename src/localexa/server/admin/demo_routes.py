"""The demo app's OAuth callback: shows the code an authorization server redirected with."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["demo"])


@router.get("/_localexa/demo/callback", response_class=HTMLResponse, include_in_schema=False)
async def demo_callback(
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> HTMLResponse:
    if error:
        detail = escape(error_description or "")
        body = f"<h1>Authorization failed</h1><p><code>{escape(error)}</code>: {detail}</p>"
        return HTMLResponse(_page(body), status_code=400)
    if not code:
        return HTMLResponse(
            _page("<h1>No code</h1><p>This page expects <code>?code=…</code>.</p>"), status_code=400
        )
    body = (
        "<h1>Authorization code</h1>"
        f'<p><code id="code">{escape(code)}</code></p>'
        f"<p>state: <code>{escape(state or '')}</code></p>"
        "<p>Valid for 5 minutes, once. Copy it into the next step of the walk-through.</p>"
    )
    return HTMLResponse(_page(body))


def _page(body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>localexa demo callback</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
        "code{background:#f3f3f3;padding:.2rem .4rem;word-break:break-all}</style></head>"
        f"<body>{body}</body></html>"
    )
