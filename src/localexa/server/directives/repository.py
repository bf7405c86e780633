"""All SQL of the directives area: skill messages, discovered endpoints, after-link status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from localexa.server.directives.models import (
    DIRECTIVE,
    EVENT,
    AfterLinkStatus,
    DiscoveredEndpoint,
    SkillMessage,
)

#: Messages kept per customer and skill; older ones are deleted as new ones arrive.
MESSAGES_KEPT = 2000


class DirectiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # messages
    def add_message(self, row: SkillMessage) -> None:
        self.session.add(row)

    async def messages(
        self, customer_id: str, skill_id: str, *, limit: int, before_id: int | None = None
    ) -> Sequence[SkillMessage]:
        """Newest first; keyset pagination on the id."""
        query = (
            select(SkillMessage)
            .where(SkillMessage.customer_id == customer_id, SkillMessage.skill_id == skill_id)
            .order_by(SkillMessage.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(SkillMessage.id < before_id)
        return (await self.session.execute(query)).scalars().all()

    async def early_events(
        self, customer_id: str, skill_id: str, correlation_token: str, exchange_id: str
    ) -> Sequence[SkillMessage]:
        """The events with a directive's correlation token that reached the gateway before the
        directive was recorded as `exchange_id` (a skill that posts its answer while its
        DeferredResponse is still on the way): the gateway found no exchange to join then."""
        early = aliased(SkillMessage)
        # Only events of exchanges with no directive (the gateway's own): a caller may reuse a
        # correlationToken, and a later directive's recording took an earlier exchange's answers.
        directive_of_exchange = (
            select(SkillMessage.id)
            .where(
                SkillMessage.customer_id == customer_id,
                SkillMessage.skill_id == skill_id,
                SkillMessage.direction == DIRECTIVE,
                SkillMessage.exchange_id == early.exchange_id,
            )
            .exists()
        )
        query = select(early).where(
            early.customer_id == customer_id,
            early.skill_id == skill_id,
            early.direction == EVENT,
            early.correlation_token == correlation_token,
            early.exchange_id != exchange_id,
            ~directive_of_exchange,
        )
        return (await self.session.execute(query)).scalars().all()

    async def answered_directive(
        self, customer_id: str, skill_id: str, correlation_token: str
    ) -> tuple[str, dict[str, Any] | None] | None:
        """The exchange and the (recorded) body of the latest directive sent with this correlation
        token: an asynchronous answer joins that exchange and is judged against that directive."""
        query = (
            select(SkillMessage.exchange_id, SkillMessage.body)
            .where(
                SkillMessage.customer_id == customer_id,
                SkillMessage.skill_id == skill_id,
                SkillMessage.direction == DIRECTIVE,
                SkillMessage.correlation_token == correlation_token,
            )
            .order_by(SkillMessage.id.desc())
            .limit(1)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row.exchange_id, row.body)

    async def prune_messages(self, customer_id: str, skill_id: str, keep: int = MESSAGES_KEPT) -> None:
        """Delete all but the newest `keep` messages of the pair: one statement (the cutoff is a
        subquery; NULL, so nothing is deleted, while fewer are kept), not a SELECT of the cutoff
        then a DELETE on every message once the pair has that many."""
        oldest_kept = (
            select(SkillMessage.id)
            .where(SkillMessage.customer_id == customer_id, SkillMessage.skill_id == skill_id)
            .order_by(SkillMessage.id.desc())
            .offset(keep - 1)
            .limit(1)
            .scalar_subquery()
        )
        await self.session.execute(
            delete(SkillMessage)
            .where(
                SkillMessage.customer_id == customer_id,
                SkillMessage.skill_id == skill_id,
                SkillMessage.id < oldest_kept,
            )
            # The messages deleted are never objects of this session (the newest are kept).
            .execution_options(synchronize_session=False)
        )

    # endpoints
    async def endpoints(self, customer_id: str, skill_id: str) -> Sequence[DiscoveredEndpoint]:
        query = (
            select(DiscoveredEndpoint)
            .where(DiscoveredEndpoint.customer_id == customer_id, DiscoveredEndpoint.skill_id == skill_id)
            .order_by(DiscoveredEndpoint.endpoint_id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def endpoint(self, customer_id: str, skill_id: str, endpoint_id: str) -> DiscoveredEndpoint | None:
        return await self.session.get(DiscoveredEndpoint, (customer_id, skill_id, endpoint_id))

    def add_endpoint(self, row: DiscoveredEndpoint) -> None:
        self.session.add(row)

    async def delete_endpoints(
        self, customer_id: str, skill_id: str, endpoint_ids: Sequence[str] | None
    ) -> None:
        """Delete the named endpoints, or all of the customer's endpoints of the skill (None)."""
        query = delete(DiscoveredEndpoint).where(
            DiscoveredEndpoint.customer_id == customer_id, DiscoveredEndpoint.skill_id == skill_id
        )
        if endpoint_ids is not None:
            query = query.where(DiscoveredEndpoint.endpoint_id.in_(list(endpoint_ids)))
        await self.session.execute(query)

    # after-link status
    async def status(self, customer_id: str, skill_id: str) -> AfterLinkStatus | None:
        return await self.session.get(AfterLinkStatus, (customer_id, skill_id))

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
