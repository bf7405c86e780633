"""What Alexa does once a customer has linked a skill: Discover, then AcceptGrant.

The enablement area calls `on_link(app, enablement_id)` (after_link_runner.py) after the
enable-and-link POST has committed (enablement/hooks.py). Like Amazon, localexa answers the app
first: the hook starts the follow-up in the background (it first marks it PENDING), so the POST
does not wait for the skill. This module holds the follow-up's steps and their stored status.

1. `Alexa.Discovery.Discover` with the linked token; the endpoints found are stored.
2. When the skill has the permission `alexa::async_event:write`: `Alexa.Authorization.AcceptGrant`
   with a one-time grant code (valid 5 minutes) for the skill's messaging client and the linked
   token as grantee; the skill exchanges the code at /auth/o2/token for the customer's event token.

Each outcome (SUCCEEDED, or FAILED with the reason: no answer, an ErrorResponse, an invalid
answer) is kept in `after_link_status` and shown by the admin API. The background run lives in
the process that served the POST, which finishes it, within a bound, when it stops;
`AfterLinkRunner.wait` (after_link_runner.py) lets tests and the admin API await it. While it
runs, that process holds a lease on the row; a follow-up whose process died (its lease ran out)
is taken over by another process or the restart, which sends the steps still PENDING again
(since 2026-12-06: after_link_leases.py). One its stopping process could not finish is handed
over the same way, its lease ended at once (`StopSending`, after_link_runner.py).

The hook runs only once the POST's answer is sent, so a caller may ask before the follow-up has
even been marked PENDING, and with several server processes the follow-up may run in another
one. So `wait` trusts the stored status in the end: it is done when neither step is PENDING and
the row was written since the link (an older row belongs to the previous link).

A follow-up writes only while it still holds its claim on the row and on the state it began in
(a relink or a takeover may supersede it, a reset or restore replace its state):
after_link_claim.py says how.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from localexa.server.core.clock import as_utc
from localexa.server.core.errors import LocalexaError
from localexa.server.db.outage import is_outage
from localexa.server.directives.after_link_claim import (
    FAILED,
    NOT_REQUIRED,
    NOT_SENT,
    PENDING,
    STEPS,
    SUCCEEDED,
    Stamp,
    end_lease_when_done,
    taken_over,
)
from localexa.server.directives.invoker import printable
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import (
    ASYNC_EVENT_PERMISSION,
    DirectiveRequest,
    DirectiveResult,
    StopSending,
    send_directive,
)
from localexa.server.enablement.models import NOT_LINKED
from localexa.server.enablement.repository import EnablementRepository
from localexa.server.lwa.repository import LwaRepository
from localexa.server.observe.generation import read_generation, shared
from localexa.server.observe.redaction import redact_json
from localexa.server.skills.repository import SkillRepository

logger = logging.getLogger("localexa.directives")


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


async def mark_pending(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    owner: str | None = None,
    lease_until: datetime | None = None,
) -> Stamp | None:
    """Reset the follow-up status to PENDING under the lease of `owner` (a first run); the
    follow-up's claim on the row, None when the skill is gone."""
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
        row.lease_owner, row.lease_expires_at, row.attempts = owner, lease_until, 1
        # Read after the skill: in the state the row is written to (see `InState`).
        generation = await read_generation(session) if shared(session.get_bind().dialect.name) else None
        return Stamp(row.updated_at, owner=owner, generation=generation)


async def _save(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None, **fields: Any
) -> None:
    """Update the follow-up status of the pair (created on first use), unless a newer follow-up
    has taken the row over since `stamp`, or the row went with its customer or skill."""
    try:
        await _save_once(runtime, customer_id, skill_id, stamp, **fields)
    except StaleDataError:
        # The row was read, then deleted before its UPDATE: its customer or skill was deleted
        # (`DELETE /_localexa/customers|skills` cascades it). Nothing is left to keep; it was
        # logged as a failed follow-up with a traceback (PostgreSQL, 2026-12-07).
        logger.info("after-link outcome for skill %s dropped: its customer or skill was deleted", skill_id)


async def _save_once(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None, **fields: Any
) -> None:
    async with runtime.transaction() as session:
        repo = DirectiveRepository(session)
        row = await repo.status(customer_id, skill_id)
        if row is not None and taken_over(row, stamp):
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
            # It may quote the skill's or its token server's text too: redacted as the journal
            # redacts a JSON string (an `Atza|…` token, a secret field of a URL or JSON it holds).
            if name.endswith("_message") and isinstance(value, str) and value:
                value = printable(redact_json(value))
            setattr(row, name, value)
        row.updated_at = runtime.clock.now()
        end_lease_when_done(row, stamp)
        if stamp is not None:
            stamp.at = row.updated_at


async def discover(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    stamp: Stamp | None = None,
    may_send: Callable[[], bool] | None = None,
) -> DirectiveResult:
    """Send Discover and keep its outcome. Raises (after keeping the reason) when it could not be
    sent; `StopSending` (nothing kept) when `may_send` says no right before it goes out."""

    async def still_current(session: AsyncSession) -> bool:
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        return row is None or not taken_over(row, stamp)

    request = DirectiveRequest(
        customer_id,
        skill_id,
        "Alexa.Discovery",
        "Discover",
        still_current=still_current if stamp is not None else None,
        may_send=may_send,
    )
    return await _send_and_keep(runtime, request, "discovery", "Alexa.Discovery.Discover.Response", stamp)


