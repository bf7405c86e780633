"""What Alexa does once a customer has linked a skill: Discover, then AcceptGrant.

The enablement area calls `on_link(app, enablement_id)` after the enable-and-link POST has
committed (enablement/hooks.py). Like Amazon, localexa answers the app first: the hook starts the
follow-up in the background (it first marks it PENDING), so the POST does not wait for the skill.

1. `Alexa.Discovery.Discover` with the linked token; the endpoints found are stored.
2. When the skill has the permission `alexa::async_event:write`: `Alexa.Authorization.AcceptGrant`
   with a one-time grant code (valid 5 minutes) for the skill's messaging client and the linked
   token as grantee; the skill exchanges the code at /auth/o2/token for the customer's event token.

Each outcome (SUCCEEDED, or FAILED with the reason: no answer, an ErrorResponse, an invalid
answer) is kept in `after_link_status` and shown by the admin API. The background run lives in
the process that served the POST; `AfterLinkRunner.wait` lets tests and the admin API await it.

The hook runs only once the POST's answer is sent, so a caller may ask before the follow-up has
even been marked PENDING, and with several server processes the follow-up may run in another
one. So `wait` trusts the stored status in the end: it is done when neither step is PENDING and
the row was written since the link (an older row belongs to the previous link).

A relink through another process starts a new follow-up there while this one may still wait for
the skill; the relink's process cannot cancel it. So each follow-up writes the status row only
while the row still carries the stamp (`updated_at`) of its own last write (`Stamp`): once a newer
follow-up has marked the row PENDING, the older one's outcome is dropped and it sends nothing more.

A reset or restore replaces the state a follow-up serves. Through this process, its reset hook
cancels the follow-ups (`AfterLinkRunner.on_state_replaced`). Through another process sharing the
PostgreSQL database, the state's generation moves (observe/generation.py), and a follow-up that
began in an older one
- writes nothing more: each of its transactions first compares the generation (`_InState`), so
  neither its outcome nor the skill's messages, the devices found or a grant code land, and it
  sends no further directive (`StateReplaced` ends it);
- leaves nothing in the journal: the calls it makes are journaled only while its generation is
  current (observe/journal.py), checked in the transaction that writes them;
- stops waiting for the skill within `WATCH_SECONDS` (plus one read): while follow-ups run, the
  runner reads the generation that often and cancels those of an older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import as_utc
from localexa.server.core.errors import LocalexaError
from localexa.server.db.engine import reading
from localexa.server.directives.invoker import printable
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import (
    ASYNC_EVENT_PERMISSION,
    DirectiveRequest,
    DirectiveResult,
    send_directive,
)
from localexa.server.enablement.models import NOT_LINKED, Enablement
from localexa.server.enablement.repository import EnablementRepository
from localexa.server.lwa.repository import LwaRepository
from localexa.server.observe.generation import read_generation, shared, work_generation
from localexa.server.skills.repository import SkillRepository

logger = logging.getLogger("localexa.directives")

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
NOT_REQUIRED = "NOT_REQUIRED"
NOT_SENT = "NOT_SENT"

#: Whose link an enablement is (the after-link hook is given the enablement's id).
_LINKED_PAIR = select(Enablement.customer_id, Enablement.skill_id).where(
    Enablement.id == bindparam("enablement_id")
)

_PENDING_PAIRS = select(AfterLinkStatus.customer_id, AfterLinkStatus.skill_id).where(
    (AfterLinkStatus.discovery_status == PENDING) | (AfterLinkStatus.accept_grant_status == PENDING)
)

#: How often `wait` reads the stored status while the follow-up is not (or not yet) running here.
POLL_SECONDS = 0.05
#: How often the runner reads the state's generation while follow-ups run on a shared database:
#: the longest a follow-up goes on waiting for a skill after a reset through another process
#: (the clock's refresh interval, core/clock.py, is the same).
WATCH_SECONDS = 0.5

#: Read first by each transaction of a follow-up on a shared database (`_InState`).
_STATUS_STAMP = select(AfterLinkStatus.updated_at).where(
    AfterLinkStatus.customer_id == bindparam("customer_id"), AfterLinkStatus.skill_id == bindparam("skill_id")
)


class StateReplaced(Exception):
    """A reset or restore (through any process) replaced the state the follow-up began in."""


@dataclass
class Stamp:
    """A follow-up's claim on the status row: the `updated_at` of its own last write."""

    at: datetime
    #: Set once a newer follow-up (a relink, in this process or another) took the row over.
    superseded: bool = False
    #: The state's generation the follow-up began in (observe/generation.py); None on SQLite,
    #: whose one process stops its follow-ups itself.
    generation: int | None = None


