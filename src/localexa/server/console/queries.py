"""What the console reads, by table name from `db.models.metadata`.

The console reads tables by name rather than importing each area's models, so a page works
whether or not that area's table exists yet ("not available yet" otherwise). Columns that hold
secrets (hashes, sealed values, keys, tokens) are shown masked, never opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.clock import as_utc, iso
from localexa.server.db.models import metadata
from localexa.server.observe.redaction import is_secret_field

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
    return str(value)


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass
class Grid:
    """A table ready to render: headers, masked cells, and whether more rows exist."""

    title: str
    available: bool
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0


async def grid(
    engine: AsyncEngine,
    title: str,
    candidates: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    where: dict[str, str] | None = None,
    links: dict[str, str] | None = None,
) -> Grid:
    table = table_named(*candidates)
    if table is None:
        return Grid(title=title, available=False)
    names = [c for c in (columns or table.c.keys()) if c in table.c]
    order = [table.c["created_at"].desc()] if "created_at" in table.c else list(table.primary_key.columns)
    query = select(table).order_by(*order).limit(PAGE_ROWS)
    count = select(func.count()).select_from(table)
    for column, value in (where or {}).items():
        if value and column in table.c:
            query = query.where(table.c[column] == value)
            count = count.where(table.c[column] == value)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        total = int((await conn.execute(count)).scalar() or 0)
    return Grid(
        title=title,
        available=True,
        columns=names,
        rows=[[_cell(n, row._mapping[n], links or {}) for n in names] for row in rows],
        total=total,
    )


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
