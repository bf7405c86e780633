"""What a client generated from the document (openapi-python-client, datamodel-code-generator)
needs from it: every body a handler reads itself, every credential and parameter a route takes,
typed answers and schemas such generators read as the server means them (core/openapi.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.db.engine import create_engine
from localexa.server.settings import Settings
from tests.factories import Admin
from tests.fuzz.test_openapi_bodies import FAULT_CASES
from tests.fuzz.test_openapi_document import operations
from tests.observe.helpers import ADMIN


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app: FastAPI = create_app(Settings(demo=False))
    return app.openapi()


def validates(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    rooted = {**schema, "components": document["components"]}
    return bool(jsonschema_rs.Draft202012Validator(rooted).is_valid(value))


def json_schema(
    document: dict[str, Any], path: str, method: str, status: str | None = None
) -> dict[str, Any]:
    """The JSON schema of `status`'s answer, or of the request body without a status."""
    operation = document["paths"][path][method]
    part = operation["requestBody"] if status is None else operation["responses"][status]
    schema: dict[str, Any] = part["content"]["application/json"]["schema"]
    return schema


async def test_restore_documents_the_snapshot_it_takes(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin
) -> None:
    """The restore handler reads its body itself: without `requestBody` a generated client had no
    body parameter and sent nothing (400). The snapshot is one component, `Snapshot`, referenced
    by both operations (it was written out twice until 2026-12-06): a generated client has one
    type for what snapshot answers and restore takes."""
    body = document["paths"]["/_localexa/restore"]["post"]["requestBody"]
    assert body["required"] is True
    schema = json_schema(document, "/_localexa/restore", "post")
    assert schema == {"$ref": "#/components/schemas/Snapshot"}
    assert json_schema(document, "/_localexa/snapshot", "post", "200") == schema
    component = document["components"]["schemas"]["Snapshot"]
    assert set(component["required"]) >= {"format", "version", "keyFingerprint", "tables"}
    assert json.dumps(document).count(json.dumps(component["description"])) == 1
    await admin.customer()
    taken = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()
    assert validates(document, schema, taken)
    assert not validates(document, schema, {"format": "localexa.snapshot"})
    restored = await client.post("/_localexa/restore", json=taken, headers=ADMIN)
    assert restored.status_code == 200, restored.text


@pytest.mark.parametrize("path", ["/auth/o2/tokeninfo", "/user/profile"])
async def test_the_token_routes_declare_every_place_their_token_may_be(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin, path: str
) -> None:
    """They read the token themselves (no security, no parameters were documented): each place the
    document names takes it, and the bearer scheme is one alternative beside the parameters."""
    operation = document["paths"][path]["get"]
    assert operation["security"] == [{"LwaBearer": []}, {}]
    places = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert set(places) == {("query", "access_token"), ("header", "x-amz-access-token")}
    assert not any(p["required"] for p in places.values())
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["profile"])
    sent: list[tuple[dict[str, str], dict[str, str]]] = [({"Authorization": f"Bearer {token}"}, {})]
    sent += [({}, {name: token}) if where == "query" else ({name: token}, {}) for where, name in places]
    for headers, params in sent:
        answer = await client.get(path, headers=headers, params=params)
        assert answer.status_code == 200, (headers.keys(), params.keys(), answer.text)


async def test_minted_tokens_have_a_typed_answer_with_the_same_bytes(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin
) -> None:
    """The 201 was `additionalProperties: true`; it is the pair admin-api.md names, and the bytes
    on the wire stay those LWA's token endpoint writes (its field order, compact JSON)."""
    schema = json_schema(document, "/_localexa/tokens", "post", "201")
    component = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert set(component["required"]) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert component["properties"]["token_type"]["const"] == "bearer"
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    answer = await client.post(
        "/_localexa/tokens",
        json={"clientId": client_id, "userId": customer.user_id, "scopes": ["profile"]},
        headers=ADMIN,
    )
    assert answer.status_code == 201
    body = answer.json()
    assert validates(document, schema, body)
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert answer.content == json.dumps(body, separators=(",", ":")).encode()


