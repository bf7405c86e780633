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
    # GET and PUT of the Credential Locker are two routes on one path: Allow names both (and
    # HEAD, which every GET route answers: core/head.py).
    locker = await client.request("DELETE", "/credentiallocker/v2/threadNetworks")
    assert locker.status_code == 405
    assert locker.headers["Allow"] == "GET, HEAD, PUT"
    assert locker.json()["code"] == "METHOD_NOT_ALLOWED"


def _parameter_names(operation: dict[str, Any]) -> set[str]:
    return {f"{parameter['in']}.{parameter['name']}" for parameter in operation.get("parameters", [])}


def _body_properties(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return set(_resolve(document, body.get("schema", {})).get("properties", {}))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_links_join_operations_and_parameters_that_exist(document: dict[str, Any]) -> None:
    """Every link (core/openapi_links.py LINKS) is in the document, on a response its source declares,
    and names an operation, parameters and body fields that exist; `$request.path.x` names a
    path parameter of the source, `$request.body#/x` and `$response.body#/x` a field its request
    or answer has. A stateful fuzzer (test_openapi_stateful.py) follows nothing else."""
    from localexa.server.core.openapi_links import LINKS

    found = {
        name: (path, method, status, link)
        for path, method, op in operations(document)
        for status, response in op["responses"].items()
        for name, link in response.get("links", {}).items()
    }
    assert set(found) == {link.name for link in LINKS}
    for name, (path, method, status, link) in found.items():
        source = document["paths"][path][method]
        assert status.startswith(("2", "4")), name
        reference = link["operationRef"]
        assert reference.startswith("#/paths/"), name
        target_path, target_method = reference.removeprefix("#/paths/").rsplit("/", 1)
        target_path = target_path.replace("~1", "/").replace("~0", "~")
        target = document["paths"][target_path][target_method]
        assert set(link.get("parameters", {})) <= _parameter_names(target), name
        for expression in link.get("parameters", {}).values():
            _assert_expression_exists(document, name, expression, source, status)
        body = link.get("requestBody")
        if isinstance(body, dict):
            assert set(body) <= _body_properties(document, target), name
        if body is not None:
            for expression in _expressions(body):
                _assert_expression_exists(document, name, expression, source, status)


def _expressions(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [expression for item in value.values() for expression in _expressions(item)]
    return [value] if isinstance(value, str) else []


def _assert_expression_exists(
    document: dict[str, Any], name: str, expression: str, source: dict[str, Any], status: str
) -> None:
    if expression.startswith("$request.path."):
        assert f"path.{expression.removeprefix('$request.path.')}" in _parameter_names(source), name
    elif expression.startswith("$request.body"):
        pointer = expression.removeprefix("$request.body").removeprefix("#")
        field = pointer.strip("/").split("/")[0]
        assert not field or field in _body_properties(document, source), (name, expression)
    else:
        assert expression.startswith("$response.body#/"), (name, expression)
        schema = _resolve(document, source["responses"][status]["content"]["application/json"]["schema"])
        for step in expression.removeprefix("$response.body#/").split("/"):
            if step.isdigit():  # an item of a list
                assert schema.get("type") == "array", (name, expression)
                schema = _resolve(document, schema["items"])
            else:
                assert step in schema.get("properties", {}), (name, expression)
                schema = _resolve(document, schema["properties"][step])
