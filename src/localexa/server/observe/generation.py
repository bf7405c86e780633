"""The state's generation: how many times reset and restore have replaced the shared state.

Work that outlives the request that began it (an after-link follow-up waiting for a skill) serves
the state it began in. A reset or restore through the same process stops it there (its reset
hooks), but with several processes on one PostgreSQL database the reset may come through another
one, and nothing else tells this process. So reset and restore add 1 to the generation in the
transaction that replaces the state (observe/state.py), and such work remembers the generation it
began in: it compares it in each transaction it writes in (directives/after_link_claim.py), and the
journal compares it in the transaction that inserts the entries of the calls the work made
(`work_generation`), so nothing the work brings back after the reset lands, through any process.

The count is row 2 of `journal_cutoff` (its `not_before` holds it): that table is shared by every
process, reset leaves it alone and snapshots leave it out, so no migration was needed. A missing
row is generation 0.

Only on PostgreSQL (`shared`): a SQLite file is served by one process, whose reset hooks stop
its own work; there nothing of this runs.

`work_began` is the journal's side of the same, on every database: the wall-clock time the
current task's background work began (an evaluation run's claim, an after-link follow-up's
start). The journal compares it, not
the time a call of that work was answered, with the cutoff of the last reset, so a call the work
made before a reset and the skill answered after it stays out of the emptied journal (since
2026-12-06; an evaluation run's directive in flight at a reset landed there; since 2026-12-07 a
follow-up's call answered between a reset's cutoff and its hooks on SQLite too).
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from localexa.server.observe.models import JournalCutoff

#: The `journal_cutoff` row holding the generation (row 1 is the journal's cutoff).
GENERATION_ROW = 2

#: The generation the current task's work began in (None: work that serves no state of its own,
#: such as a request). Entries of the calls it makes are journaled only while it is current.
work_generation: ContextVar[int | None] = ContextVar("localexa_work_generation", default=None)

#: When the current task's work began (wall clock; None: a request, or work that keeps none).
work_began: ContextVar[float | None] = ContextVar("localexa_work_began", default=None)


class Erased:
    """Set on a background work's marker (`work_erased`) just before a reset or restore through
    this process cancels the work: a call it had under way is then left out of the journal, as
    the calls of that state are (an outbound call cut off otherwise is journaled, `cancelled`)."""

    erased = False


#: The current task's background work's marker (None: a request, or work no reset cancels).
work_erased: ContextVar[Erased | None] = ContextVar("localexa_work_erased", default=None)

_READ = select(JournalCutoff.not_before).where(JournalCutoff.id == GENERATION_ROW)


def shared(dialect_name: str) -> bool:
    """Whether other processes may serve the same state (a PostgreSQL database)."""
    return dialect_name == "postgresql"


async def read_generation(conn: AsyncConnection | AsyncSession, *, hold: bool = False) -> int:
    """The current generation; with `hold` (PostgreSQL), a reset or restore waits until the
    caller's transaction ends before it moves it."""
    query = _READ.with_for_update(read=True) if hold else _READ
    found = (await conn.execute(query)).scalar_one_or_none()
    return int(found) if found is not None else 0


async def next_generation(conn: AsyncConnection) -> None:
    """Move the generation on (reset and restore, in the transaction that replaces the state)."""
    moved = await conn.execute(
        update(JournalCutoff)
        .where(JournalCutoff.id == GENERATION_ROW)
        .values(not_before=JournalCutoff.not_before + 1)
    )
    if not moved.rowcount:
        # Two rewrites never overlap (each holds every state table first), so no other one
        # creates the row meanwhile.
        await conn.execute(insert(JournalCutoff).values(id=GENERATION_ROW, not_before=1.0))
