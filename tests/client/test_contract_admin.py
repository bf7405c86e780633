"""The SDK against the real admin API (shared/spec/admin-api.md), sync and async."""

from __future__ import annotations

from datetime import timedelta

import pytest

from localexa.client import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    Region,
    RetryPolicy,
    ServiceUnavailableError,
)
from localexa.client.types import AccountLinking
from tests.client.contract import developer, email, in_thread, world


async def test_customers_vendors_clients_skills_and_tokens(sdk: AsyncClient) -> None:
    ada = await sdk.admin.customers.create(name="Ada", email=email(), password="pw", region="EU")
    assert ada.user_id.startswith("amzn1.account.")
    assert (ada.name, ada.region) == ("Ada", "EU")
    assert (await sdk.admin.customers.get(ada.user_id)).email == ada.email
    assert ada.user_id in {c.user_id for c in await sdk.admin.customers.list()}
    assert ada.postal_code is None
    bo = await sdk.admin.customers.create(name="Bo", email=email(), password="pw", postal_code="98109")
    assert bo.postal_code == "98109"
    assert (await sdk.admin.customers.get(bo.user_id)).postal_code == "98109"

    vendor = await sdk.admin.vendors.create(name="Acme", owner_user_id=ada.user_id)
    listed_vendor = {v.vendor_id: v for v in await sdk.admin.vendors.list()}[vendor.vendor_id]
    # The answer is `{"vendorId"}`; the model holds what was sent (they were None; QA 2026-12-05).
    assert (vendor.name, vendor.owner_user_id) == ("Acme", ada.user_id)
    assert (listed_vendor.name, listed_vendor.owner_user_id) == ("Acme", ada.user_id)

    app_client = await sdk.admin.lwa_clients.create(name="App", redirect_uris=["https://app.example/cb"])
    assert app_client.client_id.startswith("amzn1.application-oa2-client.")
    assert app_client.client_secret not in repr(app_client)
    listed = {c.client_id: c for c in await sdk.admin.lwa_clients.list()}
    assert listed[app_client.client_id].redirect_uris == ["https://app.example/cb"]

    skill = await sdk.admin.skills.create(
        vendor_id=vendor.vendor_id,
        name="My Lights",
        endpoint="http://127.0.0.1:9/skill",
        stages=["development", "live"],
        permissions=["alexa::async_event:write"],
        account_linking=AccountLinking(
            authorization_url="http://127.0.0.1:9/authorize",
            access_token_url="http://127.0.0.1:9/token",
            client_id="alexa-skill",
            client_secret="s3cret",
            scopes=["lights"],
        ),
    )
    assert skill.skill_id.startswith("amzn1.ask.skill.")
    info = await sdk.admin.skills.get(skill.skill_id)
    assert (info.name, info.stages, info.permissions) == (
        "My Lights",
        ["development", "live"],
        ["alexa::async_event:write"],
    )
    assert info.messaging_client_id == skill.skill_messaging_credentials.client_id
    assert info.account_linking is not None
    assert "s3cret" not in str(info.account_linking)

    tokens = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=ada.user_id, scopes=["profile"]
    )
    assert tokens.access_token.startswith("Atza|")
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.startswith("Atzr|")
    assert (tokens.token_type.lower(), tokens.expires_in) == ("bearer", 3600)


async def test_skills_with_regional_endpoints(sdk: AsyncClient) -> None:
    dev = await sdk.admin.customers.create(name="Dev", email=email(), password="pw")
    vendor = await sdk.admin.vendors.create(name="Acme", owner_user_id=dev.user_id)
    skill = await sdk.admin.skills.create(
        vendor_id=vendor.vendor_id,
        name="Regional",
        endpoint="http://127.0.0.1:9/skill",
        regional_endpoints={Region.EU: "http://127.0.0.1:9/skill/eu", "fe": "http://127.0.0.1:9/skill/fe"},
    )
    info = await sdk.admin.skills.get(skill.skill_id)
    assert {region: given.endpoint for region, given in info.regions.items()} == {
        "EU": "http://127.0.0.1:9/skill/eu",
        "FE": "http://127.0.0.1:9/skill/fe",
    }
    plain = await sdk.admin.skills.create(
        vendor_id=vendor.vendor_id, name="P", endpoint="http://127.0.0.1:9/p"
    )
    assert (await sdk.admin.skills.get(plain.skill_id)).regions == {}
    with pytest.raises(ConfigurationError, match="twice"):  # "eu" and "EU": one was dropped
        await sdk.admin.skills.create(
            vendor_id=vendor.vendor_id,
            name="X",
            endpoint="http://a:1/x",
            regional_endpoints={"eu": "http://a:1/1", "EU": "http://a:1/2"},
        )
    with pytest.raises(ConfigurationError):  # refused before sending, as every Region(x)
        await sdk.admin.skills.create(
            vendor_id=vendor.vendor_id, name="X", endpoint="http://a:1/x", regional_endpoints={"ZZ": "x"}
        )


async def test_the_sync_client_drives_the_same_server(sdk: AsyncClient, sync_sdk: Client) -> None:
    dev = await in_thread(lambda: sync_sdk.admin.customers.create(name="Bo", email=email(), password="pw"))
    assert (await sdk.admin.customers.get(dev.user_id)).name == "Bo"
    before = await in_thread(sync_sdk.admin.clock.get)
    after = await in_thread(lambda: sync_sdk.admin.clock.advance(3600))
    assert after.now - before.now >= timedelta(seconds=3600)
    assert (await sdk.admin.clock.get()).now >= after.now


