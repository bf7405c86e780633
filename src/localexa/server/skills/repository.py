"""All SQL of the skill registry."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.lwa.models import LwaClient
from localexa.server.skills.models import Skill, Vendor

#: A skill and whether a customer owns its vendor, in one statement (SMAPI's access rule, read on
#: every evaluation call and Skill Credentials GET; it was the skill, then all of the caller's
#: vendors).
_SKILL_AND_OWNER = select(
    Skill,
    exists().where(Vendor.id == Skill.vendor_id, Vendor.owner_user_id == bindparam("user_id")).label("owned"),
).where(Skill.id == bindparam("skill_id"))


#: A skill and the sealed secret of its Alexa client (None for a skill made before it had one), in
#: one statement: the admin GET of a skill shows that secret and stays one statement.
_SKILL_AND_ALEXA_SECRET = (
    select(Skill, LwaClient.secret_sealed)
    .outerjoin(LwaClient, LwaClient.client_id == Skill.alexa_client_id)
    .where(Skill.id == bindparam("skill_id"))
)


class SkillRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def vendor(self, vendor_id: str) -> Vendor | None:
        return await self.session.get(Vendor, vendor_id)

    async def skill_and_ownership(self, skill_id: str, user_id: str) -> tuple[Skill, bool] | None:
        """The skill and whether `user_id` owns its vendor; None when there is no such skill."""
        params = {"skill_id": skill_id, "user_id": user_id}
        row = (await self.session.execute(_SKILL_AND_OWNER, params)).first()
        return None if row is None else (row[0], bool(row[1]))

    async def skill(self, skill_id: str) -> Skill | None:
        return await self.session.get(Skill, skill_id)

    async def skill_and_alexa_secret(self, skill_id: str) -> tuple[Skill, str | None] | None:
        """The skill and its Alexa client's sealed secret; None when there is no such skill."""
        row = (await self.session.execute(_SKILL_AND_ALEXA_SECRET, {"skill_id": skill_id})).first()
        return None if row is None else (row[0], row[1])

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
