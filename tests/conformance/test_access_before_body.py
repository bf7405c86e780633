"""Every SMAPI, customer and evaluation route that reads a body checks the caller first: the token,
then the caller's right to the resource, then the resource, then the body (the order
accountLinkingClient PUT had). A caller who may not use the skill, an unknown skill, or a customer
on another region's endpoint gets its 403 or 404 whatever it sent: the evaluation POST and the
customer enablement POST parsed the body first, and answered a 400 that listed the schema's
fields to a caller with no access to the skill (spec QA M1)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    READWRITE,
    bearer,
    customer_token,
    developer_path,
    enablement_path,
    link_body,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin, Skill

#: Bodies that are each a 400 to a caller who may use the route; none may decide a refused call.
BAD_BODIES = [b"", b"{}", b"[]", b"not json", b'{"stage": 5, "endpoint": 5}']
#: Names a 400 about the bodies above would spell out (the schemas' fields).
SCHEMA_WORDS = (
    "capabilityTestPlan",
    "endpointId",
    "accountLinkRequest",
    "accountLinkingRequest",
    "redirectUri",
    "threadNetwork",
    "Field required",
    "request body",
)


@pytest.fixture
def backend() -> str:
    """The order of the checks is the routes', the same on both databases: SQLite only (conftest's
    `backend` would run each case on PostgreSQL too, for CI's time)."""
    return "sqlite"


UNKNOWN_SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
EVALUATIONS = "/v1/skills/{}/smartHome/testing/capabilityEvaluations"
ACCOUNT_LINKING_CLIENT = "/v1/skills/{}/stages/development/accountLinkingClient"


@dataclass
class World:
    skill: Skill
    developer: str  # the skill's developer's SMAPI token
    other_developer: str  # a valid SMAPI token of an account that is no developer of the skill
    customer: str  # an NA customer's account-linking token
    eu_customer: str  # an EU customer's, used on the NA endpoint
    other_skills_token: str  # an NA customer's token minted for another skill's Alexa client


@pytest.fixture
async def world(admin: Admin, token_server: TokenServer) -> World:
    skill = await linked_skill(admin, token_server)
    other_skill = await admin.skill(name="Other")
    nobody = await admin.customer(name="Mallory")
    customer = await admin.customer()
    assert other_skill.alexa_client_id is not None
    return World(
        skill=skill,
        developer=await admin.access_token(skill.developer.user_id, [READWRITE]),
        other_developer=await admin.access_token(nobody.user_id, [READWRITE]),
        customer=await customer_token(admin, customer),
        eu_customer=await customer_token(admin, await admin.customer(region="EU")),
        other_skills_token=(
            await admin.tokens(other_skill.alexa_client_id, customer.user_id, [ACCOUNT_LINKING])
        )["access_token"],
    )


def _assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    for word in SCHEMA_WORDS:
        assert word not in response.text, (word, response.text)


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_evaluation_post_is_403_to_another_developer_and_404_for_an_unknown_skill(
    client: httpx.AsyncClient, world: World, body: bytes
) -> None:
    json_header = {"Content-Type": "application/json"}
    other = await client.post(
        EVALUATIONS.format(world.skill.skill_id),
        content=body,
        headers={**bearer(world.other_developer), **json_header},
    )
    _assert_refused(other, 403)
    assert other.json()["code"] == "ACCESS_DENIED"
    assert other.json()["violations"] == [{"code": "ACCESS_DENIED", "message": other.json()["message"]}]
    unknown = await client.post(
        EVALUATIONS.format(UNKNOWN_SKILL), content=body, headers={**bearer(world.developer), **json_header}
    )
    _assert_refused(unknown, 404)
    assert unknown.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_customer_post_is_404_for_an_unknown_skill_and_403_elsewhere(
    client: httpx.AsyncClient, world: World, body: bytes
) -> None:
    unknown = await client.post(enablement_path(UNKNOWN_SKILL), content=body, headers=bearer(world.customer))
    _assert_refused(unknown, 404)
    assert set(unknown.json()) == {"message"}
    path = enablement_path(world.skill.skill_id)
    region = await client.post(path, content=body, headers=bearer(world.eu_customer))
    _assert_refused(region, 403)
    assert "EU region" in region.json()["message"]
    other = await client.post(path, content=body, headers=bearer(world.other_skills_token))
    _assert_refused(other, 403)
    assert other.json() == {"message": "The access token was issued for another skill."}


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_account_linking_client_put_keeps_its_order(
    client: httpx.AsyncClient, world: World, body: bytes
) -> None:
    """The route the others now follow: 403, 404 and a read-only stage's 403 before the body."""
    path = ACCOUNT_LINKING_CLIENT.format(world.skill.skill_id)
    _assert_refused(await client.put(path, content=body, headers=bearer(world.other_developer)), 403)
    unknown = ACCOUNT_LINKING_CLIENT.format(UNKNOWN_SKILL)
    _assert_refused(await client.put(unknown, content=body, headers=bearer(world.developer)), 404)


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_developer_enablement_put_ignores_any_body_and_checks_the_caller(
    client: httpx.AsyncClient, world: World, body: bytes
) -> None:
    path = developer_path(world.skill.skill_id)
    _assert_refused(await client.put(path, content=body, headers=bearer(world.other_developer)), 403)
    _assert_refused(
        await client.put(developer_path(UNKNOWN_SKILL), content=body, headers=bearer(world.developer)), 404
    )


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_credential_locker_put_refuses_a_token_that_is_no_skills_first(
    client: httpx.AsyncClient, world: World, body: bytes
) -> None:
    """A customer's app token is no skill's messaging token: 403 whatever the body."""
    response = await client.put(
        "/credentiallocker/v2/threadNetworks", content=body, headers=bearer(world.customer)
    )
    _assert_refused(response, 403)


async def test_a_caller_with_access_still_gets_the_400(client: httpx.AsyncClient, world: World) -> None:
    """The order changed, not the checks: the skill's developer and its customer are told what is
    wrong with the body."""
    evaluation = await client.post(
        EVALUATIONS.format(world.skill.skill_id), content=b"{}", headers=bearer(world.developer)
    )
    assert evaluation.status_code == 400, evaluation.text
    assert "capabilityTestPlan: Field required" in evaluation.text
    linked = await client.post(
        enablement_path(world.skill.skill_id), content=b"{}", headers=bearer(world.customer)
    )
    assert linked.status_code == 400, linked.text
    assert linked.json() == {"message": "stage: Field required"}
    # A valid body still links (the body read later is the same body).
    ok = await client.post(
        enablement_path(world.skill.skill_id), json=link_body(new_code()), headers=bearer(world.customer)
    )
    assert ok.status_code == 201, ok.text