async def test_admin_errors_are_typed(sdk: AsyncClient) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await sdk.with_options(admin_key="wrong").admin.customers.list()
    assert caught.value.request_id
    assert "X-Localexa-Admin-Key" in caught.value.message
    with pytest.raises(BadRequestError):
        await sdk.admin.customers.create(name="X", email="not-an-email", password="pw")
    with pytest.raises(NotFoundError):
        await sdk.admin.skills.get("amzn1.ask.skill.nope")


async def test_customers_and_skills_are_deleted(sdk: AsyncClient, sync_sdk: Client) -> None:
    """`customers.delete` and `skills.delete`, async and sync: done on 204, NotFoundError for an
    unknown id, ConflictError for a developer whose vendor still has skills; the tokens go too."""
    dev = await sdk.admin.customers.create(name="Dev", email=email(), password="pw")
    vendor = await sdk.admin.vendors.create(name="Acme", owner_user_id=dev.user_id)
    skill = await sdk.admin.skills.create(
        vendor_id=vendor.vendor_id, name="S", endpoint="http://127.0.0.1:9/s"
    )
    ada = await sdk.admin.customers.create(name="Ada", email=email(), password="pw")
    bo = await in_thread(lambda: sync_sdk.admin.customers.create(name="Bo", email=email(), password="pw"))
    with pytest.raises(ConflictError) as refused:
        await sdk.admin.customers.delete(dev.user_id)
    assert vendor.vendor_id in refused.value.message
    await sdk.admin.skills.delete(skill.skill_id)
    with pytest.raises(NotFoundError):
        await in_thread(lambda: sync_sdk.admin.skills.delete(skill.skill_id))
    await sdk.admin.customers.delete(ada.user_id)
    await in_thread(lambda: sync_sdk.admin.customers.delete(bo.user_id))
    await sdk.admin.customers.delete(dev.user_id)
    for gone in (ada, bo, dev):
        with pytest.raises(NotFoundError):
            await sdk.admin.customers.get(gone.user_id)
    with pytest.raises(NotFoundError):
        await sdk.admin.customers.delete(ada.user_id)
    with pytest.raises(NotFoundError):
        await sdk.admin.skills.delete(skill.skill_id)


async def test_health_and_ready_need_no_key(sdk: AsyncClient) -> None:
    keyless = sdk.with_options(admin_key=None)
    assert await keyless.admin.health() is True
    assert await keyless.admin.ready() is True


async def test_a_fault_is_retried_away_and_shows_in_the_journal(
    sdk: AsyncClient, sleeps: list[float]
) -> None:
    """A 429 fault that fires once: the SDK's retry absorbs it (GET is safe to repeat), after
    waiting the Retry-After the server sent."""
    dev = await developer(sdk)
    fault = await sdk.admin.faults.create(
        path="/_localexa/clock", method="GET", status=429, count=1, retry_after=1
    )
    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
    assert (listed.status, listed.count, listed.active) == (429, 1, True)

    quick = sdk.with_options(retry=RetryPolicy(max_retries=2, max_elapsed=10))
    assert (await quick.admin.clock.get()).now is not None
    assert sleeps == [1.0]

    failed = [e async for e in sdk.admin.journal.list(path="/_localexa/clock", status="429")]
    assert failed
    assert failed[0].fault_id == fault.fault_id
    assert (await sdk.admin.journal.get(failed[0].id)).status == 429
    await sdk.admin.faults.delete(fault.fault_id)
    assert fault.fault_id not in {f.fault_id for f in await sdk.admin.faults.list()}
    with pytest.raises(NotFoundError):
        await sdk.admin.faults.delete(fault.fault_id)
    assert dev.user_id


async def test_no_retry_means_the_fault_reaches_the_caller(sdk: AsyncClient) -> None:
    await sdk.admin.faults.create(path="/_localexa/vendors", status=503, count=1)
    with pytest.raises(ServiceUnavailableError):
        await sdk.with_options(max_retries=0).admin.vendors.list()
    assert isinstance(await sdk.admin.vendors.list(), list)


async def test_the_journal_pages_with_its_cursor(sdk: AsyncClient) -> None:
    for _ in range(3):
        await sdk.admin.clock.get()
    pages = [page async for page in sdk.admin.journal.list(path="/_localexa/clock", limit=1).pages()]
    assert len(pages) >= 3
    assert all(len(page.items) == 1 for page in pages)
    ids = [page.items[0].id for page in pages]
    assert ids == sorted(ids, reverse=True)  # newest first


async def test_snapshot_restore_and_reset(sdk: AsyncClient) -> None:
    kept = await world(sdk)
    document = await sdk.admin.snapshot()
    reset = await sdk.admin.reset()
    assert reset.reset is True
    with pytest.raises(NotFoundError):
        await sdk.admin.skills.get(kept.skill.skill_id)
    restored = await sdk.admin.restore(document)
    assert sum(restored.restored.values()) > 0
    assert (await sdk.admin.skills.get(kept.skill.skill_id)).name == "My Lights"
