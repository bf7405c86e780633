"""What a skill's cloud calls, through the SDK against the real app: the event gateway and the
Credential Locker, both with the customer's event token (the skill messaging client's)."""

from __future__ import annotations

import pytest

from localexa.client import AsyncClient, AuthenticationError, Client, ConflictError, PermissionDeniedError
from localexa.skill import capability, discovery_endpoint
from localexa.skill.reports import add_or_update_report
from tests.client.contract import in_thread, world

ASYNC_EVENTS = "alexa::async_event:write"
THREAD = "alexa::thread_network_credentials:read"


async def event_token(sdk: AsyncClient, permissions: list[str]) -> tuple[str, str, str]:
    """(skill id, customer id, token): a developer-enabled skill and its messaging token."""
    w = await world(sdk, permissions=permissions)
    await sdk.with_options(auth=w.developer.token).enablement.enable(w.skill.skill_id)
    tokens = await sdk.admin.tokens.create(
        client_id=w.skill.skill_messaging_credentials.client_id,
        user_id=w.developer.user_id,
        scopes=[ASYNC_EVENTS],
    )
    return w.skill.skill_id, w.developer.user_id, tokens.access_token


async def test_events_reach_the_gateway(sdk: AsyncClient) -> None:
    skill_id, user_id, token = await event_token(sdk, [ASYNC_EVENTS])
    light = discovery_endpoint(
        "light-1",
        "Kitchen",
        [capability("Alexa"), capability("Alexa.PowerController", ["powerState"])],
        description="A light",
        manufacturer_name="Acme",
        display_categories=["LIGHT"],
    )
    await sdk.events.send(add_or_update_report([light], token=token), token=token)
    known = await sdk.admin.directives.endpoints(user_id, skill_id)
    assert [e.endpoint_id for e in known.endpoints] == ["light-1"]
    messages = [m async for m in sdk.admin.directives.messages(user_id, skill_id)]
    assert [m.name for m in messages] == ["AddOrUpdateReport"]

    with pytest.raises(AuthenticationError) as caught:
        await sdk.events.send(add_or_update_report([light], token="Atza|bogus"), token="Atza|bogus")
    assert caught.value.code == "INVALID_ACCESS_TOKEN_EXCEPTION"


async def test_thread_networks_put_and_page(sdk: AsyncClient, sync_sdk: Client) -> None:
    _, _, token = await event_token(sdk, [THREAD])
    for name in ("alpha", "beta", "gamma"):
        await sdk.thread_networks.put(
            extended_pan_id="dead00beef00cafe",
            network_name=name,
            network_key="00112233445566778899aabbccddeeff",
            channel_number=15,
            token=token,
        )
    with pytest.raises(ConflictError) as conflict:
        await sdk.thread_networks.put(
            extended_pan_id="dead00beef00cafe",
            network_name="alpha",
            network_key="00112233445566778899aabbccddeeff",
            token=token,
        )
    assert conflict.value.code
    listing = sdk.thread_networks.list(extended_pan_id="dead00beef00cafe", max_results=1, token=token)
    pages = [page async for page in listing.pages()]
    assert len(pages) == 3
    assert sorted(n.network_name or "" for p in pages for n in p.items) == ["alpha", "beta", "gamma"]
    networks = await in_thread(
        lambda: list(sync_sdk.thread_networks.list(extended_pan_id="dead00beef00cafe", token=token))
    )
    assert {n.network_key for n in networks} == {"00112233445566778899aabbccddeeff"}
    assert all(n.channel_number == 15 for n in networks)


async def test_the_locker_needs_the_permission(sdk: AsyncClient) -> None:
    _, _, token = await event_token(sdk, [ASYNC_EVENTS])
    with pytest.raises(PermissionDeniedError) as caught:
        await sdk.thread_networks.put(
            extended_pan_id="dead00beef00cafe", network_name="x", network_key="0" * 32, token=token
        )
    assert caught.value.code == "INSUFFICIENT_PERMISSION"
