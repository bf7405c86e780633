"""Leases on the after-link follow-ups: one that no live process runs is run again.

Until 2026-12-06 a follow-up lived only in the task of the process that answered the link. A
process killed (SIGKILL, the OOM killer, Docker's kill after its 10 s grace, a second Ctrl-C) left
its steps PENDING for ever: `waitSeconds` waited to its end in every process, also after a
restart, on SQLite and on PostgreSQL. Now, as the evaluation worker's runs (evaluation/
repository.py):

- While a step is PENDING the row carries a lease: `lease_owner`, a token of that one run (the
  host, the process and a random part), and `lease_expires_at`, by the wall clock (localexa's own
  clock moves at the admin API's word). `mark_pending` (after_link.py) sets it, the runner renews
  it every third of the lease while the follow-up runs (after_link_runner.py), and the write that
  leaves no step PENDING clears it.
- Every process looks, at its start and then every third of a lease, for PENDING rows whose lease
  ran out (`due`: one read of a partial index that holds only the PENDING rows) and takes each
  over with a guarded UPDATE (`claim`): on PostgreSQL a second claimer waits for the first one's
  row lock, reads the new lease and updates nothing; SQLite runs one writer at a time. So exactly
  one process runs it again. It sends the steps still PENDING: a Discover the skill answered but
  the dead process had not stored is sent again, so a skill may see a step twice.
- A claim moves `updated_at` and the owner: a process that was only paused past its lease (not
  dead) finds its follow-up taken over at its next write and writes and sends nothing more
  (after_link_claim.py `taken_over`); its renewal fails too and the runner stops it.
- A PENDING row without a lease (from before this revision, written by an older localexa serving
  the same database, or restored from a snapshot) is first given one owned by no process (`arm`):
  whatever may still run it has a lease's time, then it is taken over like any other.
- A process that stops gracefully (SIGTERM, Ctrl-C) hands over, since 2026-12-06, the steps it
  could not send before its stop deadline or that were cut off (`release`, after_link_runner.py):
  they stay PENDING and its lease ends at once, so the next sweep of another process (or of the
  restart) takes them over without waiting out a lease. Before, they ended FAILED.
- `attempts` counts the runs of the link's follow-up, a handed-over run as much as a killed one:
  one that ended unfinished `MAX_ATTEMPTS` times ends FAILED with the call that sends each step,
  instead of taking down (or stopping with) process after process.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.db.engine import reading
from localexa.server.directives.after_link import retry_call
from localexa.server.directives.after_link_claim import FAILED, PENDING, STEPS, Stamp, end_lease_when_done
from localexa.server.directives.models import FOLLOW_UP_PENDING, AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.observe.generation import read_generation, shared

logger = logging.getLogger("localexa.directives")

#: Runs of one link's follow-up (the first and the takeovers) before a takeover gives up.
MAX_ATTEMPTS = 3
#: Abandoned follow-ups one sweep takes over at most (the rest at the next ones): after a crash
#: under load, not hundreds of Discovers at once from the first process to look.
SWEEP_LIMIT = 50

_Status = AfterLinkStatus

#: The pending rows whose lease ran out or that have none; oldest lease first.
_DUE = (
    select(_Status.customer_id, _Status.skill_id, _Status.lease_expires_at)
    .where(text(FOLLOW_UP_PENDING))
    .where(or_(_Status.lease_expires_at.is_(None), _Status.lease_expires_at < bindparam("now")))
    .order_by(_Status.lease_expires_at)
    .limit(SWEEP_LIMIT)
)


def wall_now() -> datetime:
    """Leases use the wall clock: localexa's clock can jump forward (time travel)."""
    return datetime.now(UTC)


def lease_until(runtime: Runtime) -> datetime:
    return wall_now() + timedelta(seconds=runtime.settings.after_link_lease_seconds)


