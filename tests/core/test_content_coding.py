"""A body with a `Content-Encoding` other than `identity` is refused with 415 in each API's own error
shape, naming the coding, with `Accept-Encoding: identity` (RFC 9110 §8.4, §15.5.16; core/codings.py).
Until 2026-12-06 it was read as if it were plain: a gzip JSON body got "not valid JSON"."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from localexa.server.app import create_app
from localexa.server.core.codings import content_coding
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}
JSON_BODY = gzip.compress(json.dumps({"name": "Ada", "email": "ada@example.com"}).encode())
SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def _message(family: str, body: Any) -> str:
    if family == "lwa":
        assert set(body) == {"error", "error_description"}
        assert body["error"] == "invalid_request"
        return str(body["error_description"])
    if family == "events":
        assert body["payload"]["code"] == "INVALID_REQUEST_EXCEPTION"
        return str(body["payload"]["description"])
    if family == "code":
        assert body["code"] == "UNSUPPORTED_MEDIA_TYPE"
    else:
        assert set(body) == {"message"}
    return str(body["message"])


CALLS = [
    pytest.param("POST", "/auth/o2/token", "lwa", id="lwa-token"),
    pytest.param("POST", "/_localexa/customers", "message", id="admin"),
    pytest.param("POST", "/_localexa/restore", "message", id="admin-restore"),
    pytest.param("POST", f"/v1/users/~current/skills/{SKILL}/enablement", "message", id="enablement"),
    pytest.param("PUT", f"/v1/skills/{SKILL}/stages/development/accountLinkingClient", "code", id="smapi"),
    pytest.param("DELETE", f"/v1/skills/{SKILL}/stages/development/enablement", "code", id="smapi-delete"),
    pytest.param(
        "POST", f"/v1/skills/{SKILL}/smartHome/testing/capabilityEvaluations", "code", id="evaluation"
    ),
    pytest.param("PUT", "/credentiallocker/v2/threadNetworks", "code", id="credential-locker"),
    pytest.param("POST", "/v3/events", "events", id="event-gateway"),
]


@pytest.mark.parametrize(("method", "path", "family"), CALLS)
@pytest.mark.parametrize("coding", ["gzip", "br", "x-unknown", "identity, gzip", "GZIP"])
async def test_a_coded_body_is_a_415_in_the_apis_shape(
    client: httpx.AsyncClient, method: str, path: str, family: str, coding: str
) -> None:
    headers = {**ADMIN, "Content-Type": "application/json", "Content-Encoding": coding}
    headers["Authorization"] = "Bearer Atza|not-checked-before-the-coding"
    answer = await client.request(method, path, content=JSON_BODY, headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["accept-encoding"] == "identity"
    assert answer.headers["x-amzn-requestid"]
    message = _message(family, answer.json())
    assert f"Content-Encoding '{coding}'" in message
    assert "identity" in message
    # As the wire's 501 and the other JSON families' messages write a section (rev5 QA: one said
    # `§`, the other `section`); LWA's error_description has no `§` (core/errors.py).
    assert message.endswith("(RFC 9110 section 8.4)." if family == "lwa" else "(RFC 9110 §8.4)."), message


async def test_a_coded_body_writes_nothing(client: httpx.AsyncClient) -> None:
    body = json.dumps({"name": "Ada", "email": "ada@example.com", "password": "pw123456", "region": "NA"})
    headers = {**ADMIN, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = await client.post("/_localexa/customers", content=body, headers=headers)
    assert answer.status_code == 415
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []


async def test_a_chunked_coded_body_is_a_415(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield JSON_BODY

    headers = {**ADMIN, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = await client.post("/_localexa/customers", content=chunks(), headers=headers)
    assert answer.status_code == 415
    assert answer.headers["accept-encoding"] == "identity"


async def test_a_coded_form_on_the_sign_in_page_gets_the_html_page(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    answer = await client.post("/ap/oa", content=gzip.compress(b"email=a"), headers=headers)
    assert answer.status_code == 415
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("coding", ["identity", "IDENTITY", " identity ", ""])
async def test_identity_is_read_as_before(client: httpx.AsyncClient, coding: str) -> None:
    body = json.dumps({"name": "Ada", "email": "ada@example.com", "password": "pw123456", "region": "NA"})
    headers = {**ADMIN, "Content-Type": "application/json", "Content-Encoding": coding}
    answer = await client.post("/_localexa/customers", content=body, headers=headers)
    assert answer.status_code == 201, answer.text


async def test_a_request_without_a_body_is_served(client: httpx.AsyncClient, admin: Admin) -> None:
    """A GET, or a POST with nothing in it, has nothing coded: the header says nothing."""
    headers = {**ADMIN, "Content-Encoding": "gzip"}
    assert (await client.get("/_localexa/customers", headers=headers)).status_code == 200
    assert (await client.head("/_localexa/customers", headers=headers)).status_code == 200
    assert (await client.post("/_localexa/snapshot", headers=headers)).status_code == 200
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["profile"])
    profile = await client.get(
        "/user/profile", headers={"Authorization": f"Bearer {token}", "Content-Encoding": "br"}
    )
    assert profile.status_code == 200


@pytest.mark.parametrize(
    ("value", "coded"),
    [
        (b"gzip", b"gzip"),
        (b"identity", None),
        (b" Identity ", None),
        (b"identity,identity", None),
        (b"identity, br", b"identity, br"),
        (b"", None),
        (b"x-custom", b"x-custom"),
    ],
)
def test_which_values_name_a_coding(value: bytes, coded: bytes | None) -> None:
    assert content_coding(value) == coded


def test_the_document_lists_the_415_on_every_write_with_its_header() -> None:
    """As it lists the 413 (core/openapi.py): every operation that takes a body may answer it."""
    document = create_app(Settings(demo=False)).openapi()
    writes = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if method not in ("post", "put", "patch", "delete"):
                assert "415" not in responses, (method, path)
                continue
            writes += 1
            assert "413" in responses, (method, path)
            assert "415" in responses, (method, path)
            header = responses["415"]["headers"]["Accept-Encoding"]
            assert header["required"] is True
            assert header["schema"]["enum"] == ["identity"]
    assert writes > 20


async def test_the_lwa_description_reads_as_written(client: httpx.AsyncClient) -> None:
    """RFC 6749's error_description has no `§`: the message does without one."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "br"}
    answer = await client.post("/auth/o2/token", content=b"grant_type=client_credentials", headers=headers)
    assert answer.status_code == 415
    assert "U+" not in answer.json()["error_description"]


