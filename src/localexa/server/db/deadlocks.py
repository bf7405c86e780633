"""A call PostgreSQL ends to settle a deadlock answers 503, not 500.

PostgreSQL settles a deadlock by aborting one of the transactions in it (SQLSTATE 40P01,
`deadlock_detected`): that call's transaction is rolled back whole, so nothing of it is stored,
and the same call made again goes through. Unhandled, it answered 500 "deadlock detected" in every
API (QA of 2026-12-05: ordinary calls during a reset on PostgreSQL under load; the reset now
gives way first, observe/state.py, and this is what is left). Answered as the stale-plan case is
(db/stale_plans.py): 503 in the API's own shape with `Retry-After: 1`.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.errors import ServiceUnavailable

logger = logging.getLogger("localexa.db")

DEADLOCK_DETECTED = "40P01"


class DeadlockVictim(ServiceUnavailable):
    """PostgreSQL ended this call's transaction to settle a deadlock; nothing of it was stored."""

    def __init__(self) -> None:
        super().__init__(
            "The database ended this request to settle a deadlock with another one (a reset or "
            "restore taking its tables, say); nothing of the request was stored. Retry the request.",
            headers={"Retry-After": "1"},
        )


def answer_deadlocks_with_503(engine: AsyncEngine) -> None:
    """Raise DeadlockVictim for a statement PostgreSQL aborted to end a deadlock."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _answer_503(context: ExceptionContext) -> None:
        original: Any = context.original_exception
        if getattr(original, "sqlstate", None) == DEADLOCK_DETECTED:
            if (context.statement or "").lstrip().upper().startswith("LOCK TABLE"):
                # A reset or restore giving way, as it means to (observe/state.py tries again):
                # no warning (one reset logged it 45 times while its call was answered 200).
                logger.debug("a reset's lock try gave way in a deadlock")
            else:
                # Answered 503 unless the caller stores again (a customer's account link does).
                logger.warning("the database ended a transaction to settle a deadlock")
            raise DeadlockVictim() from context.sqlalchemy_exception
