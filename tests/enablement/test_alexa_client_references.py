"""What the skill's Alexa client may be given and pointed at (QA of 2026-12-05): its redirect URIs
are held to any LWA client's rules, a restore cannot point a skill at another client, and a
skill's messaging client is never given the customer's account-linking scope."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.enablement.alexa_client import alexa_skill
from tests.enablement.helpers import ACCOUNT_LINKING, REDIRECT, account_linking, bearer, developer_token
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}

#: A fragment (the code would land inside it), no scheme (back to localexa itself), a script URL,
#: nothing at all, and (QA of the same evening) a relative path holding `://`, a script URL with
#: `//`, a leading space: each refused by `POST /_localexa/lwa-clients` too.
BAD_REDIRECTS = [
    "https://app.example.com/cb#frag",
    "/relative",
    "javascript:alert(1)",
    "",
    "/x://y",
    "javascript://%0Aalert(document.domain)",
    " https://app.example.com/cb",
]


@pytest.mark.parametrize("bad", BAD_REDIRECTS)
async def test_skill_redirect_urls_are_held_to_a_clients_rules(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, bad: str
) -> None:
    developer = await admin.customer(name="Dev")
    vendor_id = await admin.vendor(developer)
    linking = account_linking(token_server, redirectUrls=[REDIRECT, bad])
    body = {
        "vendorId": vendor_id,
        "name": "W",
        "endpoint": "http://127.0.0.1:9/skill",
        "accountLinking": linking,
    }
    created = await client.post("/_localexa/skills", json=body, headers=KEY)
    assert created.status_code == 400, created.text
    assert "accountLinking.redirectUrls entry" in created.json()["message"]
    assert (await client.get("/_localexa/skills", headers=KEY)).json() == []

    # The SMAPI PUT of the configuration: its own 400, and the client's URIs unchanged.
    alexa = await alexa_skill(admin, token_server, developer=developer)
    token = await developer_token(admin, alexa.skill)
    path = f"/v1/skills/{alexa.skill_id}/stages/development/accountLinkingClient"
    put = await client.put(path, json={"accountLinkingRequest": linking}, headers=bearer(token))
    assert put.status_code == 400, put.text
    assert put.json()["code"]
    clients = {c["clientId"]: c for c in (await client.get("/_localexa/lwa-clients", headers=KEY)).json()}
    assert clients[alexa.client_id]["redirectUris"] == [REDIRECT]


async def _restore(client: httpx.AsyncClient, document: dict[str, Any]) -> httpx.Response:
    return await client.post("/_localexa/restore", headers=KEY, content=json.dumps(document))


async def test_restore_refuses_a_skill_pointed_at_no_alexa_client(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    snapshot = (await client.post("/_localexa/snapshot", headers=KEY)).json()
    for wrong in ("amzn1.application-oa2-client.nonexistent", alexa.skill.messaging_client_id):
        edited = copy.deepcopy(snapshot)
        edited["tables"]["skills"][0]["alexa_client_id"] = wrong
        refused = await _restore(client, edited)
        assert refused.status_code == 400, refused.text
        assert "tables.skills[0].alexa_client_id" in refused.json()["message"]
        # Nothing changed: the skill still names its own client.
        view = (await client.get(f"/_localexa/skills/{alexa.skill_id}", headers=KEY)).json()
        assert view["alexaClientId"] == alexa.client_id
    assert (await _restore(client, snapshot)).status_code == 200


async def test_a_messaging_client_is_never_given_the_account_linking_scope(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    body = {
        "clientId": alexa.skill.messaging_client_id,
        "userId": customer.user_id,
        "scopes": [ACCOUNT_LINKING],
    }
    refused = await client.post("/_localexa/tokens", json=body, headers=KEY)
    assert refused.status_code == 400, refused.text
    assert "messaging client" in refused.json()["message"]
    # The scope its AcceptGrant token carries is still minted.
    body["scopes"] = ["alexa::async_event:write"]
    assert (await client.post("/_localexa/tokens", json=body, headers=KEY)).status_code == 201
