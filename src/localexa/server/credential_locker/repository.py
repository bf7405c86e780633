"""All SQL of the Credential Locker."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.pagination import KeysetPage, PageRequest, fetch_keyset_page
from localexa.server.credential_locker.models import ThreadNetwork
from localexa.server.lwa.models import LwaClient
from localexa.server.skills.models import Skill

#: Built once: composing the statement cost as much as running it (profiled on the hot GET).
_MESSAGING_SKILL = (
    select(Skill.id, Skill.permissions)
    .join(LwaClient, LwaClient.skill_id == Skill.id)
    .where(LwaClient.client_id == bindparam("client_id"))
)


@dataclass(frozen=True)
class MessagingSkill:
    id: str
    permissions: list[str]


class CredentialLockerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def messaging_skill(self, client_id: str) -> MessagingSkill | None:
        """The id and permissions of the skill whose messaging client is `client_id` (None for
        any other client): two columns, not the whole skill, on every Credential Locker call."""
        row = (await self.session.execute(_MESSAGING_SKILL, {"client_id": client_id})).first()
        return None if row is None else MessagingSkill(id=row[0], permissions=list(row[1] or []))

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
