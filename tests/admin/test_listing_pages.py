"""The admin listings take optional `limit` and `after` (admin/listing.py): a server many teams'
CI used for months answered every one of its 50,000 customers at once (5.5 MB, 4 s). Without
them the answer is every row, as before."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_customers_come_in_pages_that_join_up_to_the_whole_list(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    for n in range(5):
        await admin.customer(name=f"C{n}")
    whole = (await client.get("/_localexa/customers", headers=KEY)).json()
    assert len(whole) == 5
    seen: list[dict[str, str]] = []
    url: str | None = "/_localexa/customers?limit=2"
    links = []
    while url is not None:
        answer = await client.get(url, headers=KEY)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()) <= 2
        seen += answer.json()
        links.append(answer.headers.get("Link"))
        url = answer.links["next"]["url"] if "next" in answer.links else None
    assert seen == whole
    # The cursor is the last row's id and its place (microseconds since the epoch).
    assert re.fullmatch(
        rf'</_localexa/customers\?limit=2&after={re.escape(whole[1]["userId"])}~[0-9]{{16}}>; rel="next"',
        links[0] or "",
    ), links[0]
    assert links[-1] is None  # the last page says no more


async def test_a_listing_goes_on_when_the_last_row_of_its_page_is_deleted(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    """Another test on a shared server deletes its customer between two pages (pages39 F1: the
    next page was a 400 "after: there is no customer …" half-way through the listing)."""
    for n in range(5):
        await admin.customer(name=f"C{n}")
    whole = [c["userId"] for c in (await client.get("/_localexa/customers", headers=KEY)).json()]
    first = await client.get("/_localexa/customers?limit=2", headers=KEY)
    assert [c["userId"] for c in first.json()] == whole[:2]
    deleted = await client.delete(f"/_localexa/customers/{whole[1]}", headers=KEY)
    assert deleted.status_code == 204, deleted.text

    rest = await client.get(first.links["next"]["url"].replace("limit=2", "limit=10"), headers=KEY)

    assert rest.status_code == 200, rest.text
    assert [c["userId"] for c in rest.json()] == whole[2:]
    # The deleted id alone carries no place: still the 400 naming it.
    alone = await client.get(f"/_localexa/customers?after={whole[1]}", headers=KEY)
    assert alone.status_code == 400
    assert alone.json()["message"] == f"after: there is no customer {whole[1]}."


async def test_an_id_that_ends_like_a_cursor_still_means_its_own_row(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    """A row whose id is the whole `after` wins over a place read out of it (restore takes any id)."""
    for n in range(3):
        await admin.customer(name=f"C{n}")
    document = (await client.post("/_localexa/snapshot", headers=KEY)).json()
    odd = "amzn1.account.odd~1"
    document["tables"]["customers"][0]["id"] = odd
    restored = await client.post("/_localexa/restore", content=json.dumps(document), headers=KEY)
    assert restored.status_code == 200, restored.text
    whole = [c["userId"] for c in (await client.get("/_localexa/customers", headers=KEY)).json()]
    assert odd in whole

    after = await client.get(f"/_localexa/customers?after={odd}", headers=KEY)

    assert after.status_code == 200, after.text
    assert [c["userId"] for c in after.json()] == whole[whole.index(odd) + 1 :]


@pytest.mark.parametrize("listing", ["vendors", "lwa-clients", "skills"])
async def test_the_other_listings_page_alike(admin: Admin, client: httpx.AsyncClient, listing: str) -> None:
    await admin.skill()
    await admin.skill()
    whole = (await client.get(f"/_localexa/{listing}", headers=KEY)).json()
    assert len(whole) >= 2
    first = await client.get(f"/_localexa/{listing}?limit=1", headers=KEY)
    assert first.json() == whole[:1]
    rest = await client.get(first.links["next"]["url"] + "&limit=1000", headers=KEY)
    assert rest.status_code == 400  # given twice: refused as every admin GET's repeated parameter
    after = first.links["next"]["url"].split("after=")[1]
    rest = await client.get(f"/_localexa/{listing}?after={after}", headers=KEY)
    assert rest.json() == whole[1:]
    assert "Link" not in rest.headers


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=amzn1.account.nobody", "after: there is no customer amzn1.account.nobody."),
    ],
)
async def test_a_bad_page_is_a_400_naming_it(client: httpx.AsyncClient, query: str, says: str) -> None:
    refused = await client.get(f"/_localexa/customers?{query}", headers=KEY)
    assert refused.status_code == 400, refused.text
    assert says in refused.json()["message"]
