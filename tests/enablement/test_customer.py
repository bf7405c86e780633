"""Customer enablement (spec §1.2): bad input, tokens, other customers, and how it meets the
developer's enablement of the same account."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    READWRITE,
    bearer,
    customer_token,
    developer_path,
    enablement_path,
    link,
    link_body,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="no-body"),
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b"[]", id="json-array"),
        pytest.param({"accountLinkRequest": link_body("c")["accountLinkRequest"]}, id="no-stage"),
        pytest.param({**link_body("c"), "stage": "beta"}, id="unknown-stage"),
        pytest.param({"stage": "development"}, id="no-accountLinkRequest"),
        pytest.param(
            {"stage": "development", "accountLinkRequest": {"redirectUri": "https://a", "type": "AUTH_CODE"}},
            id="no-authCode",
        ),
        pytest.param(
            {"stage": "development", "accountLinkRequest": {"authCode": "c", "type": "AUTH_CODE"}},
            id="no-redirectUri",
        ),
        pytest.param(
            {"stage": "development", "accountLinkRequest": {"redirectUri": "https://a", "authCode": "c"}},
            id="no-type",
        ),
        pytest.param(
            {
                "stage": "development",
                "accountLinkRequest": {"redirectUri": "https://a", "authCode": "c", "type": "IMPLICIT"},
            },
            id="wrong-type",
        ),
        pytest.param(
            {
                "stage": "development",
                "accountLinkRequest": {"redirectUri": "", "authCode": "", "type": "AUTH_CODE"},
            },
            id="empty-strings",
        ),
        pytest.param({"stage": 7, "accountLinkRequest": "x"}, id="wrong-types"),
    ],
)
async def test_bad_bodies_are_400_in_the_customer_shape(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, body: Any
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer())
    headers = {**bearer(token), "Content-Type": "application/json"}
    if isinstance(body, bytes) or body is None:
        response = await client.post(enablement_path(skill.skill_id), content=body or b"", headers=headers)
    else:
        response = await client.post(enablement_path(skill.skill_id), json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"message"}
    assert (await client.get(enablement_path(skill.skill_id), headers=bearer(token))).status_code == 404


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_tokens_without_the_scope_are_403(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, method: str
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer(), ["profile", READWRITE])
    response = await client.request(
        method, enablement_path(skill.skill_id), json=link_body(new_code()), headers=bearer(token)
    )
    assert response.status_code == 403
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_missing_invalid_and_expired_tokens_are_401(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, method: str
) -> None:
    skill = await linked_skill(admin, token_server)
    path = enablement_path(skill.skill_id)
    assert (await client.request(method, path, json=link_body("c"))).status_code == 401
    invalid = await client.request(method, path, json=link_body("c"), headers=bearer("Atza|forged"))
    assert invalid.status_code == 401
    assert set(invalid.json()) == {"message"}
    token = await customer_token(admin, await admin.customer())
    await admin.advance_clock(3601)
    assert (await client.request(method, path, json=link_body("c"), headers=bearer(token))).status_code == 401


async def test_alexa_api_endpoint_needs_a_customer_token(client: httpx.AsyncClient, admin: Admin) -> None:
    assert (await client.get("/v1/alexaApiEndpoint")).status_code == 401
    customer = await admin.customer()
    wrong = await customer_token(admin, customer, ["profile"])
    response = await client.get("/v1/alexaApiEndpoint", headers=bearer(wrong))
    assert response.status_code == 403
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_unknown_skill_is_404(client: httpx.AsyncClient, admin: Admin, method: str) -> None:
    token = await customer_token(admin, await admin.customer())
    response = await client.request(
        method, enablement_path("amzn1.ask.skill.nope"), json=link_body("c"), headers=bearer(token)
    )
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_overlong_skill_id_is_400(client: httpx.AsyncClient, admin: Admin, method: str) -> None:
    token = await customer_token(admin, await admin.customer())
    response = await client.request(
        method, enablement_path("s" * 256), json=link_body("c"), headers=bearer(token)
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


async def test_stage_the_skill_lacks_is_404(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)  # development only
    token = await customer_token(admin, await admin.customer())
    code = new_code()
    response = await link(client, token, skill.skill_id, code, stage="live")
    assert response.status_code == 404
    assert token_server.calls_with("code", code) == []


async def test_live_stage_links_when_the_skill_has_it(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    token = await customer_token(admin, await admin.customer())
    response = await link(client, token, skill.skill_id, stage="live")
    assert response.status_code == 201
    assert response.json()["skill"]["stage"] == "live"


async def test_skill_without_account_linking_is_400(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await customer_token(admin, await admin.customer())
    response = await link(client, token, skill.skill_id)
    assert response.status_code == 400
    assert "account linking" in response.json()["message"]


async def test_other_customers_do_not_see_or_touch_an_enablement(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    alice = await customer_token(admin, await admin.customer(name="Alice"))
    bob = await customer_token(admin, await admin.customer(name="Bob"))
    assert (await link(client, alice, skill.skill_id)).status_code == 201

    path = enablement_path(skill.skill_id)
    assert (await client.get(path, headers=bearer(bob))).status_code == 404
    assert (await client.delete(path, headers=bearer(bob))).status_code == 404
    assert (await client.get(path, headers=bearer(alice))).json()["accountLink"]["status"] == "LINKED"
    # Bob links his own account; each has their own user id.
    bob_link = await link(client, bob, skill.skill_id)
    assert bob_link.status_code == 201
    alice_id = (await client.get(path, headers=bearer(alice))).json()["user"]["id"]
    assert bob_link.json()["user"]["id"] != alice_id


async def test_token_of_another_skills_client_is_403(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """A skill's own client for the customer's token is its Alexa client (app-to-app account
    linking); its messaging client is never granted the scope (`POST /_localexa/tokens` 400)."""
    skill = await linked_skill(admin, token_server)
    other = await linked_skill(admin, token_server)
    customer = await admin.customer()
    foreign = await admin.access_token(customer.user_id, [ACCOUNT_LINKING], client_id=other.alexa_client_id)
    code = new_code()
    response = await link(client, foreign, skill.skill_id, code)
    assert response.status_code == 403
    assert token_server.calls_with("code", code) == []
    own = await admin.access_token(customer.user_id, [ACCOUNT_LINKING], client_id=skill.alexa_client_id)
    assert (await link(client, own, skill.skill_id)).status_code == 201


async def test_developer_enablement_is_seen_by_the_customer_api_and_linked_by_post(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """One table: the developer's PUT enables their own account without a link; their app's POST
    then links that same enablement (same user id), and the developer GET still sees it."""
    skill = await linked_skill(admin, token_server)
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    customer = await customer_token(admin, skill.developer)
    assert (await client.put(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204

    before = await client.get(enablement_path(skill.skill_id), headers=bearer(customer))
    assert before.status_code == 200
    assert before.json()["accountLink"] == {"status": "NOT_LINKED"}
    assert before.json()["status"] == "ENABLED"

    linked = await link(client, customer, skill.skill_id)
    assert linked.status_code == 201
    assert linked.json()["user"]["id"] == before.json()["user"]["id"]
    assert linked.json()["accountLink"] == {"status": "LINKED"}
    assert (await client.get(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204
    # PUT on the linked stage keeps the link (ask-cli: GET, then PUT only on 404).
    assert (await client.put(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204
    after = await client.get(enablement_path(skill.skill_id), headers=bearer(customer))
    assert after.json()["accountLink"] == {"status": "LINKED"}
    # The developer's DELETE disables it for the customer API too.
    assert (await client.delete(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204
    assert (await client.get(enablement_path(skill.skill_id), headers=bearer(customer))).status_code == 404


async def test_developer_switching_stage_drops_the_link(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    customer = await customer_token(admin, skill.developer)
    linked = (await link(client, customer, skill.skill_id)).json()

    assert (
        await client.put(developer_path(skill.skill_id, "live"), headers=bearer(developer))
    ).status_code == 204

    now = (await client.get(enablement_path(skill.skill_id), headers=bearer(customer))).json()
    assert now["skill"]["stage"] == "live"
    assert now["accountLink"] == {"status": "NOT_LINKED"}
    assert now["user"]["id"] != linked["user"]["id"]


async def test_customer_disable_clears_the_developer_view(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    customer = await customer_token(admin, skill.developer)
    assert (await link(client, customer, skill.skill_id)).status_code == 201
    assert (await client.delete(enablement_path(skill.skill_id), headers=bearer(customer))).status_code == 200
    assert (await client.get(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 404


async def test_get_of_a_skill_without_account_linking_omits_account_link(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    assert (await client.put(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204
    customer = await customer_token(admin, skill.developer)
    body = (await client.get(enablement_path(skill.skill_id), headers=bearer(customer))).json()
    assert "accountLink" not in body
    assert body["status"] == "ENABLED"
    assert body["skill"] == {"id": skill.skill_id, "stage": "development"}


async def test_a_post_naming_the_other_stage_of_an_unlinked_enablement_moves_it(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """README: a POST on an enablement that is not linked is taken whichever stage it names; the
    other stage is enabled afresh (one stage at a time), so its user id is new (it read "keeps its
    user id, whichever stage it names": QA of 2026-12-07)."""
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    customer = await customer_token(admin, skill.developer)
    assert (
        await client.put(developer_path(skill.skill_id, "live"), headers=bearer(developer))
    ).status_code == 204
    before = (await client.get(enablement_path(skill.skill_id), headers=bearer(customer))).json()

    linked = await link(client, customer, skill.skill_id, stage="development")

    assert linked.status_code == 201, linked.text
    assert linked.json()["skill"]["stage"] == "development"
    assert linked.json()["accountLink"] == {"status": "LINKED"}
    assert linked.json()["user"]["id"] != before["user"]["id"]
    live = await client.get(developer_path(skill.skill_id, "live"), headers=bearer(developer))
    assert live.status_code == 404
