"""The document says what each handler-checked parameter and body accepts (core.openapi.documented),
while the handler, not FastAPI, still judges the value (so its error keeps the API's own code)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query

from localexa.server.app import create_app
from localexa.server.core.errors import ApiFamily
from localexa.server.core.families import FamilyRouter
from localexa.server.core.openapi import add_error_responses, documented
from localexa.server.settings import Settings

EVALUATIONS = "/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations"
LOCKER = "/credentiallocker/v2/threadNetworks"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app: FastAPI = create_app(Settings(demo=False))
    return app.openapi()


def parameter(doc: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        p for p in doc["paths"][path][method].get("parameters", []) if p["name"] == name
    ]
    assert len(found) == 1, (path, method, name)
    return found[0]


@pytest.mark.parametrize(
    ("path", "method", "name", "schema", "required"),
    [
        (
            "/v1/skills/{skill_id}/stages/{stage}/enablement",
            "get",
            "stage",
            {"enum": ["development", "live"]},
            True,
        ),
        (EVALUATIONS, "get", "stage", {"type": "string", "enum": ["development", "live"]}, True),
        (EVALUATIONS, "get", "maxResults", {"type": "integer", "minimum": 1, "maximum": 50}, False),
        (
            f"{EVALUATIONS}/{{evaluation_id}}/results",
            "get",
            "offset",
            {"type": "integer", "minimum": 0},
            False,
        ),
        (LOCKER, "get", "extendedPanId", {"pattern": "^(0[xX])?([0-9a-fA-F]{2}){8}$"}, True),
        (LOCKER, "get", "maxResults", {"type": "integer", "minimum": 1, "maximum": 100}, False),
        (
            "/_localexa/customers/{userId}/skills/{skillId}/messages",
            "get",
            "maxResults",
            {"maximum": 500},
            False,
        ),
    ],
)
def test_handler_checked_parameters_are_documented_as_accepted(
    document: dict[str, Any], path: str, method: str, name: str, schema: dict[str, Any], required: bool
) -> None:
    found = parameter(document, path, method, name)
    assert found["required"] is required
    assert found["schema"].items() >= schema.items(), found
    assert "anyOf" not in found["schema"]
    assert not any(key.startswith("x-localexa") for key in found["schema"])


def test_credential_locker_put_is_documented_as_200_without_a_body(document: dict[str, Any]) -> None:
    put = document["paths"][LOCKER]["put"]
    assert "content" not in put["responses"]["200"]
    network = put["requestBody"]["content"]["application/json"]["schema"]["properties"]["threadNetwork"]
    assert network["properties"]["networkKey"]["pattern"] == "^(0[xX])?([0-9a-fA-F]{2}){16}$"
    pskc = next(b for b in network["properties"]["pskc"]["anyOf"] if b.get("type") == "string")
    assert pskc["pattern"] == "^(0[xX])?([0-9a-fA-F]{2}){16}$"
    # The answers stay normalized: the GET model carries no request pattern.
    assert "pattern" not in document["components"]["schemas"]["ThreadNetworkOut"]["properties"]["networkKey"]


def test_event_gateway_documents_its_envelope(document: dict[str, Any]) -> None:
    body = document["paths"]["/v3/events"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] is True
    assert schema["required"] == ["event"]
    header = schema["properties"]["event"]["properties"]["header"]
    assert header["properties"]["payloadVersion"]["enum"] == ["3", "1.0", "1.1"]  # 1.x: ErrorResponse
    assert set(header["required"]) == {"namespace", "name", "payloadVersion", "messageId"}


@pytest.mark.parametrize(
    ("model", "field", "pattern_part"),
    [
        ("CustomerIn", "email", "@"),
        ("SkillSpec", "endpoint", "python:"),
        ("AdminAccountLinkingSpec", "authorizationUrl", "[Ss]?://"),
    ],
)
def test_admin_bodies_document_their_rules(
    document: dict[str, Any], model: str, field: str, pattern_part: str
) -> None:
    schema = document["components"]["schemas"][model]["properties"][field]
    assert pattern_part in schema["pattern"]


async def test_a_documented_parameter_is_still_judged_by_its_handler() -> None:
    app = FastAPI()
    seen: list[str | None] = []

    @app.get("/runs")
    async def runs(
        stage: Annotated[
            str | None, Query(json_schema_extra=documented({"enum": ["a"]}, required=True))
        ] = None,
    ) -> dict[str, str]:
        seen.append(stage)
        return {"judged": "by the handler"}

    doc = add_error_responses(app.openapi(), app, FamilyRouter(default=ApiFamily.ADMIN))  # as served
    operation = doc["paths"]["/runs"]["get"]
    assert operation["parameters"][0]["required"] is True
    assert operation["parameters"][0]["schema"] == {"title": "Stage", "enum": ["a"]}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for query in ({"stage": "b"}, {}):  # outside the enum, and missing: both reach the handler
            assert (await http.get("/runs", params=query)).status_code == 200
    assert seen == ["b", None]


def test_sign_in_page_documents_its_query_and_its_redirects(document: dict[str, Any]) -> None:
    page = document["paths"]["/ap/oa"]["get"]
    required = {p["name"] for p in page["parameters"] if p["required"]}
    assert required == {"client_id", "redirect_uri"}  # errors of the rest go back to redirect_uri
    assert {p["name"] for p in page["parameters"]} >= {"response_type", "scope", "state", "code_challenge"}
    for method in ("get", "post"):
        redirect = document["paths"]["/ap/oa"][method]["responses"]["302"]
        assert "Location" in redirect["headers"]
    form = document["paths"]["/ap/oa"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["schema"]["properties"]["action"]["enum"] == ["signin", "consent", "signout"]
