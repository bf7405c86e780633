"""`localexa admin customers|vendors|lwa-clients|skills list [--limit N] [--after ID]`.

Without `--limit` the command prints every row, as it always did. With it, one page of at most N
(1-1000, the server's bounds: anything else is a usage error, exit 2 before any request, as
`admin journal list --limit 0` is; it was the server's 400, exit 1) and, while more
follow, how to get the next page on stderr (`next page: localexa admin customers list --limit 2
--after amzn1.account.…`), so stdout holds only the page: the table, or with `--json` the same
JSON array the whole list is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Protocol, overload

from localexa.cli.context import CliState
from localexa.cli.output import Column, emit, printable
from localexa.cli.paging_options import after_option, limit_option, print_next_page
from localexa.client import Page, SyncPager

#: The server's `MAX_LIMIT` (server/admin/listing.py), kept here so that reading the options imports
#: no server module; a test holds the two equal.
MAX_PAGE = 1000

LimitOption = Annotated[int | None, limit_option(MAX_PAGE)]
AfterOption = Annotated[
    str | None,
    after_option("Start after this id (the last of the previous page; the next page's hint names it).", "ID"),
]


class Listed(Protocol):
    """A client resource with an admin listing (`client.admin.customers` …)."""

    @overload
    def list(self, *, limit: None = None, after: str | None = None) -> list[Any]: ...
    @overload
    def list(self, *, limit: int, after: str | None = None) -> SyncPager[Any]: ...


def read_listing(listed: Listed, limit: int | None, after: str | None) -> Page[Any]:
    """Every row as one page (no next), or the page of `limit` after `after`."""
    if limit is None:
        return Page(items=listed.list(after=after))
    return listed.list(limit=limit, after=after).first_page()


def print_listing(
    page: Page[Any], cli: CliState, command: str, limit: int | None, columns: Sequence[Column], title: str
) -> None:
    """The page on stdout; while more follow, the command of the next page on stderr."""
    emit(page.items, as_json=cli.json, columns=columns, title=title)
    if page.next_token is not None:
        # An id and its place (`amzn1.account.…~2`), printed as it is: no shell reads `~` there.
        print_next_page([command], limit, printable(page.next_token))
