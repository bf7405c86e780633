"""Read side of the directives area: a customer's endpoints of a skill, and the messages exchanged."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import iso
from localexa.server.core.errors import BadRequest, NotFound
from localexa.server.core.message_parts import Parts, named
from localexa.server.directives.models import AfterLinkStatus, DiscoveredEndpoint, SkillMessage
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.schemas import (
    EndpointOut,
    EndpointsOut,
    FollowUp,
    MessageOut,
    MessagesOut,
)
from localexa.server.enablement.links import find_enablement
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.repository import SkillRepository

#: A message id as a `nextToken`: up to 18 ASCII digits, within a 64-bit id.
_MESSAGE_ID = re.compile(r"[0-9]{1,18}")

MAX_RESULTS = 500


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


async def _check_pair(session: AsyncSession, user_id: str, skill_id: str, *, enabled: bool) -> None:
    if await LwaRepository(session).customer(user_id) is None:
        raise NotFound(Parts.of("No customer ", *named(user_id), "."))
    if await SkillRepository(session).skill(skill_id) is None:
        raise NotFound(Parts.of("No skill ", *named(skill_id), "."))
    if enabled and await find_enablement(session, customer_id=user_id, skill_id=skill_id) is None:
        said = ("The skill ", *named(skill_id), " is not enabled for the customer ", *named(user_id), ".")
        raise NotFound(Parts.of(*said))


def _endpoint_out(row: DiscoveredEndpoint) -> EndpointOut:
    return EndpointOut(
        endpoint_id=row.endpoint_id,
        friendly_name=row.friendly_name,
        description=row.description,
        manufacturer_name=row.manufacturer_name,
        display_categories=list(row.display_categories or []),
        capabilities=list(row.capabilities or []),
        cookie=dict(row.cookie or {}),
        state=dict(row.state or {}),
        discovered_at=iso(row.discovered_at),
        state_updated_at=_iso(row.state_updated_at),
    )


def _follow_ups(status: AfterLinkStatus | None) -> tuple[FollowUp | None, FollowUp | None]:
    if status is None:
        return None, None
    return (
        FollowUp(
            status=status.discovery_status, message=status.discovery_message, at=_iso(status.discovery_at)
        ),
        FollowUp(
            status=status.accept_grant_status,
            message=status.accept_grant_message,
            at=_iso(status.accept_grant_at),
        ),
    )


async def endpoints_view(session: AsyncSession, user_id: str, skill_id: str) -> EndpointsOut:
    """The endpoints Alexa knows for this customer and skill, and how the after-link steps went.

    A skill that is no longer enabled shows no endpoints (Alexa drops a disabled skill's devices).
    """
    await _check_pair(session, user_id, skill_id, enabled=True)
    repo = DirectiveRepository(session)
    discovery, accept_grant = _follow_ups(await repo.status(user_id, skill_id))
    return EndpointsOut(
        user_id=user_id,
        skill_id=skill_id,
        discovery=discovery,
        accept_grant=accept_grant,
        endpoints=[_endpoint_out(row) for row in await repo.endpoints(user_id, skill_id)],
    )


def _message_out(row: SkillMessage) -> MessageOut:
    return MessageOut(
        id=row.id,
        at=iso(row.at),
        direction=row.direction,
        exchange_id=row.exchange_id,
        namespace=row.namespace,
        name=row.name,
        endpoint_id=row.endpoint_id,
        body=row.body,
        verdict=row.verdict,
        error=row.error,
        latency_ms=row.latency_ms,
    )


async def messages_view(
    session: AsyncSession, user_id: str, skill_id: str, *, max_results: int, next_token: str | None
) -> MessagesOut:
    """Newest first. `nextToken` continues below the last message of the previous page."""
    await _check_pair(session, user_id, skill_id, enabled=False)
    if not 1 <= max_results <= MAX_RESULTS:
        raise BadRequest(f"maxResults must be between 1 and {MAX_RESULTS}.")
    before: int | None = None
    if next_token is not None:
        # A message id as this API writes it: ASCII digits within the id column (int64). `isdigit`
        # also took "²" (int() refused it: a 500) and too many digits (the query's overflow: a 500).
        if not _MESSAGE_ID.fullmatch(next_token):
            raise BadRequest("nextToken is not a token this API issued.")
        before = int(next_token)
    rows = await DirectiveRepository(session).messages(
        user_id, skill_id, limit=max_results + 1, before_id=before
    )
    page = rows[:max_results]
    more = len(rows) > max_results
    return MessagesOut(
        messages=[_message_out(row) for row in page],
        next_token=str(page[-1].id) if more and page else None,
    )
