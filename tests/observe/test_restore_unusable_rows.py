"""Restore refuses what later reads cannot handle (fuzz review of 2026-12-07, F1 and F2).

Each of these restored with 200, and a later read of the row answered 500 until the next reset or
restore: a `schemaRevision` that is not a string (a 500 at the restore itself); a JSON `null` in a
column that is NOT NULL (SQLAlchemy writes `None` to a JSON column as the JSON text `null`, so the
database took it: `lwa_clients.redirect_uris`, `skills.stages`, …); a keyed hash that is not the 64
lower-case hex digits the server writes (a non-ASCII `secret_hash` made `POST /auth/o2/token` a
500); an evaluation whose stage, endpoint id or test plan id the API would have refused. Each is a
400 naming the field, and nothing is written.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from localexa.server.core.crypto import SecretBox
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.lwa.models import LwaClient
from tests.evaluation.helpers import READWRITE, bearer
from tests.factories import Admin
from tests.observe.helpers import ADMIN

WHEN = "2026-12-07T10:00:00+00:00"
HASH = "0123456789abcdef" * 4


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def _restore(client: httpx.AsyncClient, document: Any) -> httpx.Response:
    return await client.post("/_localexa/restore", headers=ADMIN, content=json.dumps(document))


async def _world(client: httpx.AsyncClient, admin: Admin) -> tuple[dict[str, Any], dict[str, str]]:
    """A snapshot with one row in each table the cases edit, restored once (so every row is one
    the server takes), and the developer's SMAPI headers."""
    skill = await admin.skill()
    await admin.lwa_client()
    developer = skill.developer.user_id
    token = await admin.access_token(developer, [READWRITE])
    document = await _snapshot(client)
    tables = document["tables"]
    evaluation = str(uuid.uuid4())
    tables["lwa_authorization_codes"] = [
        {
            "code_hash": HASH,
            "kind": "lwa",
            "client_id": tables["lwa_tokens"][0]["client_id"],
            "user_id": developer,
            "redirect_uri": "https://app.example.com/cb",
            "scopes": "profile",
            "expires_at": "2099-01-01T00:00:00+00:00",
            "grant_id": "g-1",
        }
    ]
    tables["discovered_endpoints"] = [
        {
            "customer_id": developer,
            "skill_id": skill.skill_id,
            "endpoint_id": "lamp",
            "friendly_name": "Lamp",
            "display_categories": ["LIGHT"],
            "capabilities": [{"type": "AlexaInterface", "interface": "Alexa", "version": "3"}],
            "cookie": {},
            "state": {},
            "discovered_at": WHEN,
        }
    ]
    tables["capability_evaluations"] = [
        {
            "id": evaluation,
            "skill_id": skill.skill_id,
            "customer_id": developer,
            "stage": "development",
            "endpoint_id": "lamp",
            "test_plan_id": plan_id_for("PowerController"),
            "status": "PASSED",
            "total_cases": 1,
            "next_case": 1,
            "attempts": 1,
            "created_at": WHEN,
            "ended_at": WHEN,
        }
    ]
    tables["capability_test_case_results"] = [
        {
            "evaluation_id": evaluation,
            "ordinal": 0,
            "name": "TurnOn",
            "status": "PASSED",
            "actual_states": [{"namespace": "Alexa.PowerController", "name": "powerState", "value": "ON"}],
            "expected_states": [{"namespace": "Alexa.PowerController", "name": "powerState", "value": "ON"}],
        }
    ]
    restored = await _restore(client, document)
    assert restored.status_code == 200, restored.text
    headers = bearer(token)
    base = f"/v1/skills/{skill.skill_id}/smartHome/testing/capabilityEvaluations/{evaluation}"
    for path in (base, f"{base}/results"):
        read = await client.get(path, headers=headers)
        assert read.status_code == 200, read.text
    return await _snapshot(client), headers


async def _refused(
    client: httpx.AsyncClient, before: dict[str, Any], edited: dict[str, Any], says: str
) -> str:
    answer = await _restore(client, edited)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"message"}, body
    assert body["message"].startswith(says), body["message"]
    after = await _snapshot(client)
    assert after["tables"] == before["tables"]
    message: str = body["message"]
    return message


# -- F1: schemaRevision ---------------------------------------------------------------------------


@pytest.mark.parametrize("revision", [[], {}, ["a"], {"a": 1}, 5, 1.5, True])
async def test_a_schema_revision_that_is_not_a_string_is_a_400_naming_it(
    client: httpx.AsyncClient, admin: Admin, revision: Any
) -> None:
    """`[]` and `{}` were a 500 (a set lookup of an unhashable value, observe/state.py)."""
    await admin.customer()
    before = await _snapshot(client)
    edited = {**before, "schemaRevision": revision}
    message = await _refused(client, before, edited, "schemaRevision: ")
    assert "schema revision" in message


# -- F2 (a): null where the column is NOT NULL, and JSON of another type ----------------------------


NOT_NULL_JSON = [
    ("lwa_clients", "redirect_uris"),
    ("skills", "stages"),
    ("discovered_endpoints", "display_categories"),
    ("discovered_endpoints", "capabilities"),
    ("discovered_endpoints", "cookie"),
    ("discovered_endpoints", "state"),
    ("capability_test_case_results", "actual_states"),
    ("capability_test_case_results", "expected_states"),
]


