"""400s about a body's fields speak the API's words and one code (spec QA L1, L2).

accountLinkingClient PUT said INVALID_REQUEST in `code` and INVALID_REQUEST_PARAMETER in each
violation, as the evaluation API did until it was aligned: each violation now repeats the code.
A field that should be an object was "Input should be a valid dictionary or instance of
AccountLinkRequest" (or EndpointRef, AccountLinkingSpec, TestPlanRef, PlatformAuthorizationUrl):
localexa's own class names, now "Input should be a JSON object".
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.enablement.helpers import (
    account_linking,
    bearer,
    customer_token,
    developer_token,
    enablement_path,
    linked_skill,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

ACCOUNT_LINKING_CLIENT = "/v1/skills/{}/stages/development/accountLinkingClient"
EVALUATIONS = "/v1/skills/{}/smartHome/testing/capabilityEvaluations"


def _messages(response: httpx.Response) -> list[str]:
    body = response.json()
    return [body["message"], *(violation["message"] for violation in body.get("violations", []))]


async def test_account_linking_client_violations_repeat_the_code(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await developer_token(admin, skill)
    response = await client.put(
        ACCOUNT_LINKING_CLIENT.format(skill.skill_id), json={"type": "AUTH_CODE"}, headers=bearer(token)
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "INVALID_REQUEST"
    assert body["violations"] == [
        {"code": "INVALID_REQUEST", "message": "accountLinkingRequest: Field required"}
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"accountLinkingRequest": None}, "accountLinkingRequest: Input should be a JSON object"),
        ({"accountLinkingRequest": "x"}, "accountLinkingRequest: Input should be a JSON object"),
        (
            {"accountLinkingRequest": {"authorizationUrlsByPlatform": [5]}},
            "accountLinkingRequest.authorizationUrlsByPlatform.0: Input should be a JSON object",
        ),
    ],
)
async def test_account_linking_client_names_no_class(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, body: dict[str, Any], expected: str
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await developer_token(admin, skill)
    if isinstance(body["accountLinkingRequest"], dict):
        body = {"accountLinkingRequest": {**account_linking(token_server), **body["accountLinkingRequest"]}}
    response = await client.put(
        ACCOUNT_LINKING_CLIENT.format(skill.skill_id), json=body, headers=bearer(token)
    )
    assert response.status_code == 400, response.text
    messages = _messages(response)
    assert expected in messages, messages
    assert not any("instance of" in message for message in messages), messages


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"capabilityTestPlan": {"id": "x"}, "endpoint": 5, "stage": "development"},
            "endpoint: Input should be a JSON object",
        ),
        (
            {"capabilityTestPlan": [], "endpoint": {"endpointId": "e"}, "stage": "development"},
            "capabilityTestPlan: Input should be a JSON object",
        ),
    ],
)
async def test_evaluation_names_no_class(
    client: httpx.AsyncClient, admin: Admin, body: dict[str, Any], expected: str
) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    response = await client.post(EVALUATIONS.format(skill.skill_id), json=body, headers=bearer(token))
    assert response.status_code == 400, response.text
    assert response.json()["violations"] == [{"code": "INVALID_REQUEST", "message": expected}]


async def test_customer_enablement_names_no_class(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer())
    response = await client.post(
        enablement_path(skill.skill_id),
        json={"stage": "development", "accountLinkRequest": "x"},
        headers=bearer(token),
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"message": "accountLinkRequest: Input should be a JSON object"}
