"""What Alexa does once a customer has linked a skill: Discover, then AcceptGrant.

The enablement area calls `on_link(app, enablement_id)` after the enable-and-link POST has
committed (enablement/hooks.py). Like Amazon, localexa answers the app first: the hook marks the
follow-up PENDING and starts it in the background, so the POST does not wait for the skill.

1. `Alexa.Discovery.Discover` with the linked token; the endpoints found are stored.
2. When the skill has the permission `alexa::async_event:write`: `Alexa.Authorization.AcceptGrant`
   with a one-time grant code (valid 5 minutes) for the skill's messaging client and the linked
   token as grantee; the skill exchanges the code at /auth/o2/token for the customer's event token.

Each outcome (SUCCEEDED, or FAILED with the reason: no answer, an ErrorResponse, an invalid
answer) is kept in `after_link_status` and shown by the admin API. The background run lives in
the process that served the POST; `AfterLinkRunner.wait` lets tests and the admin API await it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from localexa.server.core.errors import LocalexaError
from localexa.server.directives.models import AfterLinkStatus
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import (
    ASYNC_EVENT_PERMISSION,
    DirectiveRequest,
    DirectiveResult,
    send_directive,
)
from localexa.server.enablement.repository import EnablementRepository
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.repository import SkillRepository

logger = logging.getLogger("localexa.directives")

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
NOT_REQUIRED = "NOT_REQUIRED"
NOT_SENT = "NOT_SENT"


def outcome(result: DirectiveResult, expected_name: str) -> tuple[str, str | None]:
    """SUCCEEDED, or FAILED with a reason a developer can act on."""
    if result.error is not None:
        return FAILED, result.error["message"]
    response = result.response or {}
    payload = response.get("event", {}).get("payload", {}) if isinstance(response, dict) else {}
    if result.error_type is not None:
        message = payload.get("message") if isinstance(payload, dict) else None
        return FAILED, f"ErrorResponse {result.error_type}: {message or ''}".rstrip(": ")
    if result.verdict.get("name") != expected_name or not result.valid:
        problems = "; ".join(
            f"{p['path']}: {p['message']}" if p["path"] else p["message"] for p in result.verdict["problems"]
        )
        return FAILED, f"invalid answer: {problems}" if problems else f"expected {expected_name}"
    return SUCCEEDED, None


async def mark_pending(runtime: Runtime, customer_id: str, skill_id: str) -> bool:
    """Reset the follow-up status to PENDING; False when the skill is gone."""
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        if skill is None:
            return False
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
        return True


async def _save(runtime: Runtime, customer_id: str, skill_id: str, **fields: Any) -> None:
    """Update the follow-up status of the pair (created on first use)."""
    async with runtime.transaction() as session:
        repo = DirectiveRepository(session)
        row = await repo.status(customer_id, skill_id)
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
            setattr(row, name, value)
        row.updated_at = runtime.clock.now()


async def discover(runtime: Runtime, customer_id: str, skill_id: str) -> DirectiveResult:
    """Send Discover and keep its outcome. Raises (after keeping the reason) when it could not be sent."""
    try:
        result = await send_directive(
            runtime, DirectiveRequest(customer_id, skill_id, "Alexa.Discovery", "Discover")
        )
    except LocalexaError as exc:
        await _save(
            runtime,
            customer_id,
            skill_id,
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
        discovery_status=status,
        discovery_message=message,
        discovery_at=runtime.clock.now(),
    )
    return result


async def accept_grant(runtime: Runtime, customer_id: str, skill_id: str) -> DirectiveResult:
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
        accept_grant_status=status,
        accept_grant_message=message,
        accept_grant_at=runtime.clock.now(),
    )
    return result


async def follow_link(runtime: Runtime, customer_id: str, skill_id: str) -> None:
    """The whole follow-up: Discover, then AcceptGrant when the skill may send events.

    A step that cannot be sent has its reason kept; the next step still runs.
    """
    with contextlib.suppress(LocalexaError):
        await discover(runtime, customer_id, skill_id)
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        wants_grant = skill is not None and ASYNC_EVENT_PERMISSION in skill.permissions
    if wants_grant:
        with contextlib.suppress(LocalexaError):
            await accept_grant(runtime, customer_id, skill_id)


class AfterLinkRunner:
    """The background follow-ups of this process, one per (customer, skill) at a time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    async def start(self, customer_id: str, skill_id: str) -> None:
        key = (customer_id, skill_id)
        previous = self._tasks.get(key)
        if previous is not None and not previous.done():
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        if not await mark_pending(self.runtime, customer_id, skill_id):
            return
        task = asyncio.create_task(self._run(customer_id, skill_id), name=f"after-link {skill_id}")
        self._tasks[key] = task

    async def _run(self, customer_id: str, skill_id: str) -> None:
        try:
            await follow_link(self.runtime, customer_id, skill_id)
        except Exception:
            logger.exception("after-link follow-up failed for skill %s", skill_id)

    async def wait(self, customer_id: str, skill_id: str, timeout: float) -> bool:
        """Wait for the follow-up of this pair (if this process runs one); False on timeout."""
        task = self._tasks.get((customer_id, skill_id))
        if task is None or task.done():
            return True
        done, _ = await asyncio.wait({task}, timeout=timeout)
        return bool(done)

    async def aclose(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()


async def on_link(app: Any, enablement_id: str) -> None:
    """The after-link hook (enablement/hooks.py signature): start the follow-up."""
    runner: AfterLinkRunner = app.state.after_link_runner
    async with runner.runtime.transaction() as session:
        enablement = await EnablementRepository(session).by_id(enablement_id)
        if enablement is None:
            return
        customer_id, skill_id = enablement.customer_id, enablement.skill_id
    await runner.start(customer_id, skill_id)