async def accept_grant(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    stamp: Stamp | None = None,
    may_send: Callable[[], bool] | None = None,
) -> DirectiveResult:
    """Send AcceptGrant and keep its outcome. Raises (after keeping the reason) when it could not
    be sent; `StopSending` (nothing kept) when `may_send` says no right before it goes out."""
    request = DirectiveRequest(customer_id, skill_id, "Alexa.Authorization", "AcceptGrant", may_send=may_send)
    return await _send_and_keep(
        runtime, request, "accept_grant", "Alexa.Authorization.AcceptGrant.Response", stamp
    )


async def _send_and_keep(
    runtime: Runtime, request: DirectiveRequest, step: str, expected_name: str, stamp: Stamp | None
) -> DirectiveResult:
    """Send one follow-up step and keep its outcome in the `<step>_status/_message/_at` columns,
    also when a follow-up's step could not be sent (then raise).

    A single step the admin API asked for (no `stamp`) that is refused before anything goes out
    (no such customer or skill, not enabled or linked, a skill without the permission for
    AcceptGrant, the token server down) keeps nothing: the caller has the refusal, and the stored
    status stays the outcome of the last step sent (until 2026-12-06 a refused `…/accept-grant`
    turned `NOT_REQUIRED` into `FAILED`, and any refused call stopped a follow-up under way)."""
    try:
        result = await send_directive(runtime, request)
    except LocalexaError as exc:
        # A database outage is not the step's outcome: the follow-up runs it again
        # (after_link_outage.py); kept, it read "The database cannot be reached now".
        if stamp is not None and not is_outage(exc):
            await _keep(runtime, request, step, FAILED, exc.message, stamp)
        raise
    status, reason = outcome(result, expected_name)
    await _keep(runtime, request, step, status, reason, stamp)
    return result


async def _keep(
    runtime: Runtime,
    request: DirectiveRequest,
    step: str,
    status: str,
    message: str | None,
    stamp: Stamp | None,
) -> None:
    fields = {f"{step}_status": status, f"{step}_message": message, f"{step}_at": runtime.clock.now()}
    await _save(runtime, request.user_id, request.skill_id, stamp, **fields)


def retry_call(customer_id: str, skill_id: str, step: str) -> str:
    """The admin call that sends a step again."""
    path = "discover" if step == "discovery" else "accept-grant"
    return f"POST /_localexa/customers/{customer_id}/skills/{skill_id}/{path}"


def _always() -> bool:
    return True


@contextlib.contextmanager
def _unless_outage() -> Iterator[None]:
    """A step refused (its reason kept) lets the next one run; a database outage ends the run."""
    try:
        yield
    except LocalexaError as exc:
        if is_outage(exc):
            raise


async def follow_link(
    runtime: Runtime,
    customer_id: str,
    skill_id: str,
    stamp: Stamp | None = None,
    may_send: Callable[[], bool] = _always,
) -> None:
    """The whole follow-up: Discover, then AcceptGrant when the skill may send events.

    A step that cannot be sent has its reason kept; the next step still runs. A follow-up that a
    newer link's took over (`stamp`) stops: its AcceptGrant would hand out a grant for the old link.
    Before a step that `may_send` no longer allows (its process is stopping: after_link_runner.py)
    it raises `StopSending`, the step left PENDING for a takeover (until 2026-12-06 it ended FAILED
    with the call that sends it). `may_send` is asked again right before the directive goes out,
    after the token was refreshed (which may take the token exchange timeout): until 2026-12-06 a
    step allowed before a slow refresh was sent after it, past the window. A follow-up taken over
    from another process sends only `stamp.steps`.
    """
    steps = stamp.steps if stamp is not None else STEPS
    if "discovery" in steps:
        if not may_send():
            raise StopSending
        with _unless_outage():
            await discover(runtime, customer_id, skill_id, stamp, may_send)
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        wants_grant = skill is not None and ASYNC_EVENT_PERMISSION in skill.permissions
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        if row is not None and taken_over(row, stamp):
            return
        grant_pending = row is not None and row.accept_grant_status == PENDING
    if grant_pending and not wants_grant:
        # The skill lost the permission since the link: nothing to send, and left PENDING no
        # one would ever end it (a takeover would only find the same).
        await _save(runtime, customer_id, skill_id, stamp, accept_grant_status=NOT_REQUIRED)
        return
    if wants_grant and "accept_grant" in steps:
        if not may_send():
            raise StopSending
        with _unless_outage():
            await accept_grant(runtime, customer_id, skill_id, stamp, may_send)


async def fail_pending(
    runtime: Runtime, customer_id: str, skill_id: str, stamp: Stamp | None = None, owner: str | None = None
) -> list[str]:
    """Mark the steps still PENDING as FAILED: the follow-up of `owner` broke off on an error of
    its own (not a database outage: after_link_outage.py). The steps marked: none when the row is
    gone or `owner` does not hold its lease.

    By the lease only: a run whose `mark_pending` or claim failed has no stamp, and until
    2026-12-07 it marked any PENDING row of the pair, one another process ran under its own lease
    included (followup40 F3). Its owner is the run's own token, so a relink, a takeover or a
    restore since (each writes another owner, or none) is left alone."""
    async with runtime.transaction() as session:
        row = await DirectiveRepository(session).status(customer_id, skill_id)
        if row is None or owner is None or row.lease_owner != owner:
            return []
        internal = "the follow-up stopped on an internal error (see the server log)"
        marked = [step for step in STEPS if getattr(row, f"{step}_status") == PENDING]
        for step in marked:
            setattr(row, f"{step}_status", FAILED)
            setattr(row, f"{step}_message", internal)
        row.updated_at = runtime.clock.now()
        end_lease_when_done(row, stamp)
        return marked


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
