"""Pages of the admin listings: `GET /_localexa/customers`, `vendors`, `lwa-clients`, `skills`.

Each lists its rows oldest first (`created_at`, then the id). Without `limit` the answer is every
row, as it always was (the console and `localexa admin … list` read it whole). A server many
teams' CI used for months holds 50,000 customers: that answer is 5.5 MB and took 4 s to build
(bench/big_state.py). With `limit` it holds at most that many, and `after` continues after a row;
a `Link: <…>; rel="next"` header (RFC 8288) gives the next page while there is one. Keyset pages,
read in order from the index on (`created_at`, id) (migration 0013): the thousandth page costs
what the first does.

`after` is the id of a row, or the cursor the `Link` header gives: that row's id and its place,
`<id>~<created_at in microseconds since the epoch>`. The place is what lets a listing go on when
the last row of its page is deleted before the next page is asked for (`DELETE
/_localexa/customers/{id}` by another test on a shared server): with the id alone that was a 400
"there is no customer …" half-way through (pages39 F1). A row whose id is the whole `after` wins,
so an id that happens to end in `~digits` still means itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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
    Query(
        description="The id of the last one of the previous page, or the `after` of the `Link` "
        "header's next page: the page continues after it."
    ),
]
#: The place a `Link` cursor carries after its id (module docstring).
_PLACED = re.compile(r"(.+)~([0-9]{1,20})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def page(
    session: AsyncSession,
    model: Any,
    key: InstrumentedAttribute[str],
    *,
    limit: int | None,
    after: str | None,
    what: str,
) -> tuple[list[Any], str | None]:
    """The rows of `model` oldest first (after the row `after` names, at most `limit`), and the
    cursor of the next page when more follow. An `after` that names no row and carries no place
    is a 400 (`what` names the kind)."""
    created = model.created_at
    statement = select(model).order_by(created, key)
    if after is not None:
        anchor, after_key = await _place(session, created, key, after, what)
        # A row value, which SQLite (3.15+) and PostgreSQL seek to in the index; spelled out as
        # `a > x OR (a = x AND b > y)`, SQLite walked the index from its first row.
        statement = statement.where(tuple_(created, key) > tuple_(anchor, after_key))
    if limit is not None:
        statement = statement.limit(limit + 1)
    rows = list((await session.execute(statement)).scalars())
    if limit is not None and len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], _cursor(getattr(last, key.key), last.created_at)
    return rows, None


async def _place(
    session: AsyncSession, created: Any, key: InstrumentedAttribute[str], after: str, what: str
) -> tuple[datetime, str]:
    """(created_at, id) of the row `after` names: a row of that id, else the place its cursor
    carries (the row may have been deleted since its page)."""
    anchor = (await session.execute(select(created).where(key == after))).scalar_one_or_none()
    if anchor is not None:
        return anchor, after
    placed = _PLACED.fullmatch(after)
    if placed is not None and int(placed[2]) < 10**17:  # before the year 5138: a datetime
        return _EPOCH + timedelta(microseconds=int(placed[2])), placed[1]
    raise BadRequest(Parts.of("after: there is no ", what, " ", *named(after), "."))


def _cursor(row_key: str, created_at: datetime) -> str:
    """`<id>~<created_at in microseconds since the epoch>` (module docstring)."""
    stamp = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
    return f"{row_key}~{(stamp - _EPOCH) // timedelta(microseconds=1)}"


def link_next(request: Request, response: Response, limit: int | None, cursor: str | None) -> None:
    """`Link: <this path?limit=…&after=…>; rel="next"` on `response`, for a page with more after it."""
    if limit is None or cursor is None:
        return
    query = urlencode({"limit": limit, "after": cursor})
    response.headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'


async def answer_page(
    request: Request,
    response: Response,
    session: AsyncSession,
    model: Any,
    key: InstrumentedAttribute[str],
    *,
    limit: int | None,
    after: str | None,
    what: str,
) -> list[Any]:
    """A listing route's rows (`page`), with the `Link` to the next page set on `response`."""
    rows, cursor = await page(session, model, key, limit=limit, after=after, what=what)
    link_next(request, response, limit, cursor)
    return rows
