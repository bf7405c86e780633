"""The OpenAPI document describes each route's errors in its API family's shape (core/openapi.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app: FastAPI = create_app(Settings(demo=False))
    return app.openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def error_ref(op: dict[str, Any], status: str) -> str:
    ref: str = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def test_no_operation_documents_the_422_localexa_never_sends(document: dict[str, Any]) -> None:
    assert operations(document)
    for path, method, op in operations(document):
        assert "422" not in op["responses"], (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_documents_400_429_500_503_with_a_request_id(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        for status in ("400", "429", "500", "503"):
            assert status in op["responses"], (method, path, status)
        for status, response in op["responses"].items():
            assert response["headers"]["X-Amzn-RequestId"]["required"] is True, (method, path, status)
        assert "Retry-After" in op["responses"]["429"]["headers"]


@pytest.mark.parametrize(
    ("path", "method", "status", "schema"),
    [
        ("/v1/skills/{skill_id}/stages/{stage}/enablement", "put", "400", "SmapiBadRequestError"),
        ("/v1/skills/{skill_id}/stages/{stage}/enablement", "put", "404", "SmapiStandardizedError"),
        ("/v1/skills/{skill_id}/credentials", "get", "429", "SmapiStandardizedError"),
        ("/v1/users/~current/skills/{skill_id}/enablement", "post", "409", "MessageError"),
        ("/v1/alexaApiEndpoint", "get", "401", "MessageError"),
        ("/credentiallocker/v2/threadNetworks", "put", "409", "CodeMessageError"),
        ("/v3/events", "post", "403", "EventGatewayError"),
        ("/auth/o2/tokeninfo", "get", "500", "LwaOAuthError"),
        ("/_localexa/customers", "post", "400", "MessageError"),
    ],
)
def test_errors_take_their_family_shape(
    document: dict[str, Any], path: str, method: str, status: str, schema: str
) -> None:
    assert error_ref(document["paths"][path][method], status) == schema


def test_credentials_are_declared_per_route(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["AdminKey"] == {"type": "apiKey", "in": "header", "name": "X-Localexa-Admin-Key"}
    assert schemes["LwaBearer"]["scheme"] == "bearer"
    paths = document["paths"]
    assert paths["/_localexa/customers"]["post"]["security"] == [{"AdminKey": []}]
    assert paths["/v1/skills/{skill_id}/credentials"]["get"]["security"] == [{"LwaBearer": []}]
    assert paths["/credentiallocker/v2/threadNetworks"]["get"]["security"] == [{"LwaBearer": []}]
    assert "security" not in paths["/_localexa/health"]["get"]  # health needs no key
    assert "401" not in paths["/_localexa/health"]["get"]["responses"]


async def test_the_served_document_is_the_described_one(client: httpx.AsyncClient) -> None:
    served = await client.get("/_localexa/openapi.json")
    assert served.status_code == 200
    body = served.json()
    assert "SmapiBadRequestError" in body["components"]["schemas"]
    assert "422" not in body["paths"]["/_localexa/customers"]["post"]["responses"]


async def test_a_wrong_method_is_405_with_allow_in_the_family_shape(client: httpx.AsyncClient) -> None:
    answer = await client.request("PATCH", "/v3/events")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert answer.json()["payload"]["code"] == "INVALID_REQUEST_EXCEPTION"
    smapi = await client.request("PATCH", "/v1/skills/amzn1.ask.skill.x/credentials")
    assert smapi.status_code == 405
    assert "GET" in smapi.headers["Allow"]
    assert set(smapi.json()) == {"code", "message"}
    # GET and PUT of the Credential Locker are two routes on one path: Allow names both.
    locker = await client.request("DELETE", "/credentiallocker/v2/threadNetworks")
    assert locker.status_code == 405
    assert locker.headers["Allow"] == "GET, PUT"
    assert locker.json()["code"] == "METHOD_NOT_ALLOWED"
