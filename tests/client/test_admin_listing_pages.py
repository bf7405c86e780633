"""`client.admin.<kind>.list(limit=N, after=…)` against the real admin API: a pager over the pages
the server's `Link rel="next"` header chains (admin_listing.py); `list()` is every row, as before."""

from __future__ import annotations

import pytest

from localexa.client import AsyncClient, BadRequestError, Client, SyncPager
from localexa.client.types.admin import Customer
from tests.client.contract import email, in_thread, world

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def five_customers(sdk: AsyncClient) -> list[Customer]:
    return [await sdk.admin.customers.create(name=f"C{n}", email=email(), password="pw") for n in range(5)]


async def test_the_sync_client_reads_one_page_then_every_page_once_in_order(
    sdk: AsyncClient, sync_sdk: Client
) -> None:
    made = [c.user_id for c in await five_customers(sdk)]
    pager = sync_sdk.admin.customers.list(limit=2)
    assert isinstance(pager, SyncPager)
    first = await in_thread(pager.first_page)
    assert [c.user_id for c in first.items] == made[:2]
    # The Link header's after=: the last of the page, with its place (admin/listing.py).
    assert (first.next_token or "").startswith(f"{made[1]}~")
    pages = await in_thread(lambda: list(sync_sdk.admin.customers.list(limit=2).pages()))
    assert [[c.user_id for c in page.items] for page in pages] == [made[:2], made[2:4], made[4:]]
    assert pages[-1].next_token is None
    rows = await in_thread(lambda: list(sync_sdk.admin.customers.list(limit=2)))
    assert [c.user_id for c in rows] == made
    # `after=` continues from a cursor; without `limit`, every row as before (after one too).
    rest = await in_thread(lambda: sync_sdk.admin.customers.list(limit=2, after=made[3]).first_page())
    assert ([c.user_id for c in rest.items], rest.next_token) == (made[4:], None)
    assert [c.user_id for c in await in_thread(sync_sdk.admin.customers.list)] == made
    tail = await in_thread(lambda: sync_sdk.admin.customers.list(after=made[2]))
    assert [c.user_id for c in tail] == made[3:]


async def test_the_async_client_pages_alike(sdk: AsyncClient) -> None:
    made = [c.user_id for c in await five_customers(sdk)]
    first = await sdk.admin.customers.list(limit=2).first_page()
    assert [c.user_id for c in first.items] == made[:2]
    assert (first.next_token or "").startswith(f"{made[1]}~")
    pages = [[c.user_id for c in page.items] async for page in sdk.admin.customers.list(limit=2).pages()]
    assert pages == [made[:2], made[2:4], made[4:]]
    assert [c.user_id async for c in sdk.admin.customers.list(limit=3)] == made
    assert [c.user_id for c in await sdk.admin.customers.list()] == made


async def test_vendors_lwa_clients_and_skills_page_alike(sdk: AsyncClient) -> None:
    await world(sdk)
    await world(sdk)
    for listing in (sdk.admin.vendors, sdk.admin.lwa_clients, sdk.admin.skills):
        whole = await listing.list()
        assert len(whole) >= 2
        assert [row async for row in listing.list(limit=1)] == whole


@pytest.mark.parametrize("limit", [0, -1, 1001])
async def test_a_bad_limit_is_the_servers_400(sdk: AsyncClient, sync_sdk: Client, limit: int) -> None:
    with pytest.raises(BadRequestError) as refused:
        await sdk.admin.customers.list(limit=limit).first_page()
    assert refused.value.status_code == 400
    assert "limit" in refused.value.message
    with pytest.raises(BadRequestError):
        await in_thread(lambda: list(sync_sdk.admin.skills.list(limit=limit)))


async def test_an_after_naming_nothing_is_the_servers_400(sdk: AsyncClient) -> None:
    with pytest.raises(BadRequestError) as refused:
        await sdk.admin.customers.list(limit=2, after="amzn1.account.nobody").first_page()
    assert "there is no customer amzn1.account.nobody" in refused.value.message
    with pytest.raises(BadRequestError):
        await sdk.admin.vendors.list(after="amzn1.vendor.nobody")
