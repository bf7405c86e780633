"""The SDK's enablement, customer enablement (with region discovery) and credentials resources
against the real app; the skill's OAuth token endpoint is a real server on 127.0.0.1."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from localexa.client import AsyncClient, Client, NotFoundError, PermissionDeniedError
from localexa.client.types import AccountLinking
from tests.client.contract import developer, email, in_thread, world
from tests.enablement.token_server import CLIENT_ID, CLIENT_SECRET, ServerThread, TokenServer, build_app

REDIRECT = "https://app.example.com/alexa"
LINKING = "alexa::skills:account_linking"


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    server = TokenServer(base_url="")
    thread = ServerThread(build_app(server))
    server.base_url = f"http://127.0.0.1:{thread.port}"
    thread.start()
    yield server
    thread.stop()


async def test_developer_enablement_of_one_stage_at_a_time(sdk: AsyncClient, sync_sdk: Client) -> None:
    w = await world(sdk, stages=["development", "live"])
    dev = sdk.with_options(auth=w.developer.token)
    skill_id = w.skill.skill_id
    assert await dev.enablement.is_enabled(skill_id) is False
    with pytest.raises(NotFoundError):
        await dev.enablement.get(skill_id)
    await dev.enablement.enable(skill_id, "development")
    await dev.enablement.get(skill_id, "development")
    await in_thread(lambda: sync_sdk.with_options(auth=w.developer.token).enablement.enable(skill_id, "live"))
    assert await dev.enablement.is_enabled(skill_id, "live") is True
    assert await dev.enablement.is_enabled(skill_id, "development") is False  # the other stage went off
    await dev.enablement.disable(skill_id, "live")
    assert await dev.enablement.is_enabled(skill_id, "live") is False


async def test_skill_credentials(sdk: AsyncClient) -> None:
    w = await world(sdk)
    dev = sdk.with_options(auth=w.developer.token)
    creds = await dev.credentials.get(w.skill.skill_id)
    assert creds.skill_messaging_credentials == w.skill.skill_messaging_credentials
    with pytest.raises(NotFoundError) as caught:
        await dev.credentials.get("amzn1.ask.skill.unknown")
    assert caught.value.code
    assert caught.value.request_id


async def test_customer_links_through_the_discovered_region(
    sdk: AsyncClient, sync_sdk: Client, token_server: TokenServer
) -> None:
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(
        vendor_id=dev.vendor_id,
        name="My Lights",
        endpoint="http://127.0.0.1:9/skill",
        account_linking=AccountLinking(
            authorization_url="http://127.0.0.1:9/authorize",
            access_token_url=token_server.url("ok"),
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_urls=[REDIRECT],
        ),
    )
    eve = await sdk.admin.customers.create(name="Eve", email=email(), password="pw", region="EU")
    app_client = await sdk.admin.lwa_clients.create(name="App", redirect_uris=[REDIRECT])
    token = (
        await sdk.admin.tokens.create(client_id=app_client.client_id, user_id=eve.user_id, scopes=[LINKING])
    ).access_token
    skill_id, code = skill.skill_id, f"code-{secrets.token_hex(4)}"

    assert await sdk.customer_enablement.api_endpoints(token=token) == ["127.0.0.1:8081"]
    linked = await sdk.customer_enablement.enable_and_link(
        skill_id, auth_code=code, redirect_uri=REDIRECT, token=token
    )
    assert (linked.status, linked.skill.id, linked.skill.stage) == ("ENABLED", skill_id, "development")
    assert linked.account_link is not None
    assert linked.account_link.status == "LINKED"
    (exchange,) = token_server.calls_with("code", code)
    assert exchange.form["redirect_uri"] == REDIRECT

    status = await in_thread(lambda: sync_sdk.customer_enablement.get(skill_id, token=token))
    assert status.user.id == linked.user.id
    with pytest.raises(PermissionDeniedError, match="EU"):  # NA is not Eve's region
        await sdk.customer_enablement.get(skill_id, token=token, endpoint="127.0.0.1:8080")

    await sdk.customer_enablement.disable(skill_id, token=token)
    with pytest.raises(NotFoundError):
        await sdk.customer_enablement.get(skill_id, token=token)
