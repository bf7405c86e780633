"""Every error under /v3 carries one of the gateway's documented codes, fitting its status (spec §4
"Event gateway"), and the OpenAPI document lists those codes and only the statuses sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.observe.helpers import add_fault

#: Spec §4 "Event gateway": the codes Amazon documents.
GATEWAY_CODES = {
    "INVALID_REQUEST_EXCEPTION",
    "INVALID_ACCESS_TOKEN_EXCEPTION",
    "SKILL_DISABLED_EXCEPTION",
    "INSUFFICIENT_PERMISSION_EXCEPTION",
    "SKILL_NOT_FOUND_EXCEPTION",
    "REQUEST_ENTITY_TOO_LARGE_EXCEPTION",
    "THROTTLING_EXCEPTION",
    "INTERNAL_SERVICE_EXCEPTION",
    "SERVICE_UNAVAILABLE_EXCEPTION",
}
#: RFC 6749 §5.2 and RFC 6750 §3.1, and the fallbacks of core.errors for other statuses.
LWA_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_token",
    "insufficient_scope",
    "slow_down",
    "server_error",
    "temporarily_unavailable",
}


def _code(answer: httpx.Response) -> str:
    body: dict[str, Any] = answer.json()
    assert (body["header"]["namespace"], body["header"]["name"]) == ("System", "Exception")
    code: str = body["payload"]["code"]
    return code


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (402, "INVALID_REQUEST_EXCEPTION"),
        (409, "INVALID_REQUEST_EXCEPTION"),
        (404, "INVALID_REQUEST_EXCEPTION"),
        (401, "INVALID_ACCESS_TOKEN_EXCEPTION"),
        (500, "INTERNAL_SERVICE_EXCEPTION"),
        (502, "INTERNAL_SERVICE_EXCEPTION"),
        (503, "SERVICE_UNAVAILABLE_EXCEPTION"),
        (599, "INTERNAL_SERVICE_EXCEPTION"),
    ],
)
async def test_a_fault_gets_the_code_of_its_status_class(
    client: httpx.AsyncClient, status: int, code: str
) -> None:
    await add_fault(client, path="/v3/events", status=status)
    answer = await client.post("/v3/events", json={})
    assert answer.status_code == status
    assert _code(answer) == code


@pytest.mark.parametrize(
    ("status", "error"), [(402, "invalid_request"), (409, "invalid_request"), (599, "server_error")]
)
async def test_an_lwa_fault_of_a_status_lwa_lacks_gets_the_error_of_its_class(
    client: httpx.AsyncClient, status: int, error: str
) -> None:
    await add_fault(client, path="/user/profile", status=status)
    answer = await client.get("/user/profile")
    assert answer.status_code == status
    assert answer.json()["error"] == error


@pytest.mark.parametrize("path", ["/v3/nothing", "/v3/events/", "/v3/events/x"])
async def test_an_unknown_path_is_no_such_resource_not_a_missing_skill(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.post(path, json={})
    assert answer.status_code == 404
    assert _code(answer) == "INVALID_REQUEST_EXCEPTION"
    assert answer.json()["payload"]["description"] == f"No resource at POST {path}."


def test_the_document_lists_the_codes_and_only_the_statuses_sent() -> None:
    app: FastAPI = create_app(Settings(demo=False))
    doc = app.openapi()
    for path in ("/v3/events", "/auth/o2/token"):
        responses = doc["paths"][path]["post"]["responses"]
        assert "409" not in responses, path  # neither stores a name a caller chose
        assert "413" in responses, path
    schemas = doc["components"]["schemas"]
    payload = schemas["EventGatewayError"]["properties"]["payload"]["properties"]
    assert set(payload["code"].get("enum", ())) == GATEWAY_CODES
    assert set(schemas["LwaOAuthError"]["properties"]["error"].get("enum", ())) == LWA_ERRORS
    # Writes that can conflict still list 409.
    assert "409" in doc["paths"]["/credentiallocker/v2/threadNetworks"]["put"]["responses"]