@dataclass(frozen=True)
class _InState(Runtime):
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
    def of_follow_up(cls, runtime: Runtime, customer_id: str, skill_id: str, generation: int) -> _InState:
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


def outcome(result: DirectiveResult, expected_name: str) -> tuple[str, str | None]:
    """SUCCEEDED, or FAILED with a reason a developer can act on."""
    if result.error is not None:
        return FAILED, result.error["message"]
    # The answer is the skill's: any part of it may be of any JSON type.
    event = (result.response or {}).get("event")
    payload = event.get("payload") if isinstance(event, dict) else None
    if result.error_type is not None:
        message = payload.get("message") if isinstance(payload, dict) else None
        return FAILED, f"ErrorResponse {result.error_type}: {message or ''}".rstrip(": ")
    if result.verdict.get("name") != expected_name or not result.valid:
        problems = "; ".join(
            f"{p['path']}: {p['message']}" if p["path"] else p["message"] for p in result.verdict["problems"]
        )
        return FAILED, f"invalid answer: {problems}" if problems else f"expected {expected_name}"
    return SUCCEEDED, None


async def mark_pending(runtime: Runtime, customer_id: str, skill_id: str) -> Stamp | None:
    """Reset the follow-up status to PENDING; the follow-up's claim on the row, None when the
    skill is gone."""
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        if skill is None:
            return None
        repo = DirectiveRepository(session)
        row = await repo.status(customer_id, skill_id)
        if row is None:
            row = AfterLinkStatus(customer_id=customer_id, skill_id=skill_id)
            repo.add(row)
        row.discovery_status = PENDING
        row.discovery_message = None
        row.accept_grant_status = PENDING if ASYNC_EVENT_PERMISSION in skill.permissions else NOT_REQUIRED
        row.accept_grant_message = None
        row.updated_at = runtime.clock.now()
        # Read after the skill: in the state the row is written to (see `_InState`).
        generation = await read_generation(session) if shared(session.get_bind().dialect.name) else None
        return Stamp(row.updated_at, generation=generation)


def _taken_over(row: AfterLinkStatus, stamp: Stamp | None) -> bool:
    """Whether a newer follow-up wrote the row since `stamp` (never for calls without a stamp:
    the admin API's single directives)."""
    if stamp is None:
        return False
    if not stamp.superseded:
        stamp.superseded = as_utc(row.updated_at) != as_utc(stamp.at)
    return stamp.superseded


async def _save(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None, **fields: Any
) -> None:
    """Update the follow-up status of the pair (created on first use), unless a newer follow-up
    has taken the row over since `stamp`."""
    async with runtime.transaction() as session:
        repo = DirectiveRepository(session)
        row = await repo.status(customer_id, skill_id)
        if row is not None and _taken_over(row, stamp):
            logger.info("after-link outcome for skill %s dropped: a newer link's follow-up runs", skill_id)
            return
        if row is None:
            if await LwaRepository(session).customer(customer_id) is None:
                return
            if await SkillRepository(session).skill(skill_id) is None:
                return
            row = AfterLinkStatus(
                customer_id=customer_id,
                skill_id=skill_id,
                discovery_status=NOT_SENT,
                accept_grant_status=NOT_SENT,
            )
            repo.add(row)
        for name, value in fields.items():
            # A reason may quote the skill (an ErrorResponse's message): a NUL in it would make
            # PostgreSQL refuse the whole row, and the follow-up would end as an internal error.
            setattr(row, name, printable(value) if name.endswith("_message") and value else value)
        row.updated_at = runtime.clock.now()
        if stamp is not None:
            stamp.at = row.updated_at


