"""The directives admin API: its refusals, the follow-up status after linking, the message log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin

READWRITE = "alexa::ask:skills:readwrite"


def turn_on(user_id: str, skill_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "userId": user_id,
        "skillId": skill_id,
        "endpointId": "light-1",
        "namespace": "Alexa.PowerController",
        "name": "TurnOn",
        **extra,
    }


async def test_the_admin_key_is_required(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_localexa/directives", json=turn_on("u", "s"))
    assert answer.status_code == 401
    assert "message" in answer.json()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"userId": "u", "skillId": "s", "namespace": "Alexa"}, id="no-name"),
        pytest.param(turn_on("u", "s", payloadVersion="2"), id="payload-version"),
        pytest.param(turn_on("u", "s", payload=[1]), id="payload-not-object"),
        pytest.param(turn_on("u", "s", surprise=True), id="unknown-field"),
        pytest.param(turn_on("u", "s", endpointId="light 1/x"), id="endpoint-id-characters"),
    ],
)
async def test_bad_bodies_are_400(admin: Admin, body: dict[str, Any]) -> None:
    answer = await send(admin, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"]


async def test_unknown_customer_skill_or_enablement_is_404(admin: Admin) -> None:
    customer = await admin.customer()
    skill = await admin.skill()

    for body in (
        turn_on("amzn1.account.NOPE", skill.skill_id),
        turn_on(customer.user_id, "amzn1.ask.skill.nope"),
    ):
        answer = await send(admin, body)
        assert answer.status_code == 404, answer.text
    not_enabled = await send(admin, turn_on(customer.user_id, skill.skill_id))
    assert not_enabled.status_code == 404
    assert "not enabled" in not_enabled.json()["message"]
    view = await admin.client.get(
        f"/_localexa/customers/{customer.user_id}/skills/{skill.skill_id}/endpoints", headers=admin.headers
    )
    assert view.status_code == 404


async def test_an_enablement_without_a_link_is_400(admin: Admin, client: httpx.AsyncClient) -> None:
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, [READWRITE])
    enabled = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert enabled.status_code == 204

    answer = await send(admin, turn_on(skill.developer.user_id, skill.skill_id))

    assert answer.status_code == 400
    assert "not linked" in answer.json()["message"]


async def test_a_directive_to_an_endpoint_needs_its_id(admin: Admin) -> None:
    body = turn_on("u", "s")
    del body["endpointId"]
    answer = await send(admin, body)
    assert answer.status_code == 400
    assert "endpointId" in answer.json()["message"]


async def test_a_failed_accept_grant_is_recorded_and_shown(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    # My Lights does not know the skill's messaging credentials, so it cannot exchange the code.
    linked = await link_customer(admin, client, mylights, alexa_credentials=False)

    view = await endpoints_after_link(admin, linked)

    assert view["discovery"]["status"] == "SUCCEEDED"
    assert view["acceptGrant"]["status"] == "FAILED"
    assert view["acceptGrant"]["message"].startswith("ErrorResponse ACCEPT_GRANT_FAILED")
    assert view["acceptGrant"]["at"]
    assert mylights.cloud.event_tokens("demo") is None


async def test_discover_and_accept_grant_can_be_run_again(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights, alexa_credentials=False)
    assert (await endpoints_after_link(admin, linked))["acceptGrant"]["status"] == "FAILED"
    skill = linked.skill
    mylights.cloud.set_alexa_credentials(skill.messaging_client_id, skill.messaging_client_secret)

    granted = await admin.client.post(linked.path("accept-grant"), headers=admin.headers)
    discovered = await admin.client.post(linked.path("discover"), headers=admin.headers)

    assert granted.json()["verdict"]["name"] == "Alexa.Authorization.AcceptGrant.Response"
    assert discovered.json()["verdict"]["name"] == "Alexa.Discovery.Discover.Response"
    view = await endpoints_after_link(admin, linked)
    assert (view["discovery"]["status"], view["acceptGrant"]["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert mylights.cloud.event_tokens("demo") is not None


async def test_accept_grant_needs_the_event_permission(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights, permissions=[])
    view = await endpoints_after_link(admin, linked)
    assert view["acceptGrant"]["status"] == "NOT_REQUIRED"

    answer = await admin.client.post(linked.path("accept-grant"), headers=admin.headers)

    assert answer.status_code == 400
    assert "alexa::async_event:write" in answer.json()["message"]
    # A refused call changes nothing: until 2026-12-06 the status became FAILED with the refusal.
    after = await admin.client.get(linked.path("endpoints"), headers=admin.headers)
    assert after.json()["acceptGrant"] == view["acceptGrant"]
    assert after.json()["discovery"] == view["discovery"]


async def test_a_refused_discover_keeps_the_stored_status(admin: Admin, client: httpx.AsyncClient) -> None:
    skill = await admin.skill()
    user_id = skill.developer.user_id
    token = await admin.access_token(user_id, [READWRITE])
    enabled = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert enabled.status_code == 204
    path = f"/_localexa/customers/{user_id}/skills/{skill.skill_id}"
    before = (await admin.client.get(f"{path}/endpoints", headers=admin.headers)).json()

    refused = await admin.client.post(f"{path}/discover", headers=admin.headers)

    assert refused.status_code == 400
    assert "not linked" in refused.json()["message"]
    after = (await admin.client.get(f"{path}/endpoints", headers=admin.headers)).json()
    assert (after["discovery"], after["acceptGrant"]) == (before["discovery"], before["acceptGrant"])


async def test_messages_are_paged_newest_first(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights)
    await endpoints_after_link(admin, linked)  # Discover and AcceptGrant: four messages

    first = (
        await admin.client.get(linked.path("messages"), params={"maxResults": 3}, headers=admin.headers)
    ).json()
    rest = (
        await admin.client.get(
            linked.path("messages"),
            params={"maxResults": 3, "nextToken": first["nextToken"]},
            headers=admin.headers,
        )
    ).json()

    assert [m["name"] for m in first["messages"]] == [
        "AcceptGrant.Response",
        "AcceptGrant",
        "Discover.Response",
    ]
    assert [m["name"] for m in rest["messages"]] == ["Discover"]
    assert rest.get("nextToken") is None
    assert first["messages"][0]["exchangeId"] == first["messages"][1]["exchangeId"]
    # Digits past the id column's range, and digits `int()` cannot read or reads though they are
    # none of ours, were a 500 "Retry the request" or a page (review of 2026-12-07).
    too_big, unicode_digits = ("9223372036854775808", "9" * 40), ("\u00b2", "\u0661\u0662", "\uff11")
    too_few = await admin.client.get(linked.path("messages"), params={"maxResults": 0}, headers=admin.headers)
    assert too_few.status_code == 400
    for token in ("abc", *too_big, *unicode_digits):
        bad = await admin.client.get(
            linked.path("messages"), params={"nextToken": token}, headers=admin.headers
        )
        assert bad.status_code == 400, (token, bad.text)
        assert bad.json() == {"message": "nextToken is not a token this API issued."}
