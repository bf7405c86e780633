"""How a follow-up that raised ends (after_link_runner.py `_run`): what the log says of it, and
what becomes of its steps.

- Its customer, skill or link deleted under it (a foreign key refused its write): one info line;
  nothing is left to write or to mark.
- The database out of reach, a connection to it lost, or a whole kind of write refused (what
  db/outage.py `is_outage` tells, and what the engine already logged, throttled): one warning
  without traceback, naming the follow-up, the cause and what happens next. Until 2026-12-07 it
  was an ERROR with a traceback of some 60 lines per follow-up, for an outage the log had said.
- Anything else: ERROR with its traceback, as before.

In the last two the steps still PENDING are marked FAILED (`fail_pending`) when the database
takes that write: not run again, the admin API sends each. When it does not (the database still
away), the row stays PENDING under a lease no longer renewed, so once the lease runs out the
next sweep of any process serving the database, this one included, takes it over and sends those
steps again (after_link_leases.py; a follow-up run `MAX_ATTEMPTS` times ends FAILED). A
follow-up whose PENDING row was never written (`mark_pending` failed) is run by no one.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from localexa.server.db.integrity import Violation, violation
from localexa.server.db.outage import cause_of, is_outage
from localexa.server.directives.after_link import fail_pending, retry_call
from localexa.server.directives.after_link_claim import STEPS, Stamp
from localexa.server.directives.after_link_leases import MAX_ATTEMPTS
from localexa.server.directives.runtime import Runtime

logger = logging.getLogger("localexa.directives")


async def end_on_error(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    stamp: Stamp | None,
    owner: str,
    exc: Exception,
    *,
    take_over: bool,
) -> None:
    """Log the follow-up's end on `exc` (module docstring) and mark the PENDING steps `owner`
    holds FAILED when the database lets it."""
    if isinstance(exc, IntegrityError) and violation(exc) is Violation.FOREIGN_KEY:
        # Its customer, skill or link was deleted under it (a reset or restore on SQLite, where
        # no generation is kept, or a disable): no traceback for an expected end (QA under load,
        # 2026-12-05).
        logger.info("after-link follow-up for skill %s stopped: its data was deleted while it ran", skill_id)
        return
    outage = is_outage(exc)
    if not outage:
        logger.error("after-link follow-up failed for skill %s", skill_id, exc_info=exc)
    # Not left PENDING: that would be untrue, and `wait` would wait for it to its end.
    marked: list[str] | None
    try:
        marked = await fail_pending(runtime, customer_id, skill_id, stamp, owner)
    except Exception:  # the database is still away: the lease decides (module docstring)
        marked = None
    if outage:
        logger.warning(
            "after-link follow-up for skill %s stopped: %s; %s",
            skill_id,
            _cause(exc),
            _next(runtime, customer_id, skill_id, stamp, marked, take_over),
        )


def _cause(exc: Exception) -> str:
    """The outage in words that name no secret (the database's URL without its password)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"its connection to the database was lost ({cause_of(exc)})"
    if isinstance(exc, PoolTimeout):
        return "no connection to the database came free in time"
    return str(exc)  # localexa's own: DatabaseUnreachable, DatabaseFull, SequenceExhausted …


def _next(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    stamp: Stamp | None,
    marked: list[str] | None,
    take_over: bool,
) -> str:
    """What becomes of the follow-up's steps."""
    if stamp is None and marked is None and take_over:
        return "not taken over now; its lease has run out, so a later sweep tries again"
    if stamp is None and marked is None:
        calls = ", ".join(retry_call(customer_id, skill_id, step) for step in STEPS)
        return f"not begun (its status could not be stored), so not run again: send its steps with {calls}"
    if marked is None:
        lease = runtime.settings.after_link_lease_seconds
        return (
            f"its steps stay PENDING and are sent again once its lease runs out (within {lease:g} s), "
            f"by this process or another serving the database (at most {MAX_ATTEMPTS} runs in all)"
        )
    if not marked:
        return "nothing of it was left PENDING under its lease (a newer run holds it, or it is gone)"
    calls = ", ".join(retry_call(customer_id, skill_id, step) for step in marked)
    return f"{' and '.join(marked)} marked FAILED, not run again: send with {calls}"