async def discover(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None
) -> DirectiveResult:
    """Send Discover and keep its outcome. Raises (after keeping the reason) when it could not be sent."""

    async def still_current(session: AsyncSession) -> bool:
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        return row is None or not _taken_over(row, stamp)

    request = DirectiveRequest(
        customer_id,
        skill_id,
        "Alexa.Discovery",
        "Discover",
        still_current=still_current if stamp is not None else None,
    )
    try:
        result = await send_directive(runtime, request)
    except LocalexaError as exc:
        await _save(
            runtime,
            customer_id,
            skill_id,
            stamp,
            discovery_status=FAILED,
            discovery_message=exc.message,
            discovery_at=runtime.clock.now(),
        )
        raise
    status, message = outcome(result, "Alexa.Discovery.Discover.Response")
    await _save(
        runtime,
        customer_id,
        skill_id,
        stamp,
        discovery_status=status,
        discovery_message=message,
        discovery_at=runtime.clock.now(),
    )
    return result


async def accept_grant(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None
) -> DirectiveResult:
    """Send AcceptGrant and keep its outcome. Raises (after keeping the reason) when it could not be sent."""
    try:
        result = await send_directive(
            runtime, DirectiveRequest(customer_id, skill_id, "Alexa.Authorization", "AcceptGrant")
        )
    except LocalexaError as exc:
        await _save(
            runtime,
            customer_id,
            skill_id,
            stamp,
            accept_grant_status=FAILED,
            accept_grant_message=exc.message,
            accept_grant_at=runtime.clock.now(),
        )
        raise
    status, message = outcome(result, "Alexa.Authorization.AcceptGrant.Response")
    await _save(
        runtime,
        customer_id,
        skill_id,
        stamp,
        accept_grant_status=status,
        accept_grant_message=message,
        accept_grant_at=runtime.clock.now(),
    )
    return result


async def follow_link(runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None) -> None:
    """The whole follow-up: Discover, then AcceptGrant when the skill may send events.

    A step that cannot be sent has its reason kept; the next step still runs. A follow-up that a
    newer link's took over (`stamp`) stops: its AcceptGrant would hand out a grant for the old link.
    """
    with contextlib.suppress(LocalexaError):
        await discover(runtime, customer_id, skill_id, stamp)
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        wants_grant = skill is not None and ASYNC_EVENT_PERMISSION in skill.permissions
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        if row is not None and _taken_over(row, stamp):
            return
    if wants_grant:
        with contextlib.suppress(LocalexaError):
            await accept_grant(runtime, customer_id, skill_id, stamp)


async def _fail_pending(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None
) -> None:
    """Mark the steps still PENDING as FAILED (the follow-up broke off unexpectedly)."""
    async with runtime.transaction() as session:
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        if row is None or _taken_over(row, stamp):
            return
        reason = "the follow-up stopped on an internal error (see the server log)"
        if row.discovery_status == PENDING:
            row.discovery_status, row.discovery_message = FAILED, reason
        if row.accept_grant_status == PENDING:
            row.accept_grant_status, row.accept_grant_message = FAILED, reason
        row.updated_at = runtime.clock.now()


async def follow_up_done(runtime: Runtime, customer_id: str, skill_id: str) -> bool:
    """Whether the stored follow-up of the current link is over (or none is coming: no link)."""
    async with runtime.transaction() as session:
        enablement = await EnablementRepository(session).find(customer_id, skill_id)
        if enablement is None or enablement.linked_at is None or enablement.link_status == NOT_LINKED:
            return True
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        if row is None or PENDING in (row.discovery_status, row.accept_grant_status):
            return False
        # mark_pending stamps the row after the link; an older row is the previous link's.
        return as_utc(row.updated_at) >= as_utc(enablement.linked_at)


