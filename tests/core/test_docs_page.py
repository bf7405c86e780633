"""`/_localexa/docs` is served from the package (core/docs_page.py): no CDN, a strict CSP."""

from __future__ import annotations

import httpx

from localexa.server.core.docs_page import SWAGGER_UI_VERSION


async def test_the_docs_page_loads_only_localexas_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/_localexa/docs")
    assert page.status_code == 200
    assert "https://" not in page.text  # no CDN, no favicon from fastapi.tiangolo.com
    assert '<script src="/_localexa/docs/assets/swagger-ui-bundle.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self' 'sha256-" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    for asset, kind in (
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ):
        answer = await client.get(f"/_localexa/docs/assets/{asset}")
        assert answer.status_code == 200, asset
        assert kind in answer.headers["content-type"]
    bundle = (await client.get("/_localexa/docs/assets/swagger-ui-bundle.js")).text
    assert "SwaggerUIBundle" in bundle
    assert SWAGGER_UI_VERSION.startswith("5.")  # OpenAPI 3.1 needs Swagger UI 5
    assert (await client.get("/_localexa/docs/assets/nothing.js")).status_code == 404
    assert (await client.get("/_localexa/docs/assets/LICENSE.txt")).status_code == 404
    metrics = (await client.get("/metrics")).text
    assert 'route="/_localexa/docs/assets/{name}",status="200"' in metrics  # not `unmatched`
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404
