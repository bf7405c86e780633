"""A follow-up that a database outage cuts short is run again, not failed (after_link_runner.py
runs it through `follow_through_outages`).

An outage (what db/outage.py `is_outage` tells: a connection lost, the database unreachable, a
whole kind of write refused) is not the follow-up's failure. Until 2026-12-07 a follow-up whose
connection was cut while the database came straight back (a `pg_terminate_backend`, a PostgreSQL
restart) had its PENDING steps marked FAILED, "the follow-up stopped on an internal error", and
was never run again (followup40 F1). Now:

- its steps stay PENDING and this process tries to run it again after a short back-off
  (`BACKOFF_SECONDS`), for at most a lease (`after_link_lease_seconds`): the lease it holds is
  still renewed meanwhile, so no other process takes it first. The run again (`resume`,
  after_link_leases.py) is guarded by the lease's owner, counts as one of the follow-up's
  `MAX_ATTEMPTS` runs, and sends the steps still PENDING (a skill may see a step twice);
- a follow-up cut short on its last run ends FAILED with a message naming the outage;
- past the lease, the database still away, it ends here (after_link_errors.py says so) with its
  steps PENDING under a lease no longer renewed: the next sweep of any process serving the
  database, this one included, takes it over once the lease runs out.

A step whose directive a database outage kept from being recorded (`_send_and_keep`,
after_link.py) raises the outage too: it was kept as that step's FAILED reason ("The database
cannot be reached now") when the database was back for that write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from localexa.server.db.outage import cause_of, is_outage
from localexa.server.directives import after_link_leases as leases
from localexa.server.directives.after_link import follow_link, retry_call
from localexa.server.directives.after_link_claim import Stamp
from localexa.server.directives.runtime import Runtime

logger = logging.getLogger("localexa.directives")

#: The waits before each try to run the follow-up again, the last one repeated: a lost connection
#: is renewed at once, a restarted PostgreSQL takes connections within a second or two.
BACKOFF_SECONDS = (0.25, 0.5, 1.0, 2.0)


async def follow_through_outages(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    owner: str,
    stamp: Stamp,
    may_send: Callable[[], bool],
) -> None:
    """`follow_link`, run again after each database outage that cuts it short (module docstring);
    raises the outage when it lasts past a lease, anything else at once."""
    while True:
        try:
            await follow_link(runtime, customer_id, skill_id, stamp, may_send)
            return
        except Exception as exc:
            if not is_outage(exc):
                raise
            cut = exc
        if not await _run_again(runtime, customer_id, skill_id, owner, stamp, cut):
            return


async def _run_again(
    runtime: Runtime, customer_id: str, skill_id: str, owner: str, stamp: Stamp, cut: Exception
) -> bool:
    """Wait for the database, then take the follow-up up again; whether it goes on."""
    lease = runtime.settings.after_link_lease_seconds
    logger.warning(
        "after-link follow-up for skill %s interrupted: %s; its steps stay PENDING and this process "
        "sends them again once the database answers (for %g s; then any process serving the "
        "database takes it over once its lease runs out; at most %d runs in all)",
        skill_id,
        outage_cause(cut),
        lease,
        leases.MAX_ATTEMPTS,
    )
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + lease
    for delay in _backoff():
        await asyncio.sleep(max(0.0, min(delay, give_up_at - loop.time())))
        try:
            resumed, steps = await leases.resume(
                runtime, customer_id, skill_id, owner, stamp, outage_cause(cut)
            )
        except Exception as exc:
            if not is_outage(exc) or loop.time() >= give_up_at:
                raise
            continue
        if resumed is leases.Resumed.GAVE_UP:
            calls = ", ".join(retry_call(customer_id, skill_id, step) for step in steps)
            logger.warning(
                "after-link follow-up for skill %s stopped: %s; %s marked FAILED after %d runs, "
                "not run again: send with %s",
                skill_id,
                outage_cause(cut),
                " and ".join(steps),
                leases.MAX_ATTEMPTS,
                calls,
            )
        elif resumed is leases.Resumed.RESUMED:
            logger.info("after-link follow-up for skill %s runs again: the database answers", skill_id)
        return resumed is leases.Resumed.RESUMED
    raise AssertionError("unreachable: the back-off never ends")  # pragma: no cover


def _backoff() -> Iterator[float]:
    yield from BACKOFF_SECONDS
    while True:
        yield BACKOFF_SECONDS[-1]


def outage_cause(exc: Exception) -> str:
    """The outage in words that name no secret (the database's URL without its password)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"its connection to the database was lost ({cause_of(exc)})"
    if isinstance(exc, PoolTimeout):
        return "no connection to the database came free in time"
    return str(exc)  # localexa's own: DatabaseUnreachable, DatabaseFull, SequenceExhausted …
