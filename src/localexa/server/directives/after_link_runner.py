"""The follow-ups of this process in the background (after_link.py holds the steps they run).

The enablement area calls `on_link(app, enablement_id)` after the enable-and-link POST has
committed (enablement/hooks.py); `AfterLinkRunner.start` runs the follow-up in a task of its own,
one per (customer, skill) at a time (a relink cancels the older one), and `wait` lets tests and
the admin API await it wherever it runs. While follow-ups run on a shared database, the runner
reads the state's generation every `WATCH_SECONDS` and cancels those a reset or restore through
another process replaced.

A process that stops finishes its follow-ups instead of dropping them (`begin_stop`, `drain`):
each goes on, as does one a link answered while the connections drain starts, but sends no
directive later than the directive timeout after the stop began: the window is asked before each
step and again right before its directive goes out, after the token refresh (since 2026-12-06;
a slow token URL let a step allowed before its refresh be sent after the window). A step it could
not send by then (`StopSending`), or whose answer it could not wait for (cut off), is handed over
(`_hand_over`): left PENDING, its lease ended at once, so another process serving the database
takes it over at its next sweep, or the restart does; this process sends nothing more. Until
2026-12-06 those steps ended FAILED with the call that sends them again; before that (QA of
2026-12-06), shutdown cancelled the follow-ups and left them PENDING with no process ever to run
them: `waitSeconds` waited to its end, in every process.

A process killed outright finishes nothing: every process renews the leases of the follow-ups it
runs and takes over those whose lease ran out (`keep_leases`; after_link_leases.py). A database
outage is no failure of a follow-up: it runs again once the database answers (after_link_outage.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import bindparam, select, text

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.db.engine import reading
from localexa.server.directives import after_link_leases as leases
from localexa.server.directives.after_link import follow_up_done, mark_pending
from localexa.server.directives.after_link_claim import InState, Stamp, StateReplaced
from localexa.server.directives.after_link_errors import end_on_error
from localexa.server.directives.after_link_outage import follow_through_outages
from localexa.server.directives.models import FOLLOW_UP_PENDING, AfterLinkStatus
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import StopSending
from localexa.server.enablement.models import Enablement
from localexa.server.observe.generation import (
    Erased,
    read_generation,
    work_began,
    work_erased,
    work_generation,
)

logger = logging.getLogger("localexa.directives")

#: Whose link an enablement is (the after-link hook is given the enablement's id).
_LINKED_PAIR = select(Enablement.customer_id, Enablement.skill_id).where(
    Enablement.id == bindparam("enablement_id")
)

_PENDING_PAIRS = select(AfterLinkStatus.customer_id, AfterLinkStatus.skill_id).where(text(FOLLOW_UP_PENDING))

#: How often `wait` reads the stored status while the follow-up is not (or not yet) running here.
POLL_SECONDS = 0.05
#: How often the runner reads the state's generation while follow-ups run on a shared database:
#: the longest a follow-up goes on waiting for a skill after a reset through another process
#: (the clock's refresh interval, core/clock.py, is the same).
WATCH_SECONDS = 0.5
#: How long a stopping process waits for its follow-ups past its last directive's timeout (a
#: token refresh before it, the writes after it) before it cuts them off (`drain`).
DRAIN_SLACK_SECONDS = 5.0


class AfterLinkRunner:
    """The background follow-ups of this process, one per (customer, skill) at a time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        #: The state's generation each follow-up running here began in (shared databases only).
        self._began: dict[asyncio.Task[Any], int] = {}
        #: Reads the generation while `_began` holds any (`_watch_generation`).
        self._watcher: asyncio.Task[None] | None = None
        #: Once the process begins to stop: the loop time after which no directive is sent.
        self._send_until: float | None = None
        #: Set while `drain` cancels the follow-ups that overran it (`_run` hands them over).
        self._cutting_off = False
        #: The follow-ups running here that hold a lease on their row: (customer, skill, stamp).
        self._leased: dict[asyncio.Task[Any], tuple[str, str, Stamp]] = {}
        #: Each follow-up's marker, set before a reset or restore cancels it (generation.py).
        self._erased: dict[asyncio.Task[Any], Erased] = {}
        #: Renews those leases and takes over abandoned follow-ups (`keep_leases`).
        self._keeper: asyncio.Task[None] | None = None
        self._keeper_failures = LogThrottle(logger, "after-link leases")

    async def start(self, customer_id: str, skill_id: str, *, take_over: bool = False) -> None:
        """Run the pair's follow-up here: a new link's (from the top), or (`take_over`) one whose
        process stopped renewing its lease, if this process wins the claim."""
        key = (customer_id, skill_id)
        # Registered before anything is awaited, so a `wait` from now on finds it.
        task = asyncio.create_task(
            self._run(customer_id, skill_id, self._tasks.get(key), take_over), name=f"after-link {skill_id}"
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

    async def _run(
        self, customer_id: str, skill_id: str, previous: asyncio.Task[None] | None, take_over: bool = False
    ) -> None:
        if previous is not None and not previous.done():
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        runtime = self.runtime
        stamp: Stamp | None = None
        task = asyncio.current_task()
        owner = leases.new_owner()
        # In this task's own context: its calls are journaled by when it began, so one answered
        # after a reset's cutoff but before the reset's hooks stop this task stays out of the
        # emptied journal on every database (on SQLite it landed there: readme37b F1).
        work_began.set(time.time())
        work_erased.set(erased := Erased())
        if task is not None:
            self._erased[task] = erased
        try:
            if take_over:
                stamp = await leases.claim(runtime, customer_id, skill_id, owner)
            else:
                stamp = await mark_pending(runtime, customer_id, skill_id, owner, leases.lease_until(runtime))
            if stamp is None:
                return
            if take_over:
                logger.warning(
                    "after-link follow-up for skill %s taken over (%s): the process running it "
                    "stopped renewing its lease",
                    skill_id,
                    ", ".join(stamp.steps),
                )
            if task is not None:
                self._leased[task] = (customer_id, skill_id, stamp)
            if stamp.generation is not None and task is not None:
                runtime = InState.of_follow_up(runtime, customer_id, skill_id, stamp.generation)
                # Set in this task's own context: the calls it makes carry it to the journal.
                work_generation.set(stamp.generation)
                self._watch(task, stamp.generation)
            # A database outage that cuts it short is no failure: run again (after_link_outage.py).
            await follow_through_outages(runtime, customer_id, skill_id, owner, stamp, self._may_send)
        except StopSending:
            await self._hand_over(customer_id, skill_id, owner, stamp, "not sent")
        except asyncio.CancelledError:
            if self._cutting_off:  # not a reset or a relink: those want it gone, not run again
                await self._hand_over(customer_id, skill_id, owner, stamp, "cut off")
            raise
        except StateReplaced:
            logger.info(
                "after-link follow-up for skill %s stopped: a reset or restore replaced its state", skill_id
            )
        except Exception as exc:
            # One line for a database outage, a traceback for anything unexpected (after_link_errors.py).
            await end_on_error(runtime, customer_id, skill_id, stamp, owner, exc, take_over=take_over)
        finally:
            if task is not None:
                self._began.pop(task, None)
                self._erased.pop(task, None)
                self._leased.pop(task, None)
            if stamp is not None and stamp.superseded and stamp.owner is not None:
                # Overtaken while it still held the lease (a single step sent through the admin
                # API): a step it no longer sends may still be PENDING; any process takes it now.
                with contextlib.suppress(Exception):
                    await leases.release(self.runtime, customer_id, skill_id, owner)

    async def _hand_over(
        self, customer_id: str, skill_id: str, owner: str, stamp: Stamp | None, why: str
    ) -> None:
        """The process stops with steps of this follow-up still PENDING: end its lease now, so
        another process (or the restart) takes them over at its next sweep, not a lease later.
        A step cut off while the skill had it is sent again there: the skill may see it twice.

        By `owner`, not by the stamp: the cut-off may have come between a write's commit and the
        stamp's update, or before `mark_pending` returned its stamp. The guarded update leaves a
        row a relink, a takeover or a restore wrote since alone (after_link_leases.py `release`)."""
        if stamp is not None:
            stamp.owner = None  # renewed no more (`_renew`)
        try:
            handed = await leases.release(self.runtime, customer_id, skill_id, owner)
        except Exception as exc:  # the database is away: the lease, no longer renewed, runs out
            logger.warning(
                "after-link follow-up for skill %s not handed over (%s): another process takes it "
                "over once its lease runs out",
                skill_id,
                type(exc).__name__,
            )
            return
        if handed:
            logger.warning(
                "after-link follow-up for skill %s handed over (%s): the server is stopping; "
                "another process or the restart takes it over",
                skill_id,
                why,
            )

    def _watch(self, task: asyncio.Task[Any], generation: int) -> None:
        self._began[task] = generation
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch_generation(), name="after-link generation")

    async def _watch_generation(self) -> None:
        """While follow-ups run here, read the state's generation every `WATCH_SECONDS` and
        cancel those that began in an older one: a reset or restore through another process
        replaced their state. Their transactions and their journal entries would be refused
        anyway (`InState`); this ends their wait for a slow skill (up to the directive timeout)
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
                    self._erased.get(task, Erased()).erased = True
                    task.cancel()

    def keep_leases(self) -> None:
        """From now on, renew the leases of the follow-ups running here and take over those no
        live process runs, at once and then every third of a lease (the directives router's
        lifespan calls it; it runs until `close`)."""
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep_leases(), name="after-link leases")

    async def _keep_leases(self) -> None:
        interval = self.runtime.settings.after_link_lease_seconds / 3
        while True:
            try:
                await self._renew()
                if self._send_until is None:  # a stopping process takes nothing more on
                    await self._take_over_abandoned()
                self._keeper_failures.succeeded()
            except Exception as exc:  # the database is away: the next round tries again
                self._keeper_failures.failed("after-link leases not kept: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    async def _renew(self) -> None:
        # Not those whose own last write ended the lease (`stamp.owner` None): nothing to hold.
        held = [(task, c, s, stamp) for task, (c, s, stamp) in self._leased.items() if stamp.owner]
        if not held:
            return
        renewed = await leases.renew(self.runtime, [(c, s, stamp.owner or "") for _, c, s, stamp in held])
        for (task, _, skill_id, stamp), renewal in zip(held, renewed, strict=True):
            if renewal is not leases.Renewal.KEPT and stamp.owner is not None and not task.done():
                # Paused past its lease (another process runs it now), overtaken by a relink, or
                # its row deleted: its writes would be dropped anyway; this ends its wait for the skill.
                leases.log_stopped(skill_id, renewal)
                task.cancel()

    async def _take_over_abandoned(self) -> None:
        found = await leases.due(self.runtime)
        unleased = [(c, s) for c, s, expires in found if expires is None]
        if unleased:
            await leases.arm(self.runtime, unleased)
        for customer_id, skill_id, expires in found:
            running = self._tasks.get((customer_id, skill_id))
            # One running here renews its own lease (above); a claim would only lose to it.
            if expires is not None and (running is None or running.done()):
                await self.start(customer_id, skill_id, take_over=True)

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

    def begin_stop(self) -> None:
        """The server begins to stop (server/stopping.py; its connections still drain): from the
        directive timeout on, the follow-ups send nothing more (module docstring)."""
        if self._send_until is None:
            timeout = self.runtime.settings.directive_timeout
            self._send_until = asyncio.get_running_loop().time() + timeout

    def _may_send(self) -> bool:
        return self._send_until is None or asyncio.get_running_loop().time() < self._send_until

    async def drain(self) -> None:
        """At shutdown: wait for this process's follow-ups to end, those started while the
        connections drained too. The last directive one may send has the directive timeout to be
        answered, and `DRAIN_SLACK_SECONDS` more for the rest; one still running then is cut off
        and handed over (`_hand_over`). With the defaults a stop waits at most 21 s for them."""
        self.begin_stop()
        assert self._send_until is not None
        loop = asyncio.get_running_loop()
        cut_off_at = self._send_until + self.runtime.settings.directive_timeout + DRAIN_SLACK_SECONDS
        if running := [t for t in self._tasks.values() if not t.done()]:
            # Why the stop takes a while: the process manager's log shows nothing else meanwhile.
            left = max(0.0, cut_off_at - loop.time())
            logger.info("waiting for %d after-link follow-up(s), at most %.0f s", len(running), left)
        while running := [t for t in self._tasks.values() if not t.done()]:
            left = cut_off_at - loop.time()
            if left <= 0:
                logger.warning(
                    "%d after-link follow-up(s) cut off and handed over: the server is stopping", len(running)
                )
                self._cutting_off = True
                try:
                    await self.aclose()
                finally:
                    self._cutting_off = False
                return
            await asyncio.wait(running, timeout=left)

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

    async def close(self) -> None:
        """At the very end: the follow-ups (`aclose`), and the renewals and takeovers."""
        await self.aclose()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._keeper
            self._keeper = None

    async def on_state_replaced(self, _app: Any = None) -> None:
        """A reset and restore hook (observe/state.py `on_reset`): the links these follow-ups
        serve are gone.

        Left running, a follow-up waiting for the skill would, once answered, put its outbound
        call in the journal of the next test (answered after the reset's cutoff) and could still
        send AcceptGrant for a link that no longer exists. Follow-ups in other processes sharing
        the database learn it from the state's generation (module docstring).

        A snapshot taken while a follow-up was under way holds it PENDING, and after a restore
        nothing ran it any more (the process that did may be gone): `wait` waited for it to its
        timeout. So the follow-ups a restored state holds as pending start again here (a restore
        leaves them without a lease: observe/state.py, so no other process takes them first)."""
        for erased in self._erased.values():
            erased.erased = True  # a call under way is not journaled as cancelled: its state is gone
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
