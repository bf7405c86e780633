"""Every My Lights error is one JSON shape, `{"error", "error_description"}` (RFC 6749 §5.2): the
token endpoint's, the admin helpers', the resource server's, the skill endpoint's and Starlette's
own refusals (a wrong method was a plain-text 405, an unknown path a plain-text 404)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud, create_mylights_app

BASIC = ("alexa-skill", "mylights-secret")


@pytest.fixture
def cloud() -> DeviceCloud:
    return DeviceCloud()


@pytest.fixture
async def http(cloud: DeviceCloud) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_mylights_app(cloud=cloud))
    async with httpx.AsyncClient(transport=transport, base_url="http://mylights") as client:
        yield client


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    assert body["error_description"]
    return body


async def test_get_token_is_a_json_oauth_error_with_allow(http: httpx.AsyncClient) -> None:
    answer = await http.get("/token", params={"grant_type": "refresh_token"})
    body = assert_error(answer, 405, "invalid_request")
    assert answer.headers["allow"] == "POST"
    assert "POST" in body["error_description"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("GET", "/introspect", "POST", id="introspect"),
        pytest.param("GET", "/admin/clock", "POST", id="admin"),
        pytest.param("DELETE", "/lights", "GET, HEAD, PUT", id="lights"),
        pytest.param("POST", "/lights/kitchen", "GET, HEAD, PUT", id="light"),
        pytest.param("GET", "/skill", "POST", id="skill"),
        pytest.param("PUT", "/authorize", "GET, HEAD, POST", id="authorize"),
    ],
)
async def test_wrong_methods_are_json_405s(
    http: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    answer = await http.request(method, path)
    assert_error(answer, 405, "invalid_request")
    # Starlette lists the methods from a set: their order varies.
    assert set(answer.headers["allow"].split(", ")) == set(allow.split(", "))


async def test_unknown_paths_and_unreadable_forms(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/tokens"), 404, "not_found")
    assert_error(await http.post("/admin/clock/extra"), 404, "not_found")
    # More than Starlette's 1,000 form fields: its parser's refusal was a plain-text 400.
    fields = "&".join(f"f{i}=1" for i in range(1001))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(await http.post("/token", content=fields, headers=headers), 400, "invalid_request")


@pytest.mark.parametrize(
    ("action", "body", "status", "error"),
    [
        pytest.param("expire", {}, 400, "invalid_request", id="expire-nothing-named"),
        pytest.param("revoke", {"token": 5}, 400, "invalid_request", id="revoke-not-a-token"),
        pytest.param("clock", {"advanceSeconds": -5}, 400, "invalid_request", id="clock-negative"),
        pytest.param("clock", {"advanceSeconds": "60"}, 400, "invalid_request", id="clock-text"),
        pytest.param("alexa-credentials", {"clientId": "x"}, 400, "invalid_request", id="credentials"),
        pytest.param("nothing", {}, 404, "not_found", id="unknown-action"),
        pytest.param("clock", [1], 400, "invalid_request", id="not-an-object"),
    ],
)
async def test_admin_errors_use_error_description(
    http: httpx.AsyncClient, action: str, body: Any, status: int, error: str
) -> None:
    assert_error(await http.post(f"/admin/{action}", json=body, auth=BASIC), status, error)


async def test_admin_clock_past_9999_is_the_same_shape(http: httpx.AsyncClient) -> None:
    ten_years = {"advanceSeconds": 10 * 365 * 86400}
    for _ in range(800):
        moved = await http.post("/admin/clock", json=ten_years, auth=BASIC)
        if moved.status_code != 200:
            break
    assert_error(moved, 400, "invalid_request")


async def test_resource_and_skill_errors_use_error_description(
    http: httpx.AsyncClient, cloud: DeviceCloud
) -> None:
    unauthorized = await http.get("/lights")
    assert_error(unauthorized, 401, "invalid_request")
    assert unauthorized.headers["www-authenticate"] == 'Bearer realm="mylights"'
    assert_error(await http.get("/lights", headers={"Authorization": "Bearer nope"}), 401, "invalid_token")
    bearer = {"Authorization": f"Bearer {cloud.oauth.mint('demo').access_token}"}
    assert_error(await http.get("/lights/attic", headers=bearer), 404, "not_found")
    assert_error(await http.put("/lights", content=b"[]", headers=bearer), 400, "invalid_request")
    assert_error(await http.put("/lights/kitchen", content=b"{", headers=bearer), 400, "invalid_request")
    too_bright = {"brightness": 101}
    assert_error(await http.put("/lights/kitchen", json=too_bright, headers=bearer), 400, "invalid_value")
    assert_error(await http.put("/lights", json=too_bright, headers=bearer), 400, "invalid_value")
    assert_error(await http.post("/skill", content=b"not json"), 400, "invalid_request")
    narrow = {"Authorization": f"Bearer {cloud.oauth.mint('demo', 'profile').access_token}"}
    assert_error(await http.get("/lights", headers=narrow), 403, "insufficient_scope")


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("path", ["/skill", "/skill/eu", "/admin/reset", "/lights", "/lights/porch"])
async def test_json_nested_too_deep_is_a_bad_body(
    http: httpx.AsyncClient, cloud: DeviceCloud, path: str
) -> None:
    """`json.loads` raises RecursionError, no ValueError, for JSON nested 100,000 deep: each
    handler caught only ValueError, so My Lights answered 500 and logged a traceback (fuzz37 F3)."""
    if path.startswith("/lights"):
        headers = {"Authorization": f"Bearer {cloud.oauth.mint('demo').access_token}"}
        answer = await http.put(path, content=DEEP, headers=headers)
    else:
        answer = await http.post(path, content=DEEP, auth=BASIC)
    assert_error(answer, 400, "invalid_request")


async def test_a_redirect_uri_that_is_no_url_gets_the_error_page(http: httpx.AsyncClient) -> None:
    """`http://[` made `urlsplit` raise ValueError: a 500 (fuzz37 F3). The README: `/authorize`
    answers a bad `redirect_uri` with its own HTML error page."""
    params = {"client_id": "alexa-skill", "response_type": "code", "redirect_uri": "http://["}
    answer = await http.get("/authorize", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "redirect_uri" in answer.text
