"""The token a smart home skill got from AcceptGrant (its messaging client's, for one customer):
it may read and end the enablement (seed), and disabling the skill ends its refresh (spec §4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.enablement.helpers import (
    bearer,
    customer_token,
    developer_path,
    developer_token,
    enablement_path,
    link,
    linked_skill,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin, Customer, Skill

EVENT_SCOPE = "alexa::async_event:write"


async def _event_grant(admin: Admin, skill: Skill, customer: Customer) -> dict[str, Any]:
    """The pair the AcceptGrant code exchange gives the skill (admin-api.md: same client, same user)."""
    return await admin.tokens(skill.messaging_client_id, customer.user_id, [EVENT_SCOPE])


async def _refresh(client: httpx.AsyncClient, skill: Skill, refresh_token: str) -> httpx.Response:
    return await client.post(
        "/auth/o2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(skill.messaging_client_id, skill.messaging_client_secret),
    )


async def test_the_acceptgrant_token_reads_and_ends_the_enablement(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    customer = await admin.customer()
    assert (await link(client, await customer_token(admin, customer), skill.skill_id)).status_code == 201
    grant = bearer((await _event_grant(admin, skill, customer))["access_token"])
    status = await client.get(enablement_path(skill.skill_id), headers=grant)
    assert status.status_code == 200, status.text
    assert status.json()["accountLink"]["status"] == "LINKED"
    ended = await client.delete(enablement_path(skill.skill_id), headers=grant)
    assert ended.status_code == 200, ended.text
    after = await client.get(enablement_path(skill.skill_id), headers=await _customer(admin, customer))
    assert after.status_code == 404


async def _customer(admin: Admin, customer: Customer) -> dict[str, str]:
    return bearer(await customer_token(admin, customer))


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_another_skills_acceptgrant_token_is_403(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, method: str
) -> None:
    skill = await linked_skill(admin, token_server)
    other = await linked_skill(admin, token_server)
    customer = await admin.customer()
    assert (await link(client, await customer_token(admin, customer), skill.skill_id)).status_code == 201
    foreign = bearer((await _event_grant(admin, other, customer))["access_token"])
    answer = await client.request(method, enablement_path(skill.skill_id), headers=foreign)
    assert answer.status_code == 403
    assert set(answer.json()) == {"message"}
    still = await client.get(enablement_path(skill.skill_id), headers=await _customer(admin, customer))
    assert still.status_code == 200


async def test_a_customer_disable_ends_the_skills_refresh_but_not_other_skills(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    other = await linked_skill(admin, token_server)
    customer = await admin.customer()
    for each in (skill, other):
        assert (await link(client, await customer_token(admin, customer), each.skill_id)).status_code == 201
    pair = await _event_grant(admin, skill, customer)
    other_pair = await _event_grant(admin, other, customer)
    assert (await _refresh(client, skill, pair["refresh_token"])).status_code == 200
    disabled = await client.delete(enablement_path(skill.skill_id), headers=await _customer(admin, customer))
    assert disabled.status_code == 200
    refused = await _refresh(client, skill, pair["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert (await _refresh(client, other, other_pair["refresh_token"])).status_code == 200


async def test_a_developer_disable_ends_the_skills_refresh(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    developer = bearer(await developer_token(admin, skill))
    assert (await client.put(developer_path(skill.skill_id), headers=developer)).status_code == 204
    pair = await _event_grant(admin, skill, skill.developer)
    assert (await client.delete(developer_path(skill.skill_id), headers=developer)).status_code == 204
    refused = await _refresh(client, skill, pair["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
