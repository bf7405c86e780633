"""App-to-app account linking through the skill's own Alexa client (spec §5; Amazon's app-to-app
guide: the app sends the customer to LWA with the skill's "Alexa Client Id", scope
`alexa::skills:account_linking` and one of the skill's redirect URLs, exchanges the code with the
"Alexa Client Secret", then enables and links the skill with the customer's token).

Also: /ap/oa takes only the skill's redirectUrls, follows an SMAPI change of them, and grants this
client no other scope (nor does POST /_localexa/tokens).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.enablement.alexa_client import alexa_authorize_url, alexa_skill, exchange
from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    REDIRECT,
    account_linking,
    bearer,
    developer_token,
    enablement_path,
    link,
    new_code,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.lwa.browser import Browser, form_for, parse_forms, pkce_pair

OTHER_REDIRECT = "https://app.example.com/other"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as b:
        yield b


def _query(response: httpx.Response) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


async def test_the_app_links_the_skill_with_a_token_of_its_alexa_client(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, token_server: TokenServer
) -> None:
    """Sign-in and consent pages with PKCE, the code exchanged with the Alexa client's secret, and
    that token enables and links the skill (the skill's own token URL exchanges the app's code)."""
    alexa = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    verifier, challenge = pkce_pair()
    url = alexa_authorize_url(alexa.client_id, code_challenge=challenge, code_challenge_method="S256")

    signin = await browser.get(url)
    assert signin.status_code == 200, signin.text
    assert "My Lights (Alexa)" in signin.text  # the skill's name, on the page the customer reads
    consent = await browser.submit(
        signin, "signin", fill={"email": customer.email, "password": customer.password}
    )
    assert consent.status_code == 200, consent.text
    assert "Enable Alexa skills and link them to your accounts" in consent.text
    answer = await browser.submit(consent, "consent", button="allow")
    assert answer.status_code == 302
    assert answer.headers["location"].startswith(REDIRECT + "?")
    granted = _query(answer)
    assert granted["state"] == "app-state"
    assert granted["scope"] == ACCOUNT_LINKING

    assert (await exchange(client, alexa, granted["code"], "wrong-" + verifier)).status_code == 400
    # A failed verifier does not use the code up: the right one still exchanges it.
    tokens = await exchange(client, alexa, granted["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    pair = tokens.json()
    assert pair["access_token"].startswith("Atza|")
    assert pair["refresh_token"].startswith("Atzr|")
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": pair["access_token"]})
    assert info.json()["aud"] == alexa.client_id

    endpoints = await client.get("/v1/alexaApiEndpoint", headers=bearer(pair["access_token"]))
    assert endpoints.status_code == 200, endpoints.text
    code = new_code()
    linked = await link(client, pair["access_token"], alexa.skill_id, code)
    assert linked.status_code == 201, linked.text
    assert linked.json()["accountLink"] == {"status": "LINKED"}
    assert [call.form["redirect_uri"] for call in token_server.calls_with("code", code)] == [REDIRECT]
    status = await client.get(enablement_path(alexa.skill_id), headers=bearer(pair["access_token"]))
    assert status.status_code == 200, status.text
    assert status.json()["accountLink"] == {"status": "LINKED"}


async def test_a_redirect_uri_outside_the_skills_redirect_urls_is_the_error_page(
    admin: Admin, browser: Browser, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    for uri in ("https://app.example.com/cb", "https://evil.example.com/alexa", REDIRECT + "/"):
        page = await browser.get(alexa_authorize_url(alexa.client_id, redirect_uri=uri))
        assert page.status_code == 400, uri
        assert "location" not in page.headers
        assert "not registered" in page.text
    assert (await browser.get(alexa_authorize_url(alexa.client_id))).status_code == 200

    # A skill without account linking has no redirect URL: its Alexa client sends no one back.
    unlinked = await alexa_skill(admin, None)
    page = await browser.get(alexa_authorize_url(unlinked.client_id))
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_the_account_linking_config_decides_which_redirect_uri_ap_oa_takes(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, token_server: TokenServer
) -> None:
    """SMAPI PUT sets the Alexa client's redirect URIs to the new redirectUrls; DELETE empties them."""
    alexa = await alexa_skill(admin, token_server)
    token = await developer_token(admin, alexa.skill)
    path = f"/v1/skills/{alexa.skill_id}/stages/development/accountLinkingClient"
    payload = account_linking(token_server, redirectUrls=[OTHER_REDIRECT])
    put = await client.put(path, json={"accountLinkingRequest": payload}, headers=bearer(token))
    assert put.status_code == 204, put.text

    before = await browser.get(alexa_authorize_url(alexa.client_id, redirect_uri=REDIRECT))
    assert before.status_code == 400
    assert "location" not in before.headers
    after = await browser.get(alexa_authorize_url(alexa.client_id, redirect_uri=OTHER_REDIRECT))
    assert after.status_code == 200, after.text
    assert form_for(after.text, "signin")

    deleted = await client.delete(path, headers=bearer(token))
    assert deleted.status_code == 204, deleted.text
    gone = await browser.get(alexa_authorize_url(alexa.client_id, redirect_uri=OTHER_REDIRECT))
    assert gone.status_code == 400
    assert "location" not in gone.headers

    # Configured again: the new redirect URL works at once.
    again = await client.put(
        path,
        json={"accountLinkingRequest": account_linking(token_server, redirectUrls=[REDIRECT])},
        headers=bearer(token),
    )
    assert again.status_code == 204, again.text
    assert (await browser.get(alexa_authorize_url(alexa.client_id))).status_code == 200


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param("profile", id="profile"),
        pytest.param(f"{ACCOUNT_LINKING} profile", id="with-profile"),
        pytest.param(f"postal_code {ACCOUNT_LINKING}", id="postal-code-first"),
        pytest.param("alexa::ask:skills:readwrite", id="smapi"),
    ],
)
async def test_another_scope_is_invalid_scope(
    admin: Admin, browser: Browser, token_server: TokenServer, scope: str
) -> None:
    alexa = await alexa_skill(admin, token_server)
    response = await browser.get(alexa_authorize_url(alexa.client_id, scope=scope, state="keep"))
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT + "?")
    answer = _query(response)
    assert answer["error"] == "invalid_scope"
    assert ACCOUNT_LINKING in answer["error_description"]
    assert answer["state"] == "keep"
    assert "code" not in answer


