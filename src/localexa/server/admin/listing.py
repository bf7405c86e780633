"""Pages of the admin listings: `GET /_localexa/customers`, `vendors`, `lwa-clients`, `skills`.

Each lists its rows oldest first (`created_at`, then the id). Without `limit` the answer is every
row, as it always was (the console and `localexa admin … list` read it whole). A server many
teams' CI used for months holds 50,000 customers: that answer is 5.5 MB and took 4 s to build
(bench/big_state.py). With `limit` it holds at most that many, and `after` (the id of the last
one of the previous page) continues after it; a `Link: <…>; rel="next"` header (RFC 8288) gives
the next page while there is one. Keyset pages, read in order from the index on
(`created_at`, id) (migration 0013): the thousandth page costs what the first does.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from localexa.server.core.errors import BadRequest
from localexa.server.core.message_parts import Parts, named

MAX_LIMIT = 1000

Limit = Annotated[
    int | None,
    Query(ge=1, le=MAX_LIMIT, description="At most this many (1-1000); without it, every one."),
]
After = Annotated[
    str | None,
    Query(description="The id of the last one of the previous page: the page continues after it."),
]


async def page(
    session: AsyncSession,
    model: Any,
    key: InstrumentedAttribute[str],
    *,
    limit: int | None,
    after: str | None,
    what: str,
) -> tuple[list[Any], bool]:
    """The rows of `model` oldest first (after the row whose `key` is `after`, at most `limit`),
    and whether more follow. An `after` that names no row is a 400 (`what` names the kind)."""
    created = model.created_at
    statement = select(model).order_by(created, key)
    if after is not None:
        anchor = (await session.execute(select(created).where(key == after))).scalar_one_or_none()
        if anchor is None:
            raise BadRequest(Parts.of("after: there is no ", what, " ", *named(after), "."))
        # A row value, which SQLite (3.15+) and PostgreSQL seek to in the index; spelled out as
        # `a > x OR (a = x AND b > y)`, SQLite walked the index from its first row.
        statement = statement.where(tuple_(created, key) > tuple_(anchor, after))
    if limit is not None:
        statement = statement.limit(limit + 1)
    rows = list((await session.execute(statement)).scalars())
    if limit is not None and len(rows) > limit:
        return rows[:limit], True
    return rows, False


def link_next(request: Request, response: Response, limit: int | None, last: str | None) -> None:
    """`Link: <this path?limit=…&after=…>; rel="next"` on `response`, for a page with more after it."""
    if limit is None or last is None:
        return
    query = urlencode({"limit": limit, "after": last})
    response.headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
