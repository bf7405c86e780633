"""Where a token of a skill's Alexa client counts, and where it does not.

- Skill Enablement: it is "specific to the customer and to your skill" (Amazon's reference), so on
  another skill it is 403, as a messaging client's token already was. A token of an app's own
  client (no skill) stays good for every skill: localexa's leniency, kept for the tokens suites
  mint with POST /_localexa/tokens.
- It is no token of the skill itself: the event gateway, the Credential Locker, the
  client_credentials grant and Skill Credentials refuse it as they refuse an app's client.
"""

from __future__ import annotations

import httpx
import pytest

from localexa.skill import change_report
from localexa.skill.properties import power_state
from tests.credential_locker.conftest import PATH as LOCKER_PATH
from tests.credential_locker.conftest import network
from tests.enablement.alexa_client import alexa_skill, alexa_token
from tests.enablement.helpers import ACCOUNT_LINKING, bearer, customer_token, enablement_path, link, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

FOREIGN = "The access token was issued for another skill."
ASYNC_EVENTS = "alexa::async_event:write"
THREAD = "alexa::thread_network_credentials:read"


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_the_alexa_client_token_of_another_skill_is_403(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, method: str
) -> None:
    mine = await alexa_skill(admin, token_server)
    theirs = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    # Enabled and linked with the skill's own Alexa client: GET and DELETE would find it.
    own = await alexa_token(admin, mine, customer)
    assert (await link(client, own, mine.skill_id)).status_code == 201

    foreign = await alexa_token(admin, theirs, customer)
    code = new_code()
    if method == "POST":
        response = await link(client, foreign, mine.skill_id, code)
    else:
        response = await client.request(method, enablement_path(mine.skill_id), headers=bearer(foreign))
    assert response.status_code == 403, response.text
    assert response.json() == {"message": FOREIGN}
    assert token_server.calls_with("code", code) == []

    # Nothing changed: the skill is still enabled and linked, and its own token still reads it.
    status = await client.get(enablement_path(mine.skill_id), headers=bearer(own))
    assert status.status_code == 200, status.text
    assert status.json()["accountLink"] == {"status": "LINKED"}
    # The other skill's token is good for the other skill.
    assert (await link(client, foreign, theirs.skill_id)).status_code == 201


async def test_an_app_clients_token_still_links_any_skill(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """localexa's leniency (Amazon wants the skill's Alexa client): suites mint these tokens."""
    first = await alexa_skill(admin, token_server)
    second = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    token = await customer_token(admin, customer)  # a fresh app client's token
    for alexa in (first, second):
        assert (await link(client, token, alexa.skill_id)).status_code == 201
        assert (
            await client.delete(enablement_path(alexa.skill_id), headers=bearer(token))
        ).status_code == 200


async def test_an_alexa_client_token_is_no_skill_token(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """The skill is enabled for the customer and holds both permissions: its messaging client's
    token sends the event and reads the Credential Locker; the Alexa client's is refused."""
    alexa = await alexa_skill(admin, token_server, permissions=[ASYNC_EVENTS, THREAD])
    customer = await admin.customer()
    token = await alexa_token(admin, alexa, customer)
    assert (await link(client, token, alexa.skill_id)).status_code == 201
    messaging = (await admin.tokens(alexa.skill.messaging_client_id, customer.user_id, [ASYNC_EVENTS]))[
        "access_token"
    ]

    async def send_event(bearer_token: str) -> httpx.Response:
        event = change_report("light-1", [power_state(True)], token=bearer_token)
        return await client.post("/v3/events", json=event, headers=bearer(bearer_token))

    refused = await send_event(token)
    assert refused.status_code == 403, refused.text
    assert refused.json()["payload"]["code"] == "INSUFFICIENT_PERMISSION_EXCEPTION"
    assert (await send_event(messaging)).status_code == 202

    put = await client.put(LOCKER_PATH, json={"threadNetwork": network()}, headers=bearer(token))
    get = await client.get(LOCKER_PATH, params={"extendedPanId": "dead00beef00cafe"}, headers=bearer(token))
    for response in (put, get):
        assert response.status_code == 403, response.text
        assert "messaging client" in response.json()["message"]
    locker = await client.get(
        LOCKER_PATH, params={"extendedPanId": "dead00beef00cafe"}, headers=bearer(messaging)
    )
    assert locker.status_code == 200, locker.text

    # No client_credentials grant: that is the messaging client's (skill messaging).
    grant = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": alexa.client_id,
            "client_secret": alexa.client_secret,
        },
    )
    assert grant.status_code == 400, grant.text
    assert grant.json()["error"] == "unauthorized_client"

    # Skill Credentials shows the messaging client, never the Alexa client, and takes no such token.
    developer = await admin.tokens(alexa.client_id, alexa.skill.developer.user_id, [ACCOUNT_LINKING])
    credentials = f"/v1/skills/{alexa.skill_id}/credentials"
    assert (await client.get(credentials, headers=bearer(developer["access_token"]))).status_code == 403
    smapi = await admin.access_token(alexa.skill.developer.user_id, ["alexa::ask:skills:readwrite"])
    shown = (await client.get(credentials, headers=bearer(smapi))).json()
    assert shown["skillMessagingCredentials"]["clientId"] == alexa.skill.messaging_client_id
    assert alexa.client_id not in str(shown)