async def test_an_expecting_client_is_told_the_connection_closes(client: httpx.AsyncClient) -> None:
    """Refused before its body was asked for: the body never comes (RFC 9110 §10.1.1)."""
    headers = {**ADMIN, "Content-Encoding": "gzip", "Expect": "100-continue"}
    answer = await client.post("/_localexa/customers", content=JSON_BODY, headers=headers)
    assert answer.status_code == 415
    assert answer.headers["connection"] == "close"


async def test_a_method_no_route_answers_stays_a_405(client: httpx.AsyncClient) -> None:
    headers = {**ADMIN, "Content-Encoding": "gzip"}
    answer = await client.request("PATCH", "/_localexa/customers", content=JSON_BODY, headers=headers)
    assert answer.status_code == 405


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/nonexistent", 404),
        ("PUT", "/_localexa/nothing/here", 404),
        ("DELETE", "/v1/skills/x/nothing", 404),
        ("PUT", "/_localexa/customers", 405),  # the path exists, the method does not
    ],
)
async def test_a_coded_body_to_no_route_is_the_routers_answer(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    """Only a route that would read the body refuses its coding (since the evening of 2026-12-06:
    `POST /nonexistent` with a gzip body was a 415, not the 404 it is without one)."""
    headers = {**ADMIN, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = await client.request(method, path, content=JSON_BODY, headers=headers)
    assert answer.status_code == status, answer.text
