"""All SQL of the Credential Locker."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.pagination import KeysetPage, PageRequest, fetch_keyset_page
from localexa.server.credential_locker.models import ThreadNetwork
from localexa.server.lwa.models import LwaClient
from localexa.server.skills.models import Skill


class CredentialLockerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def messaging_skill(self, client_id: str) -> Skill | None:
        """The skill whose messaging client is `client_id` (None for any other client)."""
        result = await self.session.execute(
            select(Skill)
            .join(LwaClient, LwaClient.skill_id == Skill.id)
            .where(LwaClient.client_id == client_id)
        )
        return result.scalar_one_or_none()

    async def network_exists(self, user_id: str, extended_pan_id: str, network_name: str) -> bool:
        result = await self.session.execute(
            select(ThreadNetwork.id).where(
                ThreadNetwork.user_id == user_id,
                ThreadNetwork.extended_pan_id == extended_pan_id,
                ThreadNetwork.network_name == network_name,
            )
        )
        return result.first() is not None

    async def add_network(self, row: ThreadNetwork) -> bool:
        """Insert `row`; False when the same network exists (a concurrent PUT won the race)."""
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def networks_page(
        self, user_id: str, extended_pan_id: str, network_name: str | None, request: PageRequest
    ) -> KeysetPage[ThreadNetwork]:
        """One keyset page in insertion order (index ix_thread_networks_keyset)."""
        statement = select(ThreadNetwork).where(
            ThreadNetwork.user_id == user_id, ThreadNetwork.extended_pan_id == extended_pan_id
        )
        if network_name is not None:
            statement = statement.where(ThreadNetwork.network_name == network_name)
        return await fetch_keyset_page(
            self.session, statement, (ThreadNetwork.id,), request, key_of=lambda row: (row.id,)
        )
