"""How a follow-up that raised ends (after_link_runner.py `_run`): what the log says of it, and
what becomes of its steps.

- Its customer, skill or link deleted under it (a foreign key refused its write): one info line;
  nothing is left to write or to mark.
- The database out of reach, a connection to it lost, or a whole kind of write refused (what
  db/outage.py `is_outage` tells, and what the engine already logged, throttled): not the
  follow-up's failure. One that began was run again by this process for a lease
  (after_link_outage.py); it ends here only when the outage outlasted that, with one warning
  without traceback naming it, the cause and what happens next: its steps stay PENDING under a
  lease no longer renewed, so once the lease runs out the next sweep of any process serving the
  database, this one included, takes it over and sends them again (after_link_leases.py; a
  follow-up run `MAX_ATTEMPTS` times ends FAILED). A follow-up whose PENDING row was never
  written (`mark_pending` failed) is run by no one. Until 2026-12-07 its steps were marked FAILED
  "on an internal error" whenever the database was back in time for that write (followup40 F1),
  and before that it was an ERROR with a traceback of some 60 lines per follow-up.
- Anything else: ERROR with its traceback, and the PENDING steps the run holds (its lease's
  owner) are marked FAILED (`fail_pending`) when the database takes that write: not run again,
  the admin API sends each.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.exc import IntegrityError

from localexa.server.db.integrity import Violation, violation
from localexa.server.db.outage import is_outage
from localexa.server.directives.after_link import fail_pending, retry_call
from localexa.server.directives.after_link_claim import STEPS, Stamp
from localexa.server.directives.after_link_leases import MAX_ATTEMPTS
from localexa.server.directives.after_link_outage import outage_cause
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
    """Log the follow-up's end on `exc` (module docstring); for an error of its own, mark the
    PENDING steps `owner` holds FAILED when the database lets it."""
    if isinstance(exc, IntegrityError) and violation(exc) is Violation.FOREIGN_KEY:
        # Its customer, skill or link was deleted under it (a reset or restore on SQLite, where
        # no generation is kept, or a disable): no traceback for an expected end (QA under load,
        # 2026-12-05).
        logger.info("after-link follow-up for skill %s stopped: its data was deleted while it ran", skill_id)
        return
    if is_outage(exc):
        # Not the follow-up's failure: its steps stay PENDING for the lease's takeover.
        logger.warning(
            "after-link follow-up for skill %s stopped: %s; %s",
            skill_id,
            outage_cause(exc),
            _next(runtime, customer_id, skill_id, stamp, take_over),
        )
        return
    logger.error("after-link follow-up failed for skill %s", skill_id, exc_info=exc)
    # Not left PENDING: that would be untrue, and `wait` would wait for it to its end.
    with contextlib.suppress(Exception):  # the database went away since: the lease decides
        await fail_pending(runtime, customer_id, skill_id, stamp, owner)


def _next(runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None, take_over: bool) -> str:
    """What becomes of the follow-up's steps."""
    if stamp is None and take_over:
        return "not taken over now; its lease has run out, so a later sweep tries again"
    if stamp is None:
        calls = ", ".join(retry_call(customer_id, skill_id, step) for step in STEPS)
        return f"not begun (its status could not be stored), so not run again: send its steps with {calls}"
    lease = runtime.settings.after_link_lease_seconds
    return (
        f"its steps stay PENDING and are sent again once its lease runs out (within {lease:g} s), "
        f"by this process or another serving the database (at most {MAX_ATTEMPTS} runs in all)"
    )
