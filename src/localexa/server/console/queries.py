"""What the console reads, by table name from `db.models.metadata`.

The console reads tables by name rather than importing each area's models, so a page works
whether or not that area's table exists yet ("not available yet" otherwise). Columns that hold
secrets (hashes, sealed values, keys, tokens) are shown masked, never opened, and every text has
the secrets of observe.redaction scrubbed (a URL's `user:password@`, LWA tokens).

Pages hold PAGE_ROWS rows, newest first (by primary key for a table without `created_at`), and
page on with a keyset cursor: the sort values of the last row shown, so rows written meanwhile
neither repeat nor go missing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import BigInteger, Column, ColumnElement, SmallInteger, Table, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.clock import as_utc, iso
from localexa.server.db.models import metadata
from localexa.server.observe.redaction import is_secret_field, redact_text

PAGE_ROWS = 200
MASK = "••••••"


def is_secret_column(name: str) -> bool:
    """Hashes, sealed values and secret fields (observe.redaction's list; an error `code` is not)."""
    lowered = name.lower()
    if lowered.endswith(("_hash", "_sealed")):
        return True
    return lowered != "code" and is_secret_field(lowered)


def table_named(*candidates: str) -> Table | None:
    for name in candidates:
        table = metadata.tables.get(name)
        if table is not None:
            return table
    return None


def show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(as_utc(value))
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(v)}" for k, v in value.items() if not is_secret_column(str(k)))
    return redact_text(str(value))


class BadCursor(ValueError):
    """A `cursor` this table did not hand out."""


class BadFilter(ValueError):
    """A filter value the column can never hold (a region that is none of NA, EU, FE)."""


#: Characters past which a word (no white space in it) may break in a table cell: ids (~60) and
#: timestamps stay whole, a 200-character name breaks instead of widening its column.
LONG_WORD = 64


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None

    @property
    def css_class(self) -> str | None:
        """`long`: the text holds a word that may break; `word`: one word (an id, a timestamp), never
        wrapped, not even at its hyphens. Breaking every cell's words split "Delete" and short ids
        to fit, and ids and timestamps wrapped at their hyphens (re-verifications of 2026-12-06);
        the table scrolls sideways instead."""
        words = self.text.split()
        if any(len(word) > LONG_WORD for word in words):
            return "long"
        return "word" if len(words) == 1 else None


@dataclass
class Grid:
    """A table ready to render: headers, masked cells, and whether more rows exist."""

    title: str
    available: bool
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0
    #: Whether filters narrowed the rows (an empty page then says "match", not "yet").
    filtered: bool = False
    #: Pass back as `cursor` for the rows after these; None on the last page.
    next_cursor: str | None = None
    #: How the rows are ordered, in words ("newest first").
    order: str = "newest first"
    #: What the page says when there are no rows, when the usual "No … yet." or "No … match these
    #: filters." would not be right ("" for those).
    empty: str = ""
    #: A link after `empty` (its path, its text): the way to what the page does not show.
    empty_link: tuple[str, str] | None = None


def _stored_hex(value: str) -> str:
    """A hex filter as the Credential Locker stores it: lower case, without `0x` (the API finds
    `DEAD…`, `dead…` and `0xdead…` alike; the console matched the stored text only)."""
    value = value.strip()
    return (value[2:] if value[:2].lower() == "0x" else value).lower()


def _run_status(value: str) -> str | tuple[str, ...]:
    """An evaluation status as the API says it: IN_PROGRESS is also a run waiting for a worker,
    stored PENDING (the API never answers PENDING)."""
    status = _one_of("status", value, ("IN_PROGRESS", "PASSED", "FAILED", "ERROR", "PENDING"), str.upper)
    return ("PENDING", "IN_PROGRESS") if status == "IN_PROGRESS" else status


def _one_of(name: str, value: str, allowed: Sequence[str], spelled: Callable[[str], str]) -> str:
    """`value` in any letter case when it is one of `allowed`; else BadFilter naming them (an
    unknown value, `region=xx`, quietly matched nothing: "No customers match", QA of 2026-12-06)."""
    wanted = spelled(value.strip())
    if wanted not in allowed:
        listed = ", ".join(allowed[:-1]) + f" or {allowed[-1]}"
        raise BadFilter(f"{name}: {value.strip()!r} is not one of {listed}.")
    return wanted


#: Filters of columns stored in one case, taken in any case as the APIs take them (else the
#: value as typed, without outer spaces); a tuple matches any of its values. Those with a fixed
#: set of values refuse any other (BadFilter), as the journal's `region` and `direction` do.
_FILTER_SPELLING: dict[str, Callable[[str], str | tuple[str, ...]]] = {
    "region": lambda value: _one_of("region", value, ("NA", "EU", "FE"), str.upper),
    "link_status": lambda value: _one_of(
        "link status", value, ("LINKED", "NOT_LINKED", "NEEDS_RELINK"), str.upper
    ),
    "status": _run_status,
    "stage": lambda value: _one_of("stage", value, ("development", "live"), str.lower),
    "extended_pan_id": _stored_hex,
}


