"""A skill endpoint the skill routes take but the outbound client cannot call fails at the
directive as `UNREACHABLE` ("… is not a valid URL"), without a connection attempt: an IPvFuture
literal, a DEL in the host, and (since 2026-12-06; it was a 500, and the after-link follow-up
ended on an internal error) an IDNA host that does not decode."""

from __future__ import annotations

import httpx
import pytest

from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin


@pytest.mark.parametrize(
    "endpoint",
    [
        pytest.param("http://xn--/skill", id="idna-host"),
        pytest.param("http://[v1.x]/skill", id="ipvfuture"),
        pytest.param("http://a\x7f/skill", id="del-in-host"),
    ],
)
async def test_an_endpoint_the_client_cannot_call_is_unreachable(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, endpoint: str
) -> None:
    linked = await link_customer(admin, client, mylights, endpoint=endpoint)
    view = await endpoints_after_link(admin, linked)
    answer = await send(
        admin,
        {
            "userId": linked.user_id,
            "skillId": linked.skill_id,
            "endpointId": "light-1",
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        },
    )

    assert view["discovery"]["status"] == "FAILED"
    assert view["discovery"]["message"].endswith("/skill is not a valid URL"), view["discovery"]
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"]["type"] == "UNREACHABLE"
    assert answer.json()["error"]["message"].endswith("/skill is not a valid URL")


async def test_a_token_url_the_client_cannot_call_refuses_the_link(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linking = {**mylights.account_linking(), "accessTokenUrl": "http://xn--/token"}
    skill = await admin.skill(endpoint=f"{mylights.url}/skill", account_linking=linking)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["alexa::skills:account_linking"])
    body = {
        "stage": "development",
        "accountLinkRequest": {
            "redirectUri": "https://app.example.com/alexa",
            "authCode": mylights.auth_code(),
            "type": "AUTH_CODE",
        },
    }
    answer = await client.post(
        f"/v1/users/~current/skills/{skill.skill_id}/enablement",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"message": "Invalid account linking credentials"}
