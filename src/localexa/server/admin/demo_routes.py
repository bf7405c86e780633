"""The demo app's OAuth callback: shows the code an authorization server redirected with.

The page holds a live authorization code, so it goes out with the /ap/ pages' headers (lwa/pages.py
PAGE_HEADERS): not stored, not framed, no Referer, nothing loaded but the /ap/ stylesheet (its
CSP allows no inline style, so the page uses that stylesheet rather than a <style> of its own).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from localexa.server.lwa.pages import PAGE_HEADERS, STYLESHEET_PATH

router = APIRouter(tags=["demo"])


@router.get("/_localexa/demo/callback", response_class=HTMLResponse, include_in_schema=False)
async def demo_callback(
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> HTMLResponse:
    if error:
        detail = f": {escape(error_description)}" if error_description else ""  # no bare colon
        body = f"<h1>Authorization failed</h1><p><code>{escape(error)}</code>{detail}</p>"
        return _page(body, status=400)
    if not code:
        return _page("<h1>No code</h1><p>This page expects <code>?code=…</code>.</p>", status=400)
    body = (
        "<h1>Authorization code</h1>"
        f'<p><code id="code">{escape(code)}</code></p>'
        f"<p>state: <code>{escape(state or '')}</code></p>"
        "<p>Valid for 5 minutes, once. Copy it into the next step of the walk-through.</p>"
    )
    return _page(body)


def _page(body: str, *, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        # Phones (app-to-app linking happens on one) render it at their width, not at 980 px.
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='icon' href='data:,'><title>localexa demo callback</title>"
        f"<link rel='stylesheet' href='{STYLESHEET_PATH}'></head>"
        f"<body><main class='card'>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
