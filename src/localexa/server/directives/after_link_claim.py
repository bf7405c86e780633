"""A follow-up's claim on its status row and on the state it began in (after_link.py runs the
steps; this module says whether it may still write), and the statuses a step's column takes.

A relink through another process starts a new follow-up there while this one may still wait for
the skill; the relink's process cannot cancel it. So each follow-up writes the status row only
while the row still carries the stamp (`updated_at`) of its own last write and its own lease
(`Stamp`): once a newer follow-up has marked the row PENDING, or another process took it over
(after_link_leases.py), the older one's outcome is dropped and it sends nothing more.

A reset or restore replaces the state a follow-up serves. Through this process, its reset hook
cancels the follow-ups (`AfterLinkRunner.on_state_replaced`). Through another process sharing the
PostgreSQL database, the state's generation moves (observe/generation.py), and a follow-up that
began in an older one
- writes nothing more: each of its transactions first compares the generation (`InState`), so
  neither its outcome nor the skill's messages, the devices found or a grant code land, and it
  sends no further directive (`StateReplaced` ends it);
- leaves nothing in the journal: the calls it makes are journaled only while its generation is
  current (observe/journal.py), checked in the transaction that writes them;
- stops waiting for the skill within after_link_runner.py's `WATCH_SECONDS` (plus one read):
  while follow-ups run, the runner reads the generation that often and cancels those of an older
  one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import as_utc
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.observe.generation import read_generation

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
NOT_REQUIRED = "NOT_REQUIRED"
NOT_SENT = "NOT_SENT"
#: The steps of a follow-up, as the prefixes of their columns.
STEPS = ("discovery", "accept_grant")

#: Read first by each transaction of a follow-up on a shared database (`InState`).
_STATUS_STAMP = select(AfterLinkStatus.updated_at).where(
    AfterLinkStatus.customer_id == bindparam("customer_id"), AfterLinkStatus.skill_id == bindparam("skill_id")
)


class StateReplaced(Exception):
    """A reset or restore (through any process) replaced the state the follow-up began in."""


@dataclass
class Stamp:
    """A follow-up's claim on the status row: the `updated_at` of its own last write, and the
    lease it holds (after_link_leases.py)."""

    at: datetime
    #: Its `lease_owner` while a step is PENDING; None once its own write ended the lease (or for
    #: a row without one).
    owner: str | None = None
    #: The steps it sends: both for a new link, those still PENDING for one taken over.
    steps: tuple[str, ...] = STEPS
    #: Set once a newer follow-up (a relink, in this process or another) took the row over.
    superseded: bool = False
    #: The state's generation the follow-up began in (observe/generation.py); None on SQLite,
    #: whose one process stops its follow-ups itself.
    generation: int | None = None


@dataclass(frozen=True)
class InState(Runtime):
    """The runtime of a follow-up on a shared database: each transaction first makes sure the
    state is still the generation the follow-up began in, or raises `StateReplaced`.

    Every write of the follow-up goes through it: the status row, the skill's messages and the
    devices found (directives/service.py), and also the reads before each directive (the token,
    refreshed if need be, and AcceptGrant's grant code), so no directive is sent once the state
    is replaced."""

    customer_id: str = ""
    skill_id: str = ""
    generation: int = 0

    @classmethod
    def of_follow_up(cls, runtime: Runtime, customer_id: str, skill_id: str, generation: int) -> InState:
        kept = {f.name: getattr(runtime, f.name) for f in fields(Runtime)}
        return cls(**kept, customer_id=customer_id, skill_id=skill_id, generation=generation)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with super().transaction() as session:
            # A state table first: a reset or restore under way holds every one (observe/state.py),
            # so this waits until it has committed, and none can commit before this transaction
            # ends; the generation read next is the one the whole transaction works in.
            pair = {"customer_id": self.customer_id, "skill_id": self.skill_id}
            await session.execute(_STATUS_STAMP, pair)
            if await read_generation(session) != self.generation:
                raise StateReplaced
            yield session


def taken_over(row: AfterLinkStatus, stamp: Stamp | None) -> bool:
    """Whether a newer follow-up (or another process taking this one over) wrote the row since
    `stamp` (never for calls without a stamp: the admin API's single directives)."""
    if stamp is None:
        return False
    if not stamp.superseded:
        moved = as_utc(row.updated_at) != as_utc(stamp.at)
        # The owner too: two writes may carry one `updated_at` (clocks of two hosts).
        stamp.superseded = moved or (stamp.owner is not None and row.lease_owner != stamp.owner)
    return stamp.superseded


def end_lease_when_done(row: AfterLinkStatus, stamp: Stamp | None = None) -> None:
    """The write that leaves no step PENDING ends the lease: no process is to run it any more."""
    if PENDING not in (row.discovery_status, row.accept_grant_status):
        row.lease_owner = row.lease_expires_at = None
        if stamp is not None:
            stamp.owner = None
