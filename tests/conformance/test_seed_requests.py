"""Each seed page's example request, sent as printed (method, path, `Host`, `Content-Type:
application/json` even without a body, `Accept`), gets the success the page documents, with the
body the page shows. Only placeholder values are replaced: ids this server minted, and hex
Thread fields for "extended.pan.id.1" and the like."""

from __future__ import annotations

import json

import httpx

from tests.enablement.helpers import ACCOUNT_LINKING, READWRITE, REDIRECT, linked_skill, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

THREAD = "alexa::thread_network_credentials:read"
ALEXA = "api.amazonalexa.com"
LOCKER = "credential-locker-service.amazon.com"


def seed_headers(host: str, token: str, *, accept: bool = True) -> dict[str, str]:
    headers = {"Host": host, "Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if accept:
        headers["Accept"] = "application/json"
    return headers


async def test_skill_enablement_and_credentials_seed_requests(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    dev = seed_headers(ALEXA, developer, accept=False)
    owner = f"/v1/skills/{skill.skill_id}/stages/live/enablement"

    # Enable skill / Get skill enablement status / Disable skill (developer): 204, no body
    for method in ("PUT", "GET", "DELETE"):
        answer = await client.request(method, owner, headers=dev)
        assert (answer.status_code, answer.content) == (204, b""), (method, answer.text)

    # Get skill credentials: 200 {"skillMessagingCredentials": {"clientId", "clientSecret"}}
    credentials = await client.get(
        f"/v1/skills/{skill.skill_id}/credentials", headers=seed_headers(ALEXA, developer)
    )
    assert credentials.status_code == 200, credentials.text
    assert credentials.json() == {
        "skillMessagingCredentials": {
            "clientId": skill.messaging_client_id,
            "clientSecret": skill.messaging_client_secret,
        }
    }

    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    cust = seed_headers(ALEXA, token, accept=False)
    # Get API endpoint: 200 {"endpoints": ["api.amazonalexa.com"]}
    endpoints = await client.get("/v1/alexaApiEndpoint", headers=seed_headers(ALEXA, token))
    assert endpoints.status_code == 200
    assert endpoints.json() == {"endpoints": [ALEXA]}

    # Enable skill and account link: 201 with the status body
    path = f"/v1/users/~current/skills/{skill.skill_id}/enablement"
    request = {
        "stage": "live",
        "accountLinkRequest": {"redirectUri": REDIRECT, "authCode": new_code(), "type": "AUTH_CODE"},
    }
    linked = await client.post(path, content=json.dumps(request), headers=cust)
    assert linked.status_code == 201, linked.text
    body = linked.json()
    assert list(body) == ["skill", "user", "accountLink", "status"]  # the seed's order
    assert body["skill"] == {"id": skill.skill_id, "stage": "live"}
    assert set(body["user"]) == {"id"}
    assert body["user"]["id"].startswith("amzn1.ask.account.")
    assert body["accountLink"] == {"status": "LINKED"}
    assert body["status"] == "ENABLED"

    # Get account linking and skill status: 200, the same body
    status = await client.get(path, headers=cust)
    assert (status.status_code, status.json()) == (200, body)
    # Disable skill and unlink account: 200 OK, "The response has no body"
    unlinked = await client.delete(path, headers=cust)
    assert (unlinked.status_code, unlinked.content) == (200, b"")
    assert (await client.get(path, headers=cust)).status_code == 404


async def test_credential_locker_seed_requests(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill(permissions=[THREAD])
    customer = await admin.customer()
    token = (await admin.tokens(skill.messaging_client_id, customer.user_id, ["alexa::async_event:write"]))[
        "access_token"
    ]
    headers = seed_headers(LOCKER, token)
    # The seed's Create body, every field, hex in place of its placeholders.
    network: dict[str, str | int] = {
        "extendedPanId": "dead00beef00cafe",
        "networkName": "MyThreadNetwork",
        "networkKey": "00112233445566778899aabbccddeeff",
        "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
        "panId": "1234",
        "channelNumber": 16,
        "defaultBorderAgentId": "0123456789abcdef0123456789abcdef",
    }
    created = await client.put(
        "/credentiallocker/v2/threadNetworks", content=json.dumps({"threadNetwork": network}), headers=headers
    )
    assert (created.status_code, created.content) == (200, b""), created.text
    again = await client.put(
        "/credentiallocker/v2/threadNetworks", content=json.dumps({"threadNetwork": network}), headers=headers
    )
    assert again.status_code == 409  # "Thread network already exists."
    found = await client.get(
        "/credentiallocker/v2/threadNetworks",
        params={"extendedPanId": network["extendedPanId"], "networkName": "MyThreadNetwork", "maxResults": 1},
        headers=headers,
    )
    assert found.status_code == 200, found.text
    assert found.json() == {"threadNetworks": [network]}  # the last page: no nextToken