class AfterLinkRunner:
    """The background follow-ups of this process, one per (customer, skill) at a time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        #: The state's generation each follow-up running here began in (shared databases only).
        self._began: dict[asyncio.Task[Any], int] = {}
        #: Reads the generation while `_began` holds any (`_watch_generation`).
        self._watcher: asyncio.Task[None] | None = None

    async def start(self, customer_id: str, skill_id: str) -> None:
        key = (customer_id, skill_id)
        # Registered before anything is awaited, so a `wait` from now on finds it.
        task = asyncio.create_task(
            self._run(customer_id, skill_id, self._tasks.get(key)), name=f"after-link {skill_id}"
        )
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    def __len__(self) -> int:
        """Follow-ups this process holds (metrics): running ones, and finished ones until their
        done callback has run."""
        return len(self._tasks)

    def _forget(self, key: tuple[str, str], done: asyncio.Task[None]) -> None:
        # A finished follow-up is dropped, or the map would keep one task per link ever made;
        # a newer follow-up of the pair may already hold the key and stays.
        if self._tasks.get(key) is done:
            del self._tasks[key]

    async def _run(self, customer_id: str, skill_id: str, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        runtime = self.runtime
        stamp: Stamp | None = None
        task = asyncio.current_task()
        try:
            stamp = await mark_pending(runtime, customer_id, skill_id)
            if stamp is None:
                return
            if stamp.generation is not None and task is not None:
                runtime = _InState.of_follow_up(runtime, customer_id, skill_id, stamp.generation)
                # Set in this task's own context: the calls it makes carry it to the journal.
                work_generation.set(stamp.generation)
                self._watch(task, stamp.generation)
            await follow_link(runtime, customer_id, skill_id, stamp)
        except StateReplaced:
            logger.info(
                "after-link follow-up for skill %s stopped: a reset or restore replaced its state", skill_id
            )
        except Exception:
            logger.exception("after-link follow-up failed for skill %s", skill_id)
            # Not left PENDING: that would be untrue, and `wait` would wait for it to its end.
            with contextlib.suppress(Exception):
                await _fail_pending(runtime, customer_id, skill_id, stamp)
        finally:
            if task is not None:
                self._began.pop(task, None)

    def _watch(self, task: asyncio.Task[Any], generation: int) -> None:
        self._began[task] = generation
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch_generation(), name="after-link generation")

    async def _watch_generation(self) -> None:
        """While follow-ups run here, read the state's generation every `WATCH_SECONDS` and
        cancel those that began in an older one: a reset or restore through another process
        replaced their state. Their transactions and their journal entries would be refused
        anyway (`_InState`); this ends their wait for a slow skill (up to the directive timeout)
        and frees its connection or Lambda worker."""
        while self._began:
            await asyncio.sleep(WATCH_SECONDS)
            # Taken before the read: each of these began in a generation no newer than it reads.
            began = list(self._began.items())
            try:
                async with self.runtime.sessions() as session:
                    current = await read_generation(session)
            except Exception as exc:  # their own transactions still check it
                logger.warning("could not read the state's generation: %s", type(exc).__name__)
                continue
            for task, generation in began:
                if generation != current and not task.done():
                    logger.info("after-link follow-up stopped: a reset or restore through another process")
                    task.cancel()

    async def wait(self, customer_id: str, skill_id: str, timeout: float) -> bool:
        """Wait until the follow-up of the pair's current link is over, wherever it runs; False
        on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            task = self._tasks.get((customer_id, skill_id))
            if task is not None and not task.done():
                # Runs here: its end is the moment to look, no polling needed.
                await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
            if await follow_up_done(self.runtime, customer_id, skill_id):
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(POLL_SECONDS, left))

    async def aclose(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        if self._watcher is not None and not self._watcher.done():
            tasks.append(self._watcher)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._watcher = None

    async def on_state_replaced(self, _app: Any = None) -> None:
        """A reset and restore hook (observe/state.py `on_reset`): the links these follow-ups
        serve are gone.

        Left running, a follow-up waiting for the skill would, once answered, put its outbound
        call in the journal of the next test (answered after the reset's cutoff) and could still
        send AcceptGrant for a link that no longer exists. Follow-ups in other processes sharing
        the database learn it from the state's generation (module docstring).

        A snapshot taken while a follow-up was under way holds it PENDING, and after a restore
        nothing ran it any more (the process that did may be gone): `wait` waited for it to its
        timeout. So the follow-ups a restored state holds as pending start again here."""
        await self.aclose()
        async with self.runtime.sessions() as session:
            pending = (await session.execute(_PENDING_PAIRS)).all()
        for customer_id, skill_id in pending:
            await self.start(customer_id, skill_id)


async def on_link(app: Any, enablement_id: str) -> None:
    """The after-link hook (enablement/hooks.py signature): start the follow-up."""
    runner: AfterLinkRunner = app.state.after_link_runner
    # Only reads (the link is committed): no write transaction, which on SQLite queued behind the
    # process's writers for the lock, and on PostgreSQL cost a BEGIN and a COMMIT.
    async with app.state.engine.connect() as conn:
        await reading(conn)
        found = (await conn.execute(_LINKED_PAIR, {"enablement_id": enablement_id})).first()
    if found is None:
        return
    await runner.start(found.customer_id, found.skill_id)
