"""CORS and content sniffing across the pages and APIs (security audit items 3 and 10).

localexa installs no CORS middleware: no answer grants another origin read access, so a page on
another site can neither read a token answer nor call an API with the browser's cookies. Clients
of the APIs are servers, CLIs and SDKs, which CORS does not concern."""

from __future__ import annotations

import httpx
import pytest

EVIL = "https://evil.example"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/auth/o2/token"),
        ("GET", "/auth/o2/tokeninfo"),
        ("GET", "/user/profile"),
        ("GET", "/ap/oa"),
        ("POST", "/ap/oa"),
        ("GET", "/console"),
        ("POST", "/console/login"),
        ("GET", "/_localexa/journal"),
        ("GET", "/v1/alexaApiEndpoint"),
    ],
)
async def test_no_origin_is_granted_access(client: httpx.AsyncClient, method: str, path: str) -> None:
    preflight = await client.options(
        path,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    actual = await client.request(method, path, headers={"Origin": EVIL})
    for response in (preflight, actual):
        assert "access-control-allow-origin" not in response.headers, (path, response.headers)
        assert "access-control-allow-credentials" not in response.headers
        assert response.status_code < 500


@pytest.mark.parametrize(
    "path", ["/ap/static/lwa.css", "/console/static/console.css", "/console/static/console.js"]
)
async def test_static_assets_are_not_sniffed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
