"""The demo's callback page shows a live authorization code: it goes out with the /ap/ pages'
headers (no-store, a CSP with frame-ancestors 'none', X-Frame-Options, no Referer), and its
look comes from the /ap/ stylesheet, since that CSP refuses an inline <style>."""

from __future__ import annotations

import httpx
import pytest

SECURITY = (
    "Cache-Control",
    "Pragma",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


@pytest.mark.parametrize(
    ("query", "status", "shown"),
    [
        pytest.param({"code": "ANcode<1>", "state": "demo"}, 200, "ANcode&lt;1&gt;", id="code"),
        pytest.param({"error": "access_denied", "error_description": "no"}, 400, "access_denied", id="error"),
        pytest.param({}, 400, "No code", id="no-code"),
    ],
)
async def test_callback_sends_the_sign_in_pages_headers(
    client: httpx.AsyncClient, query: dict[str, str], status: int, shown: str
) -> None:
    sign_in_page = await client.get("/ap/oa")  # no client_id: the /ap/ error page, with its headers
    assert sign_in_page.headers["Content-Security-Policy"]
    page = await client.get("/_localexa/demo/callback", params=query)
    assert page.status_code == status
    assert shown in page.text
    for name in SECURITY:
        assert page.headers.get(name) == sign_in_page.headers[name], name
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "<style" not in page.text  # the CSP would drop it
    assert 'href="/ap/static/lwa.css"' in page.text.replace("'", '"')


async def test_the_callback_page_fits_a_phone_and_names_a_bare_error_cleanly(
    client: httpx.AsyncClient,
) -> None:
    """App-to-app linking happens on a phone: without a viewport the page rendered 980 px wide.
    An error without a description was shown as `access_denied:` with nothing after the colon."""
    page = await client.get("/_localexa/demo/callback", params={"code": "c"})
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page.text
    denied = await client.get("/_localexa/demo/callback", params={"error": "access_denied"})
    assert "<code>access_denied</code></p>" in denied.text