@pytest.mark.parametrize(
    ("table", "column"), [*NOT_NULL_JSON, ("customers", "name"), ("lwa_tokens", "scopes")]
)
async def test_null_in_a_column_that_is_not_nullable_is_refused(
    client: httpx.AsyncClient, admin: Admin, table: str, column: str
) -> None:
    before, _ = await _world(client, admin)
    edited = copy.deepcopy(before)
    edited["tables"][table][0][column] = None
    message = await _refused(client, before, edited, f"tables.{table}[0].{column}: ")
    assert "must not be null" in message


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("lwa_clients", "redirect_uris", {}),
        ("lwa_clients", "redirect_uris", "https://app.example.com/cb"),
        ("skills", "stages", {"development": True}),
        ("discovered_endpoints", "display_categories", {}),
        ("discovered_endpoints", "capabilities", {}),
        ("discovered_endpoints", "cookie", []),
        ("discovered_endpoints", "state", []),
        ("capability_test_case_results", "actual_states", {}),
        ("capability_test_case_results", "expected_states", [1]),
    ],
)
async def test_a_json_column_of_another_json_type_is_refused(
    client: httpx.AsyncClient, admin: Admin, table: str, column: str, value: Any
) -> None:
    """A list where the code reads a list, an object where it reads an object."""
    before, _ = await _world(client, admin)
    edited = copy.deepcopy(before)
    edited["tables"][table][0][column] = value
    await _refused(client, before, edited, f"tables.{table}[0].{column}: ")


async def test_null_in_a_nullable_column_still_restores(client: httpx.AsyncClient, admin: Admin) -> None:
    before, _ = await _world(client, admin)
    edited = copy.deepcopy(before)
    edited["tables"]["skills"][0]["regional_endpoints"] = None
    edited["tables"]["capability_test_case_results"][0]["error"] = None
    edited["tables"]["discovered_endpoints"][0]["description"] = None
    answer = await _restore(client, edited)
    assert answer.status_code == 200, answer.text


# -- F2 (b): keyed hashes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [("lwa_clients", "secret_hash"), ("lwa_tokens", "token_hash"), ("lwa_authorization_codes", "code_hash")],
)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("\u0661", id="non-ascii"),
        pytest.param("\u0661" * 64, id="non-ascii-64"),
        pytest.param(HASH.upper(), id="upper-case"),
        pytest.param(HASH[:-1], id="63-digits"),
        pytest.param("", id="empty"),
        pytest.param("g" * 64, id="not-hex"),
    ],
)
async def test_a_keyed_hash_not_as_the_server_writes_it_is_refused(
    client: httpx.AsyncClient, admin: Admin, table: str, column: str, value: str
) -> None:
    before, _ = await _world(client, admin)
    edited = copy.deepcopy(before)
    edited["tables"][table][0][column] = value
    message = await _refused(client, before, edited, f"tables.{table}[0].{column}: ")
    assert "64 lower-case hex digits" in message
    assert value not in message or not value


async def test_a_stored_secret_hash_that_is_not_ascii_is_a_401_at_the_token_endpoint(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    """Written before restore checked it (or by hand): the comparison is of bytes, not a 500."""
    client_id, secret = await admin.lwa_client()
    async with app.state.engine.begin() as conn:
        await conn.execute(
            update(LwaClient).where(LwaClient.client_id == client_id).values(secret_hash="\u0661")
        )
    answer = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "profile",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_client"


def test_the_secret_box_compares_any_stored_text_without_raising() -> None:
    box = SecretBox(b"k" * 32, password_hash_n=1024)
    assert box.verify_token("x", box.hash_token("x"))
    for stored in ("\u0661", "\u0661" * 64, "\ud800", ""):
        assert not box.verify_token("x", stored)
    good = box.hash_password("pw")
    assert box.verify_password("pw", good)
    _, n, salt, digest = good.split("$")
    for stored in (
        f"scrypt${n}${salt}$\u0661",
        f"scrypt${n}${salt}$\ud800",
        f"scrypt${10**30}${salt}${digest}",
        f"scrypt$-1${salt}${digest}",
        "x",
    ):
        assert not box.verify_password("pw", stored), stored


# -- F2 (c): capability evaluations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("stage", ""),
        ("stage", "9999-99-99"),
        ("stage", "\u0661"),
        ("stage", "Development"),
        ("endpoint_id", ""),
        ("endpoint_id", "\u0661"),
        ("endpoint_id", "10000-01-01T00:00:00+00:00"),
        ("endpoint_id", "a b"),
        ("test_plan_id", ""),
    ],
)
async def test_an_evaluation_the_api_could_not_have_made_is_refused(
    client: httpx.AsyncClient, admin: Admin, column: str, value: str
) -> None:
    """Its GET and results were a 500 (pydantic, evaluation/service.py `_input`)."""
    before, headers = await _world(client, admin)
    edited = copy.deepcopy(before)
    edited["tables"]["capability_evaluations"][0][column] = value
    message = await _refused(client, before, edited, "tables.capability_evaluations[0]: ")
    assert column in message, message
    evaluation = before["tables"]["capability_evaluations"][0]
    base = f"/v1/skills/{evaluation['skill_id']}/smartHome/testing/capabilityEvaluations/{evaluation['id']}"
    assert (await client.get(base, headers=headers)).status_code == 200