def new_owner() -> str:
    """A lease owner for one run of a follow-up: the process, and a part of the run's own, so a
    run that ended cannot be taken for a newer one of the same process."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}#{uuid.uuid4().hex[:8]}"


def _pair(customer_id: str, skill_id: str) -> ColumnElement[bool]:
    return and_(_Status.customer_id == customer_id, _Status.skill_id == skill_id)


async def _update(session: AsyncSession, where: ColumnElement[bool], **values: Any) -> bool:
    result = await session.execute(
        update(_Status).where(where).values(**values).execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def due(runtime: Runtime) -> list[tuple[str, str, datetime | None]]:
    """(customer, skill, lease end or None) of the follow-ups no process holds a lease on."""
    if runtime.engine is None:  # a runtime made by hand
        async with runtime.sessions() as session:
            rows = (await session.execute(_DUE, {"now": wall_now()})).all()
    else:
        # Only a read, every third of a lease in every process: on SQLite no write lock (which
        # would queue behind the process's writers), on PostgreSQL no BEGIN and COMMIT.
        async with runtime.engine.connect() as conn:
            await reading(conn)
            rows = (await conn.execute(_DUE, {"now": wall_now()})).all()
    return [(row.customer_id, row.skill_id, row.lease_expires_at) for row in rows]


async def arm(runtime: Runtime, pairs: Sequence[tuple[str, str]]) -> None:
    """Give the PENDING rows without a lease one owned by no process (module docstring)."""
    until = lease_until(runtime)
    unleased = and_(
        text(FOLLOW_UP_PENDING), _Status.lease_owner.is_(None), _Status.lease_expires_at.is_(None)
    )
    async with runtime.transaction() as session:
        for customer_id, skill_id in pairs:
            await _update(session, and_(_pair(customer_id, skill_id), unleased), lease_expires_at=until)


class Renewal(enum.Enum):
    """What a lease renewal found (`renew`)."""

    KEPT = "kept"
    #: Another owner holds the row: a takeover (this process paused past its lease) or a relink.
    LOST = "lost"
    #: No row: its customer or skill was deleted (the admin API's DELETE cascades it) or a reset
    #: emptied the table.
    GONE = "gone"


async def renew(runtime: Runtime, held: Sequence[tuple[str, str, str]]) -> list[Renewal]:
    """Renew the leases (customer, skill, owner) this process holds, in one transaction; for
    each, whether it still held it, and if not, whether its row is still there."""
    until = lease_until(runtime)
    found: list[Renewal] = []
    async with runtime.transaction() as session:
        for c, s, owner in held:
            if await _update(
                session, and_(_pair(c, s), _Status.lease_owner == owner), lease_expires_at=until
            ):
                found.append(Renewal.KEPT)
            elif (await session.execute(select(_Status.skill_id).where(_pair(c, s)))).first() is None:
                found.append(Renewal.GONE)
            else:
                found.append(Renewal.LOST)
    return found


def log_stopped(skill_id: str, renewal: Renewal) -> None:
    """The line for a follow-up stopped because its lease could not be renewed."""
    if renewal is Renewal.GONE:
        # An expected end, as an evaluation run's (evaluation/worker.py `RunDeleted`): it warned
        # that the follow-up had lost its lease, which was not so (admindelete F3).
        logger.info("after-link follow-up for skill %s stopped: its data was deleted while it ran", skill_id)
    else:
        logger.warning("after-link follow-up for skill %s stopped: it lost its lease", skill_id)


async def release(runtime: Runtime, customer_id: str, skill_id: str, owner: str) -> bool:
    """End `owner`'s lease at once, so any process takes the follow-up over at its next sweep: it
    ended here with a step still PENDING (its process is stopping, or a single Discover or
    AcceptGrant through the admin API overtook it); whether it still held one.

    The lease is left owned by no one: a renewal this process already had under way then updates
    nothing (`renew`), where it would have held the follow-up a whole lease more. A run that is
    not `owner`'s (a relink, a takeover, a restore: each writes an owner of its own or none) is
    left alone, so a follow-up its link no longer wants is never revived."""
    async with runtime.transaction() as session:
        held = and_(_pair(customer_id, skill_id), _Status.lease_owner == owner, text(FOLLOW_UP_PENDING))
        return await _update(session, held, lease_owner=None, lease_expires_at=wall_now())


async def claim(runtime: Runtime, customer_id: str, skill_id: str, owner: str) -> Stamp | None:
    """Take the pair's abandoned follow-up over for `owner`: its stamp, with the steps still
    PENDING; None when it is not due any more (another process took it, it ended, it was given
    up on here)."""
    now = wall_now()
    async with runtime.transaction() as session:
        taken = await _update(
            session,
            and_(_pair(customer_id, skill_id), text(FOLLOW_UP_PENDING), _Status.lease_expires_at < now),
            lease_owner=owner,
            lease_expires_at=lease_until(runtime),
            updated_at=runtime.clock.now(),
            attempts=func.coalesce(_Status.attempts, 1) + 1,
        )
        if not taken:
            return None
        row = await session.get(_Status, (customer_id, skill_id), populate_existing=True)
        assert row is not None
        steps = tuple(step for step in STEPS if getattr(row, f"{step}_status") == PENDING)
        attempts = row.attempts or 0
        if attempts > MAX_ATTEMPTS:
            # Not "stopped" alone: a run a long database outage cut short is taken over too
            # (after_link_outage.py), and this process cannot tell which it was.
            runs = attempts - 1
            why = f"the server processes that ran the follow-up stopped or lost the database {runs} times"
            _give_up(row, steps, f"{why} before it ended")
            return None
        # Read after the row: in the state the follow-up runs in (after_link_claim.py `InState`).
        generation = await read_generation(session) if shared(session.get_bind().dialect.name) else None
        return Stamp(row.updated_at, owner=owner, steps=steps, generation=generation)


def _give_up(row: AfterLinkStatus, steps: Sequence[str], why: str) -> None:
    """End a follow-up run `MAX_ATTEMPTS` times: its PENDING steps FAILED, each with `why` and
    the call that sends it."""
    for step in steps:
        setattr(row, f"{step}_status", FAILED)
        call = retry_call(row.customer_id, row.skill_id, step)
        setattr(row, f"{step}_message", f"not finished: {why}; send it with {call}")
    end_lease_when_done(row)


class Resumed(enum.Enum):
    """What `resume` did."""

    #: The follow-up runs again, its stamp renewed.
    RESUMED = "resumed"
    #: It had been run `MAX_ATTEMPTS` times: its PENDING steps are FAILED now.
    GAVE_UP = "gave up"
    #: `owner` holds no PENDING row of the pair any more (a relink, a takeover, a reset, a
    #: restore, or its last write committed although its answer was lost).
    NOT_HELD = "not held"


async def resume(
    runtime: Runtime, customer_id: str, skill_id: str, owner: str, stamp: Stamp, outage: str
) -> tuple[Resumed, tuple[str, ...]]:
    """Run `owner`'s follow-up again once a database outage that cut it short is over
    (after_link_outage.py): a run more, as a takeover counts one; what it did and the steps still
    PENDING. `stamp` is renewed in place; `outage` names the outage for a follow-up given up on.

    Guarded by the lease's owner, not the stamp: the write the outage cut may have committed
    with its answer lost, which moved `updated_at` but not the owner."""
    async with runtime.transaction() as session:
        held = and_(_pair(customer_id, skill_id), text(FOLLOW_UP_PENDING), _Status.lease_owner == owner)
        again = {"lease_expires_at": lease_until(runtime), "updated_at": runtime.clock.now()}
        if not await _update(session, held, **again, attempts=func.coalesce(_Status.attempts, 1) + 1):
            return Resumed.NOT_HELD, ()
        row = await session.get(_Status, (customer_id, skill_id), populate_existing=True)
        assert row is not None
        steps = tuple(step for step in STEPS if getattr(row, f"{step}_status") == PENDING)
        attempts = row.attempts or 0
        if attempts > MAX_ATTEMPTS:
            _give_up(
                row, steps, f"a database outage cut its run short {attempts - 1} times (the last: {outage})"
            )
            stamp.owner = None
            return Resumed.GAVE_UP, steps
        stamp.at, stamp.owner, stamp.steps, stamp.superseded = row.updated_at, owner, steps, False
        return Resumed.RESUMED, steps
