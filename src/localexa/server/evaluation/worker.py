"""The background worker: every server process runs one, and any of them runs any run.

DESIGN.md "Capability evaluation": a run is a job in the database, so it survives the process that accepted
it. The worker polls for due runs (and is woken at once by a POST in its own process), claims up to
`concurrent_runs` (repository.py: SKIP LOCKED on PostgreSQL, compare-and-set on SQLite), each with a lease
by the wall clock renewed while it works (heartbeat), and writes each test case as it finishes. A process
that dies stops renewing; once a lease expires the next worker to poll resumes that run at its first
unfinished test case, or, after `max_attempts` claims, ends it in ERROR. A run is never left IN_PROGRESS.
Lifecycle: `start_evaluation_worker(app)` in the lifespan; `begin_stop` as the server begins to stop
(server/stopping.py), `stop_evaluation_worker(app)` at shutdown. Once the stop begins no directive goes out
(the one in flight is answered, within `stop_grace`), and each run is handed over with the test case it was
in unrecorded, for the next worker to run again from its first set-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.db.integrity import Violation, violation
from localexa.server.db.outage import cause_of, is_outage
from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.cases import CaseOutcome, run_case_in_time, timed_out
from localexa.server.evaluation.channel import StateReplaced, StopGate
from localexa.server.evaluation.jobs import (
    ChannelFactory,
    Job,
    LeaseLost,
    RunDeleted,
    Stopping,
    WorkerConfig,
    directive_channel,
    wall_now,
)
from localexa.server.evaluation.models import (
    ERROR,
    FAILED,
    PASSED,
    CapabilityEvaluation,
    CapabilityTestCaseResult,
)
from localexa.server.evaluation.prerequisites import (
    RunError,
    check_account,
    check_endpoint,
    discover,
    find_plan,
)
from localexa.server.evaluation.repository import EvaluationRepository
from localexa.server.evaluation.schemas import ErrorCode
from localexa.server.observe.generation import work_began

logger = logging.getLogger("localexa.evaluation")
#: A run's lease ends when another process takes it over, and when a reset or restore replaces
#: the state under it (the line named only the first, also in a single process after a restore).
LEASE_LOST = "lease lost (another process took the run over, or a reset or restore replaced it); stopped here"


class EvaluationWorker:
    def __init__(
        self,
        runtime: Runtime | Callable[[], Runtime],
        *,
        engine: AsyncEngine | None = None,
        config: WorkerConfig | None = None,
        owner: str | None = None,
        wall: Callable[[], datetime] = wall_now,
        channel_factory: ChannelFactory = directive_channel,
    ) -> None:
        # A factory resolves on first use: other lifespan steps may still be starting.
        self._runtime = runtime if isinstance(runtime, Runtime) else None
        self._make_runtime = runtime if not isinstance(runtime, Runtime) else None
        self.engine = engine
        self.config = config or WorkerConfig()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wall = wall
        self.channel_factory = channel_factory
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: When a reset or restore through this process last replaced the state (wall clock).
        self._replaced_at = 0.0
        self._poll_failures = LogThrottle(logger, f"evaluation worker {self.owner}")  # not a line a second

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            assert self._make_runtime is not None
            self._runtime = self._make_runtime()
        return self._runtime

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"evaluation worker {self.owner}")

    def wake(self) -> None:
        self._wake.set()

    def state_replaced(self) -> None:
        """A reset or restore through this process (observe/state.py): the runs claimed before it
        send nothing more (the directive in flight is answered, and journaled no more)."""
        self._replaced_at = time.time()
        self._wake.set()  # a restored run under way is due at once

    def begin_stop(self) -> None:
        """The server begins to stop (server/stopping.py): from now on no run is claimed and no
        directive sent; each run in hand is handed over once its directive in flight is answered,
        while the server's connections still drain. `stop` then waits for that."""
        self._stopping = True
        self._wake.set()

    async def stop(self) -> None:
        """Stop polling; each run in hand stops after its current step (the directive in flight
        is answered, no new one is sent: `StopGate`) and is handed over at once.

        The worker is not cancelled in the middle of a step if it can be helped: a task cancelled
        inside a database transaction can leave its connection holding SQLite's write lock. Only a
        step that overruns `stop_grace` (a skill that hangs) is cancelled; its run then waits for
        its lease to expire."""
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.config.stop_grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    if self.engine is not None:
                        await self.runtime.clock.refresh(self.engine)
                    await self._claim_while_free(running)
                    self._poll_failures.succeeded()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a traceback only for what is no database outage
                    self._poll_failures.failed(
                        "evaluation worker %s: a poll failed: %s",
                        self.owner,
                        cause_of(exc),
                        exc_info=not is_outage(exc),
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
        finally:
            # Stopping: each run stops after its current step and is handed over (execute); a
            # cancelled loop (past stop_grace) cancels them with it.
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _claim_while_free(self, running: set[asyncio.Task[None]]) -> None:
        """Claim due runs until `concurrent_runs` are under way. One at a time, a skill that never
        answers held every other developer's run behind it for a minute a case."""

        def ended(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wake.set()  # a free slot: look for the next due run at once

        while len(running) < self.config.concurrent_runs and not self._stopping:
            job = await self.claim()
            if job is None:
                return
            task = asyncio.create_task(self.execute(job), name=f"evaluation run {job.id}")
            running.add(task)
            task.add_done_callback(ended)

    def _lease_until(self) -> datetime:
        return self.wall() + timedelta(seconds=self.config.lease_seconds)

    async def claim(self) -> Job | None:
        claimed_at = time.time()  # before the claim: a reset after it cuts the run's calls
        lease = f"{self.owner}#{uuid.uuid4().hex[:8]}"
        async with self.runtime.transaction() as session:
            row = await EvaluationRepository(session).claim_next(lease, self.wall(), self._lease_until())
            if row is None:
                return None
            return Job(
                id=row.id,
                skill_id=row.skill_id,
                customer_id=row.customer_id,
                stage=row.stage,
                endpoint_id=row.endpoint_id,
                test_plan_id=row.test_plan_id,
                next_case=row.next_case,
                attempts=row.attempts,
                claimed_at=claimed_at,
                lease=lease,
            )

    async def run_once(self) -> bool:
        """Claim one due run and carry it to its end; False when none was due."""
        job = await self.claim()
        if job is None:
            return False
        await self.execute(job)
        return True

    async def execute(self, job: Job) -> None:
        context = contextvars.copy_context()  # the calls of the run carry when it was claimed
        context.run(work_began.set, job.claimed_at)
        work = asyncio.create_task(self._work(job), name=f"evaluation {job.id}", context=context)
        beat = asyncio.create_task(self._heartbeat(job, work), name=f"evaluation heartbeat {job.id}")
        try:
            await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the worker is stopping
            logger.warning("evaluation %s: %s", job.id, LEASE_LOST)
        except RunDeleted:
            # `DELETE /_localexa/skills/{id}` or `/customers/{id}` took the run with it: an
            # expected end, not a lease another process took.
            logger.info("evaluation %s: its data was deleted while it ran; stopped here", job.id)
        except LeaseLost:
            logger.warning("evaluation %s: %s", job.id, LEASE_LOST)
        except StateReplaced:
            logger.info("evaluation %s: a reset or restore replaced its state; stopped here", job.id)
        except Stopping:
            logger.info("evaluation %s: handed over (this process is stopping)", job.id)
            await self._release(job, handed_over=True)
        except IntegrityError as exc:
            if violation(exc) is not Violation.FOREIGN_KEY:
                logger.exception("evaluation %s failed in this process; handing it back", job.id)
            else:
                # Its skill, customer or the run itself was deleted under it (a reset or restore
                # elsewhere): nothing is left to resume, so no stack trace for an expected end.
                logger.info("evaluation %s: its data was deleted while it ran; stopped here", job.id)
            await self._release(job)
        except Exception:
            # Not the skill's fault (a database error, a bug): hand the run back at once, so it is
            # claimed again and resumed; `max_attempts` bounds how often.
            logger.exception("evaluation %s failed in this process; handing it back", job.id)
            await self._release(job)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _release(self, job: Job, *, handed_over: bool = False) -> None:
        """Let any process (this one included) claim the run again now."""
        with contextlib.suppress(Exception):
            async with self.runtime.transaction() as session:
                repo = EvaluationRepository(session)
                await repo.release_lease(job.id, job.lease, self.wall(), handed_over=handed_over)

    def _check_stopping(self) -> None:
        if self._stopping:
            raise Stopping()

    async def _heartbeat(self, job: Job, work: asyncio.Task[None]) -> None:
        interval = self.config.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.runtime.transaction() as session:
                    held = await EvaluationRepository(session).renew_lease(
                        job.id, job.lease, self._lease_until()
                    )
            except Exception:
                logger.warning("evaluation %s: heartbeat failed; retrying", job.id, exc_info=True)
                continue
            if not held:
                work.cancel()
                return

    async def _work(self, job: Job) -> None:
        try:
            plan = find_plan(job.test_plan_id)
            await self._held(
                job,
                lambda repo: repo.set_plan(
                    job.id, job.lease, name=plan.name, total_cases=len(plan.test_cases)
                ),
            )
            if job.attempts > self.config.max_attempts:
                cases = plan.test_cases
                case = cases[min(job.next_case, len(cases) - 1)].name if cases else "none"
                message = (
                    f"The evaluation was interrupted {job.attempts - 1} times (its server process stopped "
                    f"or failed; last during test case {case}); it is not resumed again."
                )
                if job.next_case < len(cases):
                    # The case it was in never finished: an error case, so the metrics and the
                    # results say which one (the cases after it never ran and are not listed).
                    interrupted = timed_out(cases[job.next_case], message, job.endpoint_id)
                    with contextlib.suppress(IntegrityError):  # recorded already: end all the same
                        await self._record(job, job.next_case, interrupted)
                raise RunError(ErrorCode.TEST_CASE_TIME_OUT, message)
            await check_account(self.runtime, user_id=job.customer_id, skill_id=job.skill_id, stage=job.stage)
            channel = StopGate(
                self.channel_factory(self.runtime, job),
                lambda: self._stopping,
                lambda: job.claimed_at is not None and self._replaced_at >= job.claimed_at,
            )
            self._check_stopping()
            await discover(channel, job.endpoint_id)
            await check_endpoint(
                self.runtime,
                plan,
                user_id=job.customer_id,
                skill_id=job.skill_id,
                endpoint_id=job.endpoint_id,
            )
            for ordinal in range(job.next_case, len(plan.test_cases)):
                self._check_stopping()
                test_case, timeout = plan.test_cases[ordinal], self.config.case_timeout
                outcome = await run_case_in_time(channel, test_case, job.endpoint_id, timeout, job.id)
                await self._record(job, ordinal, outcome)
            await self._conclude(job)
        except RunError as exc:
            logger.info("evaluation %s: %s", job.id, exc)
            await self._finish(job, ERROR, exc.code.value, exc.message)

    async def _record(self, job: Job, ordinal: int, outcome: CaseOutcome) -> None:
        row = CapabilityTestCaseResult(
            evaluation_id=job.id,
            ordinal=ordinal,
            name=outcome.name,
            status=outcome.status,
            directive=outcome.directive,
            actual_response=outcome.actual_response,
            expected_response=outcome.expected_response,
            actual_states=outcome.actual_states,
            expected_states=outcome.expected_states,
            error=outcome.error,
            reasons=outcome.reasons or None,
        )
        await self._held(job, lambda repo: repo.record_result(job.lease, row, self._lease_until()))

    async def _conclude(self, job: Job) -> None:
        async with self.runtime.transaction() as session:
            repo = EvaluationRepository(session)
            counts = await repo.result_counts(job.id)
            errors = [r for r in await repo.results(job.id) if r.status == ERROR] if counts.get(ERROR) else []
        if errors:
            first = errors[0].error or {}
            count, name = len(errors), errors[0].name
            message = f"{count} test case(s) did not finish; the first, {name}: {first.get('message')}"
            await self._finish(job, ERROR, ErrorCode.TEST_CASE_TIME_OUT.value, message)
        else:
            await self._finish(job, FAILED if counts.get(FAILED) else PASSED)

    async def _finish(
        self, job: Job, status: str, code: str | None = None, message: str | None = None
    ) -> None:
        ended = self.runtime.clock.now()
        await self._held(
            job,
            lambda repo: repo.finish(
                job.id, job.lease, status=status, ended_at=ended, error_code=code, error_message=message
            ),
        )
        logger.info("evaluation %s ended %s%s", job.id, status, f" ({code})" if code else "")

    async def _held(self, job: Job, write: Callable[[EvaluationRepository], Awaitable[bool]]) -> None:
        """Run a guarded write in its own transaction; LeaseLost when this owner lost the run,
        RunDeleted when the run is gone."""
        async with self.runtime.transaction() as session:
            if not await write(EvaluationRepository(session)):
                if await session.get(CapabilityEvaluation, job.id) is None:
                    raise RunDeleted()
                raise LeaseLost()


def worker_of(app: Any) -> EvaluationWorker | None:
    worker: EvaluationWorker | None = getattr(app.state, "evaluation_worker", None)
    return worker


async def start_evaluation_worker(app: Any) -> None:
    """Lifespan step (app.py): this process's worker, polling from now on."""
    state = app.state
    config = WorkerConfig(
        lease_seconds=state.settings.evaluation_lease_seconds,
        case_timeout=state.settings.evaluation_case_timeout,
        concurrent_runs=state.settings.evaluation_concurrent_runs,
    )
    worker = EvaluationWorker(lambda: Runtime.of(state), engine=state.engine, config=config)
    app.state.evaluation_worker = worker
    worker.start()


async def stop_evaluation_worker(app: Any) -> None:
    worker = worker_of(app)
    if worker is not None:
        await worker.stop()
