"""Pages you iterate: `for item in client.thread_networks.list(...)` fetches pages on demand.

Alexa's paged APIs send `maxResults` and `nextToken` and answer the next token in one of three
places (spec alexa-api-surface.md §2, §7; smart-home-rest-api-reference "Handle pagination"):
top-level `nextToken` (Credential Locker), `paginationContext.nextToken` (evaluation results, test
plans) and `paginationContextToken.nextToken` (evaluation list). Each resource reads its own; what is
shared is here: a `Paged` description (how to fetch the page after a token, as a flow) and the sync
and async pagers that drive it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from localexa.client._core import Flow
from localexa.client._errors import APIError

__all__ = ["AsyncPager", "Page", "Paged", "SyncPager"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items, the token of the next page (None on the last) and the total if given."""

    items: list[T]
    next_token: str | None = field(default=None, repr=False)
    total_count: int | None = None

    @property
    def has_next_page(self) -> bool:
        return bool(self.next_token)


@dataclass(frozen=True)
class Paged(Generic[T]):
    """A paged call, before any I/O: `fetch(token)` is the flow of the page after `token`."""

    fetch: Callable[[str | None], Flow[Page[T]]]
    #: Where to start (a `nextToken` from an earlier listing), None for the first page.
    start: str | None = None

    def __post_init__(self) -> None:
        # "" is no token: the first page. Sent as `nextToken=`, localexa answers 400
        # "malformed"; a caller passing a stored token that was empty (`next_token=page.next_token
        # or ""`) means "from the start". Every listing, and `first_page()`, starts here.
        if not self.start:
            object.__setattr__(self, "start", None)


def _following(page: Page[T], seen: set[str]) -> str | None:
    """The token of the next page, or None after the last. A token answered before (the one just
    sent, or any earlier one: A, B, A, ...) would make the listing loop forever, so it stops it."""
    token = page.next_token
    if not token:
        return None
    if token in seen:
        raise APIError(
            "The server answered a nextToken it had already answered (the same nextToken twice); "
            "stopping the listing rather than looping."
        )
    seen.add(token)
    return token


def _seen(start: str | None) -> set[str]:
    return {start} if start else set()


class SyncPager(Generic[T]):
    """Iterate items (`for x in pager`) or pages (`pager.pages()`); each page is fetched when needed."""

    def __init__(self, run: Callable[[Flow[Page[T]]], Page[T]], paged: Paged[T]) -> None:
        self._run = run
        self._paged = paged

    def first_page(self) -> Page[T]:
        return self._run(self._paged.fetch(self._paged.start))

    def pages(self) -> Iterator[Page[T]]:
        token, seen = self._paged.start, _seen(self._paged.start)
        while True:
            page = self._run(self._paged.fetch(token))
            yield page
            token = _following(page, seen)
            if token is None:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPager(Generic[T]):
    """`async for x in pager`, or `async for page in pager.pages()`."""

    def __init__(self, run: Callable[[Flow[Page[T]]], Awaitable[Page[T]]], paged: Paged[T]) -> None:
        self._run = run
        self._paged = paged

    async def first_page(self) -> Page[T]:
        return await self._run(self._paged.fetch(self._paged.start))

    async def pages(self) -> AsyncIterator[Page[T]]:
        token, seen = self._paged.start, _seen(self._paged.start)
        while True:
            page = await self._run(self._paged.fetch(token))
            yield page
            token = _following(page, seen)
            if token is None:
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item
