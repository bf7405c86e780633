"""The admin listings take optional `limit` and `after` (admin/listing.py): a server many teams'
CI used for months answered every one of its 50,000 customers at once (5.5 MB, 4 s). Without
them the answer is every row, as before."""

from __future__ import annotations

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
    assert links[0] == f'</_localexa/customers?limit=2&after={whole[1]["userId"]}>; rel="next"'
    assert links[-1] is None  # the last page says no more


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
