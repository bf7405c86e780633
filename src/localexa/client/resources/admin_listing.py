"""The four admin listings (`client.admin.customers|vendors|lwa_clients|skills.list`), whole or in
pages (README: "Listing calls"; server: admin/listing.py).

`list()` answers every row, oldest first, as it always did. `list(limit=N)` answers a pager as the
client's other paged calls do (`client.admin.journal.list(limit=…)`): `.first_page()` is one page
of at most N (`.items`, and `.next_token`, the cursor to pass as `after=` for the next), `.pages()`
goes page by page and `for row in …` row by row, each page fetched when needed. The server says
there is a next page with `Link: </_localexa/customers?limit=N&after=ID>; rel="next"`; its
`after` is the next page's token, so a page ends the listing when that header is missing.
"""

from __future__ import annotations

import builtins
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import httpx
import pydantic

from localexa.client._async import AsyncResource
from localexa.client._core import Flow, call
from localexa.client._errors import APIResponseValidationError
from localexa.client._pagination import AsyncPager, Page, Paged, SyncPager
from localexa.client._sync import SyncResource
from localexa.client.resources.admin_flows import admin_request, parse_list
from localexa.client.types.admin import Customer, LwaClientInfo, SkillInfo, Vendor

__all__ = ["CUSTOMERS", "LWA_CLIENTS", "SKILLS", "VENDORS", "AsyncListed", "Listing", "SyncListed"]

M = TypeVar("M", bound=pydantic.BaseModel)


def next_after(response: httpx.Response) -> str | None:
    """The `after` of the `rel="next"` link (RFC 8288), None without one. A next link that names
    no `after` is APIResponseValidationError: following it would only fetch the first page again."""
    link = response.links.get("next")
    if link is None:
        return None
    after: str | None = httpx.URL(link.get("url", "")).params.get("after")
    if not after:
        raise APIResponseValidationError(
            f'{response.request.url.path} answered a Link rel="next" without an after= cursor.',
            response=response,
        )
    return after


@dataclass(frozen=True)
class Listing(Generic[M]):
    """`GET /_localexa{path}` answering a JSON array of `model`."""

    path: str
    model: type[M]

    def whole(self, after: str | None) -> Flow[builtins.list[M]]:
        # "" is no cursor, as `Paged` reads it: the whole list (sent as `after=`, the server
        # answers 400 "there is no customer").
        response = yield from call(admin_request("GET", self.path, params={"after": after or None}))
        return parse_list(response, self.model)

    def paged(self, limit: int, after: str | None) -> Paged[M]:
        # `limit` is sent as given: 0, -1 or 1001 is the server's 400 (BadRequestError), the
        # client's usual error, with the server's words.
        def fetch(cursor: str | None) -> Flow[Page[M]]:
            params = {"limit": limit, "after": cursor}
            response = yield from call(admin_request("GET", self.path, params=params))
            return Page(items=parse_list(response, self.model), next_token=next_after(response))

        return Paged(fetch, start=after)


CUSTOMERS = Listing("/customers", Customer)
VENDORS = Listing("/vendors", Vendor)
LWA_CLIENTS = Listing("/lwa-clients", LwaClientInfo)
SKILLS = Listing("/skills", SkillInfo)


class SyncListed(SyncResource, Generic[M]):
    """A sync resource with the listing `_listing` as its `list`."""

    _listing: Listing[M]

    @overload
    def list(self, *, limit: None = None, after: str | None = None) -> builtins.list[M]: ...
    @overload
    def list(self, *, limit: int, after: str | None = None) -> SyncPager[M]: ...
    def list(self, *, limit: int | None = None, after: str | None = None) -> Any:
        """Every one, oldest first (after the one whose id is `after`); with `limit` (1-1000), a
        SyncPager of pages of at most `limit` (`.first_page()`, `.pages()`, or iterate)."""
        if limit is None:
            return self._client._runner.run(self._listing.whole(after))
        return SyncPager(self._client._runner.run, self._listing.paged(limit, after))


class AsyncListed(AsyncResource, Generic[M]):
    """An async resource with the listing `_listing` as its `list`: `await list()`, or
    `list(limit=N)` answering an AsyncPager (not awaited, as every async pager)."""

    _listing: Listing[M]

    @overload
    def list(
        self, *, limit: None = None, after: str | None = None
    ) -> Coroutine[Any, Any, builtins.list[M]]: ...
    @overload
    def list(self, *, limit: int, after: str | None = None) -> AsyncPager[M]: ...
    def list(self, *, limit: int | None = None, after: str | None = None) -> Any:
        """Every one, oldest first (after the one whose id is `after`), awaited; with `limit`
        (1-1000), an AsyncPager of pages of at most `limit` (`async for`, `.pages()`)."""
        if limit is None:
            return self._client._runner.run(self._listing.whole(after))
        return AsyncPager(self._client._runner.run, self._listing.paged(limit, after))