async def grid(
    engine: AsyncEngine,
    title: str,
    candidates: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    where: dict[str, str] | None = None,
    links: dict[str, str] | None = None,
    cursor: str | None = None,
    among: tuple[str, Sequence[str]] | None = None,
) -> Grid:
    """One page of a table; raises BadCursor for a cursor this table did not hand out, BadFilter
    for a filter value its column never holds. `among` (a column, its values) keeps the rows whose
    column holds one of the values: none for no values."""
    table = table_named(*candidates)
    if table is None:
        return Grid(title=title, available=False)
    names = [c for c in (columns or table.c.keys()) if c in table.c]
    sort = _sort_columns(table)
    newest_first = "created_at" in table.c
    query = select(table).order_by(*(c.desc() if newest_first else c.asc() for c in sort))
    count = select(func.count()).select_from(table)
    filtered = False
    for column, value in (where or {}).items():
        if value and column in table.c:
            wanted = _FILTER_SPELLING.get(column, str.strip)(value)
            cell = table.c[column]
            condition = cell.in_(wanted) if isinstance(wanted, tuple) else cell == wanted
            query = query.where(condition)
            count = count.where(condition)
            filtered = True
    if among is not None and among[0] in table.c:
        condition = table.c[among[0]].in_(list(among[1])) if among[1] else false()
        query, count, filtered = query.where(condition), count.where(condition), True
    if cursor:
        query = query.where(_after(sort, _decode_cursor(cursor, sort), newest_first=newest_first))
    async with engine.connect() as conn:
        rows = (await conn.execute(query.limit(PAGE_ROWS + 1))).all()
        total = int((await conn.execute(count)).scalar() or 0)
    more = len(rows) > PAGE_ROWS
    rows = rows[:PAGE_ROWS]
    return Grid(
        title=title,
        available=True,
        columns=names,
        rows=[[_cell(n, row._mapping[n], links or {}) for n in names] for row in rows],
        total=total,
        filtered=filtered,
        next_cursor=_encode_cursor([rows[-1]._mapping[c.name] for c in sort]) if more else None,
        order=_order_in_words(sort, newest_first=newest_first),
    )


def _order_in_words(sort: list[Column[Any]], *, newest_first: bool) -> str:
    """A table without `created_at` (test case results) is in key order: it said "newest first"
    over results listed by ordinal 0, 1, 2 (QA of 2026-12-06)."""
    if newest_first:
        return "newest first"
    return "by " + ", then ".join(column.name.replace("_", " ") for column in sort)


def _sort_columns(table: Table) -> list[Column[Any]]:
    """`created_at`, then the primary key: rows made in the same instant keep one order."""
    keys = [c for c in table.primary_key.columns if c.name != "created_at"]
    return [table.c["created_at"], *keys] if "created_at" in table.c else keys


def _after(sort: list[Column[Any]], last: list[Any], *, newest_first: bool) -> ColumnElement[bool]:
    """Rows that sort after `last`: (a, b) < (x, y) spelled out as a < x OR (a = x AND b < y)."""
    branches = []
    for i, column in enumerate(sort):
        beyond = column < last[i] if newest_first else column > last[i]
        branches.append(and_(*(sort[j] == last[j] for j in range(i)), beyond))
    return or_(*branches)


def _encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: list[Column[Any]]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadCursor("The cursor is not one this page handed out.") from exc
    if not isinstance(values, list) or len(values) != len(sort):
        raise BadCursor("The cursor is not one this page handed out.")
    return [_cursor_value(column, value) for column, value in zip(sort, values, strict=True)]


def _cursor_value(column: Column[Any], value: object) -> Any:
    """The cursor's value for `column`, when the column's type can hold it on every database: a
    value PostgreSQL cannot bind (an `Integer` past 32 bits, a date that leaves years 1-9999 in
    UTC) was a 500 there and a page on SQLite."""
    expected = column.type.python_type
    if expected is datetime and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                # Stored in UTC. Bound naive, asyncpg reads it as local time through
                # `astimezone()`, which fails near year 1 (and 9999 on Python 3.12+): a 500.
                return moment.replace(tzinfo=UTC)
            moment.astimezone(UTC)  # OverflowError past year 9999 or before year 1 in UTC
            return moment
        except (ValueError, OverflowError):
            pass
    if expected is int and type(value) is int and value in _integer_range(column):
        return value
    if expected is str and isinstance(value, str) and _storable(value):
        return value
    raise BadCursor(f"The cursor's {column.name} is not one this page handed out.")


def _integer_range(column: Column[Any]) -> range:
    """What the column's integer type holds on PostgreSQL (SQLite holds 64 bits in any)."""
    if isinstance(column.type, BigInteger):
        bits = 64
    elif isinstance(column.type, SmallInteger):
        bits = 16
    else:
        bits = 32
    return range(-(2 ** (bits - 1)), 2 ** (bits - 1))


def _storable(text: str) -> bool:
    """Text a database can compare: UTF-8 (no lone surrogate) and no NUL (PostgreSQL refuses it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _cell(column: str, value: Any, links: dict[str, str]) -> Cell:
    if value is None:
        return Cell("")
    if is_secret_column(column):
        return Cell(MASK)
    text = show(value)
    template = links.get(column)
    return Cell(text, quote_into(template, text) if template else None)


def quote_into(template: str, value: str) -> str:
    return template.format(quote(value, safe=""))


async def counts(engine: AsyncEngine, names: Sequence[str]) -> dict[str, int | None]:
    """Row counts by table name (None when the table does not exist yet)."""
    result: dict[str, int | None] = {}
    async with engine.connect() as conn:
        for name in names:
            table = metadata.tables.get(name)
            if table is None:
                result[name] = None
                continue
            result[name] = int((await conn.execute(select(func.count()).select_from(table))).scalar() or 0)
    return result
