"""All SQL of the journal and the faults (whole-state SQL lives in observe/state.py).

These run on a connection the caller opened: fault counts are shared by every server process,
so each change commits at once (like the clock) instead of waiting for a request's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.observe.models import Fault, JournalEntry
from localexa.server.skills.models import Skill


@dataclass(frozen=True)
class JournalFilter:
    path: str | None = None
    status: int | None = None
    status_class: int | None = None  # 4 for "4xx"
    customer: str | None = None
    skill: str | None = None
    caller: str | None = None
    region: str | None = None
    direction: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def journal_page(
    conn: AsyncConnection, where: JournalFilter, *, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on the id (insert order), so deep pages cost what the first does."""
    query = select(JournalEntry).order_by(JournalEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(JournalEntry.id < before_id)
    if where.path:
        # A prefix, compared exactly: SQLite's LIKE ignores ASCII case and PostgreSQL's does not,
        # so `path=/V1/` matched `/v1/...` on one database only. (The path has no index to lose.)
        prefix = where.path
        query = query.where(func.substr(JournalEntry.path, 1, len(prefix)) == prefix)
    if where.status is not None:
        query = query.where(JournalEntry.status == where.status)
    if where.status_class is not None:
        low = where.status_class * 100
        query = query.where(JournalEntry.status >= low, JournalEntry.status < low + 100)
    for column, value in (
        (JournalEntry.customer, where.customer),
        (JournalEntry.skill, where.skill),
        (JournalEntry.caller, where.caller),
        (JournalEntry.region, where.region),
        (JournalEntry.direction, where.direction),
        (JournalEntry.request_id, where.request_id),
    ):
        if value:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(JournalEntry.at >= where.since)
    if where.until is not None:
        query = query.where(JournalEntry.at <= where.until)
    result = await conn.execute(query)
    return [dict(row._mapping) for row in result]


async def journal_entry(conn: AsyncConnection, entry_id: int) -> dict[str, Any] | None:
    result = await conn.execute(select(JournalEntry).where(JournalEntry.id == entry_id))
    row = result.first()
    return dict(row._mapping) if row is not None else None


# faults -------------------------------------------------------------------------------------
async def add_fault(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(Fault).values(**values))


async def faults(conn: AsyncConnection) -> list[dict[str, Any]]:
    result = await conn.execute(select(Fault).order_by(Fault.created_at, Fault.id))
    return [dict(row._mapping) for row in result]


async def delete_fault(conn: AsyncConnection, fault_id: str) -> bool:
    result = await conn.execute(delete(Fault).where(Fault.id == fault_id).returning(Fault.id))
    return result.first() is not None


async def count_match(conn: AsyncConnection, fault_id: str) -> int | None:
    """Count one more matching call; its number draws the seeded decision (None: fault gone or
    retired). A retired fault counts nothing: another process's cached copy of it (faults.py
    re-reads every 0.5 s) must not go on counting calls after it was spent elsewhere."""
    result = await conn.execute(
        update(Fault)
        .where(Fault.id == fault_id, or_(Fault.remaining.is_(None), Fault.remaining > 0))
        .values(matched=Fault.matched + 1)
        .returning(Fault.matched)
    )
    value = result.scalar()
    return int(value) if value is not None else None


async def take_firing(conn: AsyncConnection, fault_id: str, *, counted: bool) -> int | None:
    """Use one firing; for a counted fault only while some are left (atomic: the row is locked).

    Returns the firings left (-1 for an uncounted fault), or None when the fault has retired."""
    statement = update(Fault).where(Fault.id == fault_id)
    if counted:
        statement = statement.where(Fault.remaining > 0).values(remaining=Fault.remaining - 1)
    statement = statement.values(fired=Fault.fired + 1).returning(Fault.remaining)
    result = await conn.execute(statement)
    row = result.first()
    if row is None:
        return None
    return int(row[0]) if row[0] is not None else -1


async def skill_of_client(conn: AsyncConnection, client_id: str) -> str | None:
    result = await conn.execute(select(LwaClient.skill_id).where(LwaClient.client_id == client_id))
    value = result.scalar()
    return str(value) if value else None


async def customer_exists(conn: AsyncConnection, customer_id: str) -> bool:
    result = await conn.execute(select(Customer.id).where(Customer.id == customer_id))
    return result.first() is not None


async def skill_exists(conn: AsyncConnection, skill_id: str) -> bool:
    result = await conn.execute(select(Skill.id).where(Skill.id == skill_id))
    return result.first() is not None
