"""The SDK's LWA helpers against the real LWA of localexa: the PKCE authorization URL through the
sign-in page, the grants, tokeninfo, profile, and LwaTokenAuth across a time jump."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from localexa.client import AsyncClient, BadRequestError, Client
from tests.client.contract import BASE, developer, email, in_thread, world
from tests.lwa.browser import Browser, redirect_params

REDIRECT = "https://app.example.com/cb"


async def test_pkce_code_flow_from_the_authorization_url(sdk: AsyncClient, app: FastAPI) -> None:
    ada = await sdk.admin.customers.create(name="Ada", email=email(), password="pw")
    app_client = await sdk.admin.lwa_clients.create(name="App", redirect_uris=[REDIRECT])
    request = sdk.lwa.authorization_url(
        client_id=app_client.client_id,
        scope=["profile", "alexa::skills:account_linking"],
        redirect_uri=REDIRECT,
    )
    async with Browser(app) as browser:
        answer = await browser.authorize(request.url, email=ada.email or "", password="pw")
    params = redirect_params(answer)
    assert params["state"] == request.state
    with pytest.raises(BadRequestError) as wrong:  # the server checks the S256 challenge
        await sdk.lwa.exchange_code(
            params["code"],
            redirect_uri=REDIRECT,
            client_id=app_client.client_id,
            client_secret=app_client.client_secret,
            code_verifier="x" * 64,
        )
    assert wrong.value.code == "invalid_grant"

    async with Browser(app) as browser:
        answer = await browser.authorize(request.url, email=ada.email or "", password="pw")
    token = await sdk.lwa.exchange_code(
        redirect_params(answer)["code"],
        redirect_uri=REDIRECT,
        client_id=app_client.client_id,
        client_secret=app_client.client_secret,
        code_verifier=request.code_verifier,
    )
    assert token.access_token.startswith("Atza|")
    profile = await sdk.lwa.profile(token.access_token)
    assert (profile.user_id, profile.name) == (ada.user_id, "Ada")
    info = await sdk.lwa.token_info(token.access_token)
    assert info.aud == app_client.client_id


async def test_refresh_and_client_credentials(sdk: AsyncClient, sync_sdk: Client) -> None:
    ada = await sdk.admin.customers.create(name="Ada", email=email(), password="pw")
    app_client = await sdk.admin.lwa_clients.create(name="App", redirect_uris=[REDIRECT])
    pair = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=ada.user_id, scopes=["profile"]
    )
    assert pair.refresh_token is not None
    refresh_token = pair.refresh_token
    fresh = await in_thread(
        lambda: sync_sdk.lwa.refresh(
            refresh_token, client_id=app_client.client_id, client_secret=app_client.client_secret
        )
    )
    assert fresh.access_token != pair.access_token
    assert (await sdk.lwa.token_info(fresh.access_token)).aud == app_client.client_id

    skill = (await world(sdk)).skill
    creds = skill.skill_messaging_credentials
    messaging = await sdk.lwa.client_credentials(
        scope="alexa:skill_messaging", client_id=creds.client_id, client_secret=creds.client_secret
    )
    assert messaging.refresh_token is None
    assert (await sdk.lwa.token_info(messaging.access_token)).aud == creds.client_id


async def test_token_auth_refreshes_after_the_server_clock_jumps(sdk: AsyncClient, sync_sdk: Client) -> None:
    """The developer's token expires on the server (time travel) while the SDK's clock says it is
    fresh: the 401 makes LwaTokenAuth refresh once at the real /auth/o2/token and resend."""
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(vendor_id=dev.vendor_id, name="S", endpoint="http://127.0.0.1:9/s")
    app_client = await sdk.admin.lwa_clients.create(name="Console", redirect_uris=[REDIRECT])
    pair = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=dev.user_id, scopes=["alexa::ask:skills:readwrite"]
    )
    auth = sdk.lwa.token_auth(
        client_id=app_client.client_id, client_secret=app_client.client_secret, token=pair
    )
    developer_sdk = sdk.with_options(auth=auth)
    assert (await developer_sdk.credentials.get(skill.skill_id)).skill_messaging_credentials.client_id
    await sdk.admin.clock.advance(3700)
    await developer_sdk.credentials.get(skill.skill_id)
    assert auth.refresh_count == 1
    assert auth.access_token != pair.access_token
    # The blocking client shares the auth and its fresh token.
    await in_thread(lambda: sync_sdk.with_options(auth=auth).enablement.enable(skill.skill_id))
    assert auth.refresh_count == 1


async def test_a_public_pkce_client_keeps_its_refresh_token_and_refreshes_without_a_secret(
    sdk: AsyncClient, app: FastAPI
) -> None:
    """The AVS companion app flow: the code is exchanged with the verifier and no secret, and
    LwaTokenAuth refreshes with client_id alone once the server's clock has run past the hour."""
    ada = await sdk.admin.customers.create(name="Ada", email=email(), password="pw")
    app_client = await sdk.admin.lwa_clients.create(name="Device", redirect_uris=[REDIRECT])
    request = sdk.lwa.authorization_url(
        client_id=app_client.client_id, scope="profile", redirect_uri=REDIRECT
    )
    async with Browser(app) as browser:
        answer = await browser.authorize(request.url, email=ada.email or "", password="pw")
    token = await sdk.lwa.exchange_code(
        redirect_params(answer)["code"],
        redirect_uri=REDIRECT,
        client_id=app_client.client_id,
        code_verifier=request.code_verifier,
    )
    assert token.refresh_token is not None
    assert token.refresh_token.startswith("Atzr|")
    refreshed: list[str] = []
    auth = sdk.lwa.token_auth(
        client_id=app_client.client_id, token=token, on_refresh=lambda t: refreshed.append(t.access_token)
    )
    await sdk.admin.clock.advance(3700)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, auth=auth) as device:
        response = await device.get("/user/profile")
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == ada.user_id
    assert auth.refresh_count == 1
    assert auth.access_token == refreshed[0] != token.access_token
    again = await sdk.lwa.refresh(token.refresh_token, client_id=app_client.client_id)
    assert again.refresh_token == token.refresh_token
