"""The whole loop with the real My Lights sample over HTTP: link → Discover → AcceptGrant → code
exchange → TurnOn → ReportState → ChangeReport, then token expiry, refresh and invalid tokens."""

from __future__ import annotations

from typing import Any

import httpx

from tests.directives.conftest import (
    Linked,
    MyLights,
    endpoints_after_link,
    link_customer,
    send,
)
from tests.directives.live import eventually
from tests.factories import Admin

POWER = "Alexa.PowerController.powerState"
BRIGHTNESS = "Alexa.BrightnessController.brightness"


def directive(linked: Linked, endpoint_id: str, namespace: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "userId": linked.user_id,
        "skillId": linked.skill_id,
        "endpointId": endpoint_id,
        "namespace": namespace,
        "name": name,
        **extra,
    }


async def first_light(admin: Admin, linked: Linked) -> str:
    view = await endpoints_after_link(admin, linked)
    endpoint_id: str = view["endpoints"][0]["endpointId"]
    return endpoint_id


async def test_link_discover_accept_grant_turn_on_report_state_change_report(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights)

    view = await endpoints_after_link(admin, linked)
    assert view["discovery"]["status"] == "SUCCEEDED", view["discovery"]
    assert view["acceptGrant"]["status"] == "SUCCEEDED", view["acceptGrant"]
    lights = {light.id: light for light in mylights.cloud.lights("demo")}
    assert {e["endpointId"] for e in view["endpoints"]} == set(lights)
    assert all(e["displayCategories"] == ["LIGHT"] for e in view["endpoints"])
    # The skill exchanged the grant code at localexa's LWA for the customer's event token.
    event_tokens = mylights.cloud.event_tokens("demo")
    assert event_tokens is not None
    assert event_tokens.access_token.startswith("Atza|")

    light_id = view["endpoints"][0]["endpointId"]
    turned = await send(admin, directive(linked, light_id, "Alexa.PowerController", "TurnOn"))
    assert turned.status_code == 200, turned.text
    result = turned.json()
    assert result["verdict"] == {"valid": True, "problems": [], "name": "Alexa.Response", "errorType": None}
    assert (
        result["response"]["event"]["header"]["correlationToken"]
        == (result["directive"]["directive"]["header"]["correlationToken"])
    )
    sent_scope = result["directive"]["directive"]["endpoint"]["scope"]
    assert sent_scope["type"] == "BearerToken"
    assert "mla." not in str(sent_scope)  # the linked token is never echoed back
    assert mylights.cloud.light("demo", light_id).power == "ON"

    reported = await send(admin, directive(linked, light_id, "Alexa", "ReportState"))
    report = reported.json()
    assert report["verdict"]["valid"] is True, report["verdict"]
    assert report["verdict"]["name"] == "Alexa.StateReport"
    powers = [p for p in report["response"]["context"]["properties"] if p["name"] == "powerState"]
    assert powers[0]["value"] == "ON"

    # The customer dims the light in the My Lights app: My Lights sends a ChangeReport.
    own_token = mylights.cloud.oauth.mint("demo").access_token
    async with httpx.AsyncClient(base_url=mylights.url) as app:
        changed = await app.put(
            f"/lights/{light_id}", json={"brightness": 17}, headers={"Authorization": f"Bearer {own_token}"}
        )
    assert changed.status_code == 200, changed.text
    await eventually(lambda: any(e.endpoint_id == light_id for e in mylights.cloud.sent_events))
    sent = [e for e in mylights.cloud.sent_events if e.endpoint_id == light_id]
    assert sent[-1].status == 202, sent

    view = await endpoints_after_link(admin, linked)
    state = next(e for e in view["endpoints"] if e["endpointId"] == light_id)["state"]
    assert state[BRIGHTNESS]["value"] == 17
    assert state[POWER]["value"] == "ON"

    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()["messages"]
    names = [(m["direction"], m["name"]) for m in reversed(messages)]
    assert names[:4] == [
        ("directive", "Discover"),
        ("response", "Discover.Response"),
        ("directive", "AcceptGrant"),
        ("response", "AcceptGrant.Response"),
    ]
    assert ("event", "ChangeReport") in names
    # Nothing secret is stored: no linked token, no grant code.
    grant = next(m for m in messages if m["name"] == "AcceptGrant")["body"]["directive"]["payload"]
    assert grant["grant"]["code"] == "[redacted]"
    assert grant["grantee"]["token"] == "[redacted]"


async def test_expired_by_localexa_clock_refreshes_at_the_skill_token_url(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights, permissions=[])
    light_id = await first_light(admin, linked)
    assert mylights.token_requests.grant_types() == ["authorization_code"]

    await admin.advance_clock(3601)
    answer = (await send(admin, directive(linked, light_id, "Alexa.PowerController", "TurnOn"))).json()

    assert mylights.token_requests.grant_types() == ["authorization_code", "refresh_token"]
    assert answer["verdict"]["valid"] is True, answer
    assert answer["attempts"] == 1
    assert mylights.cloud.light("demo", light_id).power == "ON"


async def test_expired_authorization_credential_refreshes_and_retries_once(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights, permissions=[])
    light_id = await first_light(admin, linked)
    mylights.cloud.oauth.expire(user="demo")  # the device cloud ends the token early

    answer = (
        await send(
            admin,
            directive(
                linked, light_id, "Alexa.BrightnessController", "SetBrightness", payload={"brightness": 42}
            ),
        )
    ).json()

    assert answer["attempts"] == 2
    assert answer["verdict"]["valid"] is True, answer
    assert "EXPIRED_AUTHORIZATION_CREDENTIAL" in answer["notes"][0]
    assert mylights.token_requests.grant_types()[-1] == "refresh_token"
    assert mylights.cloud.light("demo", light_id).brightness == 42
    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()["messages"]
    errors = [m["verdict"]["errorType"] for m in messages if m["direction"] == "response"]
    assert errors[:2] == [None, "EXPIRED_AUTHORIZATION_CREDENTIAL"]


async def test_invalid_authorization_credential_marks_the_link(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(admin, client, mylights, permissions=[])
    light_id = await first_light(admin, linked)
    mylights.cloud.oauth.revoke(user="demo")  # the customer closed their My Lights account

    answer = (await send(admin, directive(linked, light_id, "Alexa.PowerController", "TurnOff"))).json()

    assert answer["verdict"]["errorType"] == "INVALID_AUTHORIZATION_CREDENTIAL"
    assert answer["verdict"]["valid"] is True  # a well-formed ErrorResponse is a valid answer
    assert "NEEDS_RELINK" in answer["notes"][-1]
    token = await admin.access_token(linked.user_id, ["alexa::skills:account_linking"])
    status = await client.get(
        f"/v1/users/~current/skills/{linked.skill_id}/enablement",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status.json()["accountLink"]["status"] == "NEEDS_RELINK"

    again = await send(admin, directive(linked, light_id, "Alexa.PowerController", "TurnOff"))
    assert again.status_code == 400
    assert "link" in again.json()["message"]
