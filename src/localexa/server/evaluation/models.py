"""Capability evaluation runs and their test case results (spec alexa-api-surface.md §2).

A run is a job in the database, not a task in one process (DESIGN.md "Capability evaluation"):

- `status` is PENDING until a worker claims it, then IN_PROGRESS, then PASSED, FAILED or ERROR.
  The wire shows PENDING as IN_PROGRESS (`EvaluationEntityStatus` has no queued state).
- The worker that claims it holds a lease (`lease_owner`, `lease_expires_at`, by the wall clock,
  never localexa's movable clock) and renews it while it works. A run whose lease expired is
  claimed again by any process and resumed at `next_case`; `attempts` counts the claims, so a run
  that keeps killing its process ends as ERROR instead of looping.
- `active_key` ("skillId endpointId") is set while the run is PENDING or IN_PROGRESS and cleared
  when it ends; its unique index makes "one run per endpoint at a time" (the 409) hold across
  processes without a lock.
- `created_at` is the run's `startTimestamp` (localexa's clock), `ended_at` its `endTimestamp`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base

PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
PASSED = "PASSED"
FAILED = "FAILED"
ERROR = "ERROR"
FINISHED = (PASSED, FAILED, ERROR)


class CapabilityEvaluation(Base):
    __tablename__ = "capability_evaluations"
    __table_args__ = (
        Index("ix_capability_evaluations_skill_stage_created", "skill_id", "stage", "created_at", "id"),
        Index("ix_capability_evaluations_status_lease", "status", "lease_expires_at"),
        # Newest-first pages of the console over every skill's runs (0013).
        Index("ix_capability_evaluations_created_at", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    #: The developer's own Amazon account the run uses (enablement, link, discovered endpoints).
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    endpoint_id: Mapped[str] = mapped_column(String(256))
    test_plan_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    active_key: Mapped[str | None] = mapped_column(String(500), nullable=True, unique=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The test plan's name and size, kept so the metrics survive a plan file that changes.
    test_plan_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    total_cases: Mapped[int] = mapped_column(Integer, default=0)
    next_case: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CapabilityTestCaseResult(Base):
    """One test case of a run, written once the case is done (so a resumed run skips it)."""

    __tablename__ = "capability_test_case_results"

    evaluation_id: Mapped[str] = mapped_column(
        ForeignKey("capability_evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # PASSED | FAILED | ERROR
    directive: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actual_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    expected_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actual_states: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expected_states: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: {"code", "message"} of an ERROR case (a FAILED one shows itself: actual vs expected).
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Why a FAILED case failed, in words (an answer that broke the schema, a state that differs).
    reasons: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
