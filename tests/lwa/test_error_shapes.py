"""Errors raised outside the LWA handlers (faults, the request guard, routing) still take the shape
of the LWA path they hit: the token endpoint's RFC 6749 §5.2 codes, the /ap/ pages' HTML."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Admin
from tests.lwa.browser import Browser, authorize_url, redirect_params
from tests.observe.helpers import add_fault

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("path", ["/auth/o2/token", "/auth/O2/token"])
async def test_a_401_fault_on_the_token_endpoint_is_invalid_client(
    client: httpx.AsyncClient, path: str
) -> None:
    await add_fault(client, method="POST", path="/auth/o2/token", status=401, count=1)
    response = await client.post(path, data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.headers["x-localexa-fault"]
    assert response.json()["error"] == "invalid_client"  # RFC 6749 §5.2 has no invalid_token
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.headers["cache-control"] == "no-store"


async def test_a_401_fault_on_the_profile_stays_invalid_token(client: httpx.AsyncClient) -> None:
    """/user/profile is a resource server (RFC 6750): its 401 is invalid_token, as before."""
    await add_fault(client, method="GET", path="/user/profile", status=401, count=1)
    response = await client.get("/user/profile", headers={"Authorization": "Bearer Atza|x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def _is_error_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text
    assert response.headers["x-frame-options"] == "DENY"  # the pages' own headers
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-amzn-requestid"]


async def test_a_nul_in_the_query_is_the_error_page(client: httpx.AsyncClient) -> None:
    _is_error_page(await client.get("/ap/oa?client_id=%00"), 400)


async def test_a_nul_in_the_form_is_the_error_page(client: httpx.AsyncClient) -> None:
    _is_error_page(await client.post("/ap/oa", content=b"action=signin&email=a%00", headers=FORM), 400)


async def test_a_form_over_the_size_cap_is_the_error_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/ap/oa", content=b"email=" + b"a" * 2_000_000, headers=FORM)
    _is_error_page(response, 413)
    assert "larger than" in response.text


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE"])
async def test_a_wrong_method_is_the_error_page_with_allow(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/ap/oa")
    assert response.status_code == 405
    _is_error_page(response, 405)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "GET, HEAD, POST"  # what the page answers, nothing more


async def test_head_is_the_pages_get_without_its_body(client: httpx.AsyncClient) -> None:
    page = await client.get("/ap/oa")
    head = await client.head("/ap/oa")
    assert head.status_code == page.status_code
    assert head.headers["content-type"] == page.headers["content-type"]
    assert head.headers["content-length"] == str(len(page.content))


@pytest.mark.parametrize("status", [503, 429])
async def test_a_fault_on_the_page_is_the_error_page(client: httpx.AsyncClient, status: int) -> None:
    await add_fault(client, method="GET", path="/ap/oa", status=status, count=1, retryAfter=7)
    response = await client.get("/ap/oa")
    _is_error_page(response, status)
    assert response.headers["x-localexa-fault"]
    if status == 429:
        assert response.headers["retry-after"] == "7"


async def test_a_state_refused_for_its_length_is_not_echoed(admin: Admin, browser: Browser) -> None:
    client_id, _ = await admin.lwa_client()
    response = await browser.get(authorize_url(client_id, state="a" * 5000))
    assert response.status_code == 302
    answer = redirect_params(response)
    assert answer["error"] == "invalid_request"
    assert "state" in answer["error_description"]
    assert "state" not in answer
    assert len(response.headers["location"]) < 500
