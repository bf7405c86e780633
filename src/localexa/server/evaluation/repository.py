"""All SQL of the capability evaluation area: runs, their results, and the job queue.

Claiming a job (DESIGN.md "Jobs are claimed from the database"):
- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks the oldest due run no other transaction is
  claiming, then the row is updated in the same transaction.
- SQLite: an atomic compare-and-set, `UPDATE … WHERE id = :candidate AND <still due>`; one
  rowcount tells whether this process won (SQLite serialises writers, so exactly one does).
A run is due when it is PENDING, or IN_PROGRESS with a lease that expired by the wall clock.
Every later write of the claimer is guarded by `lease_owner = :me`, so a process that lost its
lease (paused too long, and another took over) cannot overwrite the run. `:me` is the claim's
own token (the worker's name and a random part, evaluation/jobs.py `Job.lease`), so a claim that
a restore ended cannot write into a new claim of the same worker either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.errors import Conflict
from localexa.server.evaluation.models import (
    IN_PROGRESS,
    PENDING,
    CapabilityEvaluation,
    CapabilityTestCaseResult,
)

BUSY_MESSAGE = "A test run is already in progress for the specified endpoint"

Evaluation = CapabilityEvaluation
Result = CapabilityTestCaseResult


def active_key(skill_id: str, endpoint_id: str) -> str:
    return f"{skill_id} {endpoint_id}"


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        Evaluation.status == PENDING,
        and_(Evaluation.status == IN_PROGRESS, Evaluation.lease_expires_at < now),
    )


class EvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- runs (API side) -------------------------------------------------------------------------

    async def add(self, row: Evaluation) -> None:
        """Insert a new run; 409 when a run for the same endpoint is still active."""
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(BUSY_MESSAGE, code="CONFLICT") from exc

    async def get(self, evaluation_id: str) -> Evaluation | None:
        return await self.session.get(Evaluation, evaluation_id)

    def list_query(
        self, skill_id: str, stage: str, start_from: datetime | None, start_to: datetime | None
    ) -> Select[Evaluation]:
        query = select(Evaluation).where(Evaluation.skill_id == skill_id, Evaluation.stage == stage)
        if start_from is not None:
            query = query.where(Evaluation.created_at >= start_from)
        if start_to is not None:
            query = query.where(Evaluation.created_at <= start_to)
        return query

    # -- results ---------------------------------------------------------------------------------

    def results_query(self, evaluation_id: str) -> Select[Result]:
        return select(Result).where(Result.evaluation_id == evaluation_id)

    async def result_count(self, evaluation_id: str) -> int:
        query = select(func.count()).select_from(Result).where(Result.evaluation_id == evaluation_id)
        return int((await self.session.execute(query)).scalar_one())

    async def result_counts(self, evaluation_id: str) -> dict[str, int]:
        query = (
            select(Result.status, func.count())
            .where(Result.evaluation_id == evaluation_id)
            .group_by(Result.status)
        )
        return {str(status): int(count) for status, count in (await self.session.execute(query)).all()}

    async def results(self, evaluation_id: str) -> Sequence[Result]:
        query = self.results_query(evaluation_id).order_by(Result.ordinal)
        return (await self.session.execute(query)).scalars().all()

    # -- the job queue (worker side) -------------------------------------------------------------

    async def claim_next(self, owner: str, now: datetime, lease_until: datetime) -> Evaluation | None:
        """Claim the oldest due run for `owner`; None when there is none (or another won it)."""
        oldest_due = (
            select(Evaluation).where(_due(now)).order_by(Evaluation.created_at, Evaluation.id).limit(1)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            row = (
                await self.session.execute(oldest_due.with_for_update(skip_locked=True))
            ).scalar_one_or_none()
            if row is None:
                return None
            row.status, row.lease_owner, row.lease_expires_at = IN_PROGRESS, owner, lease_until
            row.attempts = (row.attempts or 0) + 1
            await self.session.flush()
            return row
        candidate = (
            await self.session.execute(oldest_due.with_only_columns(Evaluation.id))
        ).scalar_one_or_none()
        if candidate is None:
            return None
        claimed = await self._update(
            and_(Evaluation.id == candidate, _due(now)),
            status=IN_PROGRESS,
            lease_owner=owner,
            lease_expires_at=lease_until,
            attempts=Evaluation.attempts + 1,
        )
        if not claimed:
            return None
        return await self.session.get(Evaluation, candidate, populate_existing=True)

    async def renew_lease(self, evaluation_id: str, owner: str, lease_until: datetime) -> bool:
        """Heartbeat: False when this owner no longer holds the run."""
        return await self._update(self._held(evaluation_id, owner), lease_expires_at=lease_until)

    async def release_lease(
        self, evaluation_id: str, owner: str, now: datetime, *, handed_over: bool = False
    ) -> bool:
        """Let another process resume the run at once (this one is shutting down). A run handed
        over by a clean stop gives its claim back: only interruptions count towards the claims
        that end a run in ERROR (three clean restarts of a server ended a run; README QA)."""
        if handed_over:
            return await self._update(
                self._held(evaluation_id, owner), lease_expires_at=now, attempts=Evaluation.attempts - 1
            )
        return await self._update(self._held(evaluation_id, owner), lease_expires_at=now)

    async def record_result(self, owner: str, row: Result, lease_until: datetime) -> bool:
        """Store one finished test case and move the run past it; False (nothing written) when
        the lease was lost."""
        advanced = await self._update(
            self._held(row.evaluation_id, owner), next_case=row.ordinal + 1, lease_expires_at=lease_until
        )
        if advanced:
            self.session.add(row)
            await self.session.flush()
        return advanced

    async def finish(
        self,
        evaluation_id: str,
        owner: str,
        *,
        status: str,
        ended_at: datetime,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> bool:
        return await self._update(
            self._held(evaluation_id, owner),
            status=status,
            ended_at=ended_at,
            error_code=error_code,
            error_message=error_message,
            active_key=None,
            lease_owner=None,
            lease_expires_at=None,
        )

    async def set_plan(self, evaluation_id: str, owner: str, *, name: str, total_cases: int) -> bool:
        return await self._update(
            self._held(evaluation_id, owner), test_plan_name=name, total_cases=total_cases
        )

    @staticmethod
    def _held(evaluation_id: str, owner: str) -> ColumnElement[bool]:
        return and_(
            Evaluation.id == evaluation_id,
            Evaluation.lease_owner == owner,
            Evaluation.status == IN_PROGRESS,
        )

    async def _update(self, where: ColumnElement[bool], **values: Any) -> bool:
        result = await self.session.execute(
            update(Evaluation).where(where).values(**values).execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1
