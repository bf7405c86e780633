"""The skeleton every area stands on: health, request ids, error shapes, body cap."""

from __future__ import annotations

from pathlib import Path

import httpx

from localexa.server.app import create_app
from localexa.server.settings import Settings


async def test_health_answers_200_with_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/_localexa/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["X-Amzn-RequestId"]) == 36


async def test_unknown_route_has_request_id_and_json_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["X-Amzn-RequestId"]
    assert response.json()["code"] == "NOT_FOUND"


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/o2/token", content=b"x" * 2_000_000)
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


async def test_a_trailing_slash_is_an_unknown_path_not_a_redirect(client: httpx.AsyncClient) -> None:
    """Each answer in its API's own error shape (Starlette answered 307 with an empty body)."""
    gateway = await client.post("/v3/events/")
    assert gateway.status_code == 404
    assert gateway.json()["payload"]["code"] == "INVALID_REQUEST_EXCEPTION"  # no skill was looked up
    for method, path in [
        ("PUT", "/v1/skills/amzn1.ask.skill.x/stages/live/enablement/"),
        ("GET", "/credentiallocker/v2/threadNetworks/"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 404, (path, response.status_code, response.headers.get("location"))
        assert "location" not in response.headers
        assert response.json()["code"] == "NOT_FOUND"
    token = await client.post("/auth/o2/token/")
    assert token.status_code == 404
    assert token.json()["error"] == "invalid_request"


async def test_an_app_whose_lifespan_has_not_run_answers_503_saying_so(tmp_path: Path) -> None:
    # httpx.ASGITransport does not run lifespans: every call needing the database or the admin
    # key met an AttributeError (a 500 and a stack trace, raised into the caller's test).
    app = create_app(Settings(data_dir=tmp_path, admin_key="k"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        response = await client.get("/_localexa/customers", headers={"X-Localexa-Admin-Key": "k"})
    assert response.status_code == 503
    assert "lifespan has not run" in response.json()["message"]
    assert "lifespan_context" in response.json()["message"]