async def test_the_token_endpoint_declares_basic_client_authentication(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin
) -> None:
    """Basic is accepted (RFC 6749 §2.3.1) but was not declared; the body's client_id and
    client_secret are the other way, so Basic is one alternative beside none."""
    assert document["components"]["securitySchemes"]["LwaClientBasic"]["scheme"] == "basic"
    assert document["paths"]["/auth/o2/token"]["post"]["security"] == [{"LwaClientBasic": []}, {}]
    skill = await admin.skill()
    form = {"grant_type": "client_credentials", "scope": "alexa:skill_messaging"}
    basic = httpx.BasicAuth(skill.messaging_client_id, skill.messaging_client_secret)
    assert (await client.post("/auth/o2/token", data=form, auth=basic)).status_code == 200


async def test_ready_documents_both_of_its_answers(
    document: dict[str, Any],
    client: httpx.AsyncClient,
    app: FastAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its 200 was `{}` and its 503 had no content, though both are JSON objects."""
    ok = json_schema(document, "/_localexa/ready", "get", "200")
    down = json_schema(document, "/_localexa/ready", "get", "503")
    answer = await client.get("/_localexa/ready")
    assert answer.status_code == 200
    assert validates(document, ok, answer.json())
    assert not validates(document, down, answer.json())
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    monkeypatch.setattr(app.state, "engine", broken)
    answer = await client.get("/_localexa/ready")
    monkeypatch.undo()
    await broken.dispose()
    assert answer.status_code == 503
    assert validates(document, down, answer.json())
    assert not validates(document, ok, answer.json())


DIRECTIVE = {"userId": "amzn1.account.x", "skillId": "amzn1.ask.skill.x"}
TURN_ON = {**DIRECTIVE, "namespace": "Alexa.PowerController", "name": "TurnOn"}
UNION_CASES = [
    pytest.param("FaultIn", case, accepted, id=f"fault-{index}")
    for index, (case, accepted) in enumerate(FAULT_CASES)
] + [
    pytest.param("DirectiveIn", body, accepted, id=name)
    for name, body, accepted in [
        (
            "turn-on-without-endpoint",
            {**DIRECTIVE, "namespace": "Alexa.PowerController", "name": "TurnOn"},
            False,
        ),
        (
            "turn-on",
            {**DIRECTIVE, "namespace": "Alexa.PowerController", "name": "TurnOn", "endpointId": "lamp-1"},
            True,
        ),
        ("discover", {**DIRECTIVE, "namespace": "Alexa.Discovery", "name": "Discover"}, True),
        ("accept-grant", {**DIRECTIVE, "namespace": "Alexa.Authorization", "name": "AcceptGrant"}, True),
        ("without-user", {"skillId": "s", "namespace": "Alexa.Discovery", "name": "Discover"}, False),
        ("unknown-field", {**DIRECTIVE, "namespace": "Alexa.Discovery", "name": "Discover", "x": 1}, False),
        ("empty-namespace", {**DIRECTIVE, "namespace": "", "name": "TurnOn", "endpointId": "e"}, False),
    ]
]


@pytest.mark.parametrize(("name", "body", "accepted"), UNION_CASES)
def test_each_union_member_is_the_whole_body(
    document: dict[str, Any], name: str, body: dict[str, Any], accepted: bool
) -> None:
    """openapi-python-client reads `anyOf` beside `properties` as a union of the branches alone and
    dropped the shared fields (`DirectiveInType0(user_id=…)`). Each branch is now the whole body:
    the branches alone take what the schema (and the server, test_openapi_bodies.py) takes."""
    schema = document["components"]["schemas"][name]
    for branch in schema["anyOf"]:
        assert set(branch["properties"]) == set(schema["properties"]), branch.get("title")
        assert set(branch["required"]) >= set(schema["required"])
        assert branch["additionalProperties"] is False
    union_only = {"anyOf": schema["anyOf"]}
    assert validates(document, schema, body) is accepted
    assert validates(document, union_only, body) is accepted


def _written_out_objects(schema: Any, where: str) -> list[str]:
    """Where `schema` holds an object schema written out rather than referenced (`$ref`)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return []
    found = [where] if schema.get("type") == "object" or "properties" in schema else []
    inner = [(f"{where}.{name}", part) for name, part in schema.get("properties", {}).items()]
    inner += [
        (f"{where}|{i}", part)
        for key in ("anyOf", "oneOf", "allOf")
        for i, part in enumerate(schema.get(key, []))
    ]
    inner += [(f"{where}[]", schema.get("items")), (f"{where}{{}}", schema.get("additionalProperties"))]
    return found + [hit for path, part in inner for hit in _written_out_objects(part, path)]


def _union_members(tree: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every `anyOf` / `oneOf` member written out anywhere in the document, with where it is."""
    if isinstance(tree, list):
        return [found for i, item in enumerate(tree) for found in _union_members(item, f"{where}/{i}")]
    if not isinstance(tree, dict):
        return []
    members = [
        (f"{where}/{key}/{i}", member)
        for key in ("anyOf", "oneOf")
        for i, member in enumerate(tree.get(key, []))
        if isinstance(member, dict) and "$ref" not in member
    ]
    return members + [
        found for key, value in tree.items() for found in _union_members(value, f"{where}/{key}")
    ]


def test_union_members_hold_no_written_out_models(document: dict[str, Any]) -> None:
    """openapi-python-client builds a union member's model twice (with the union, then in its pass
    over models): a model written out inside the member met itself the second time ("duplicate
    models with name EndpointDirectiveInPayload") and it dropped the three `DirectiveIn_*` models
    (QA of 2026-12-06). An object inside a member is a component (core/openapi_any_of.py), and
    the components' model names (the title, else the name) are unique."""
    nested = [
        hit
        for where, member in _union_members(document)
        for name, part in member.get("properties", {}).items()
        for hit in _written_out_objects(part, f"{where}.{name}")
    ]
    assert nested == []
    schemas = document["components"]["schemas"]
    models = [
        re.sub("[^a-z0-9]", "", (schema.get("title") or name).lower()) for name, schema in schemas.items()
    ]
    assert len(models) == len(set(models))
    directive = schemas["DirectiveIn"]
    for branch in directive["anyOf"]:
        assert branch["properties"]["payload"]["anyOf"][0] == {
            "$ref": "#/components/schemas/DirectivePayload"
        }
    assert schemas["DirectivePayload"] == {
        "type": "object",
        "additionalProperties": True,
        "title": "DirectivePayload",
    }


def test_operation_ids_are_short_camel_case_and_unique(document: dict[str, Any]) -> None:
    """FastAPI's ids held the path and the method (53 characters on average, up to 122): a
    generated client's method names. Each is now its handler's name in camelCase."""
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", operation_id), operation_id
        assert len(operation_id) <= 40, operation_id
    paths = document["paths"]
    assert paths["/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"]["get"]["operationId"] == (
        "getAccountLinkingInfo"
    )
    assert paths["/_localexa/restore"]["post"]["operationId"] == "restore"


@pytest.mark.parametrize(
    ("schema", "values"),
    [
        pytest.param("AccountLink", ["LINKED", "NOT_LINKED", "NEEDS_RELINK"], id="account-link"),
        pytest.param("EvaluationView", ["IN_PROGRESS", "PASSED", "FAILED", "ERROR"], id="evaluation"),
        pytest.param("EvaluationSummary", ["IN_PROGRESS", "PASSED", "FAILED", "ERROR"], id="evaluation-list"),
        pytest.param("TestCaseResultView", ["PASSED", "FAILED", "ERROR"], id="test-case"),
    ],
)
def test_statuses_are_enumerated(document: dict[str, Any], schema: str, values: list[str]) -> None:
    """They were plain strings: a generated client could not tell a run's end from a typo."""
    status = document["components"]["schemas"][schema]["properties"]["status"]
    assert status == {"type": "string", "enum": values, "title": "Status"}