async def test_the_signed_in_consent_page_grants_the_scope_alone(
    admin: Admin, browser: Browser, token_server: TokenServer
) -> None:
    """A customer already signed in (an earlier /ap/oa of another app) goes straight to consent."""
    alexa = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    app_id, _ = await admin.lwa_client()
    await browser.code_for(app_id, customer.email, customer.password)
    page = await browser.get(alexa_authorize_url(alexa.client_id))
    assert "signin" not in [f.value("action") for f in parse_forms(page.text)[1]]
    answer = await browser.submit(page, "consent", button="allow")
    assert _query(answer)["scope"] == ACCOUNT_LINKING


async def test_admin_tokens_grant_an_alexa_client_only_the_account_linking_scope(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    headers = {"X-Localexa-Admin-Key": admin.headers["X-Localexa-Admin-Key"]}
    for scopes in (["profile"], [ACCOUNT_LINKING, "alexa::async_event:write"], ["alexa:skill_messaging"]):
        body = {"clientId": alexa.client_id, "userId": customer.user_id, "scopes": scopes}
        refused = await client.post("/_localexa/tokens", json=body, headers=headers)
        assert refused.status_code == 400, (scopes, refused.text)
        assert set(refused.json()) == {"message"}
        assert ACCOUNT_LINKING in refused.json()["message"]
    body = {"clientId": alexa.client_id, "userId": customer.user_id, "scopes": [ACCOUNT_LINKING]}
    granted = await client.post("/_localexa/tokens", json=body, headers=headers)
    assert granted.status_code == 201, granted.text
    # The messaging client and an app's client keep minting `profile` (tests and suites do); the
    # messaging client no SMAPI scope (tests/admin/test_tokens_scopes.py).
    for client_id in (alexa.skill.messaging_client_id, (await admin.lwa_client())[0]):
        body = {"clientId": client_id, "userId": customer.user_id, "scopes": ["profile"]}
        assert (await client.post("/_localexa/tokens", json=body, headers=headers)).status_code == 201
