"""An empty skillId (`/v1/skills//…`) is the same 400 as a 256-character one on every route that
takes a skillId, as Skill Credentials answers it: "skillId: 1 – 255 characters" is one rule with
two ends. Until 2026-12-07 the empty one fell through to 404 "No resource" everywhere but Skill
Credentials."""

from __future__ import annotations

import httpx
import pytest

from tests.enablement.helpers import READWRITE, bearer, customer_token, enablement_path, link_body
from tests.factories import Admin

SMAPI_ROUTES = [
    ("PUT", "/v1/skills/{}/stages/development/enablement"),
    ("GET", "/v1/skills/{}/stages/development/enablement"),
    ("DELETE", "/v1/skills/{}/stages/development/enablement"),
    ("GET", "/v1/skills/{}/stages/development/accountLinkingClient"),
    ("PUT", "/v1/skills/{}/stages/live/accountLinkingClient"),
    ("DELETE", "/v1/skills/{}/stages/development/accountLinkingClient"),
    ("GET", "/v1/skills/{}/smartHome/testing/capabilityTestPlans"),
    ("POST", "/v1/skills/{}/smartHome/testing/capabilityEvaluations"),
    ("GET", "/v1/skills/{}/smartHome/testing/capabilityEvaluations"),
    ("GET", "/v1/skills/{}/smartHome/testing/capabilityEvaluations/e1"),
    ("GET", "/v1/skills/{}/smartHome/testing/capabilityEvaluations/e1/results"),
    ("GET", "/v1/skills/{}/credentials"),
]


@pytest.mark.parametrize(("method", "template"), SMAPI_ROUTES, ids=[f"{m} {t}" for m, t in SMAPI_ROUTES])
async def test_an_empty_skill_id_is_the_400_of_an_overlong_one_on_smapi(
    client: httpx.AsyncClient, admin: Admin, method: str, template: str
) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    answers = [
        await client.request(method, template.format(skill_id), headers=bearer(token), json={})
        for skill_id in ("", "s" * 256)
    ]
    empty, overlong = answers
    assert empty.status_code == 400, empty.text
    assert empty.json() == overlong.json()
    assert empty.json()["code"] == "INVALID_STRING_LENGTH"
    assert set(empty.json()) == {"code", "message", "violations"}


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_an_empty_skill_id_is_the_400_of_an_overlong_one_for_customers(
    client: httpx.AsyncClient, admin: Admin, method: str
) -> None:
    token = await customer_token(admin, await admin.customer())
    empty, overlong = [
        await client.request(method, enablement_path(skill_id), json=link_body("c"), headers=bearer(token))
        for skill_id in ("", "s" * 256)
    ]
    assert empty.status_code == 400, empty.text
    assert empty.json() == overlong.json() == {"message": "skillId must be 1 to 255 characters long."}
