"""All SQL of the skill registry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.skills.models import Skill, Vendor


class SkillRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def vendor(self, vendor_id: str) -> Vendor | None:
        return await self.session.get(Vendor, vendor_id)

    async def vendors(self) -> Sequence[Vendor]:
        return (
            (await self.session.execute(select(Vendor).order_by(Vendor.created_at, Vendor.id)))
            .scalars()
            .all()
        )

    async def vendor_ids_of_owner(self, user_id: str) -> set[str]:
        rows = await self.session.execute(select(Vendor.id).where(Vendor.owner_user_id == user_id))
        return set(rows.scalars().all())

    async def skill(self, skill_id: str) -> Skill | None:
        return await self.session.get(Skill, skill_id)

    async def skills(self, vendor_id: str | None = None) -> Sequence[Skill]:
        query = select(Skill).order_by(Skill.created_at, Skill.id)
        if vendor_id is not None:
            query = query.where(Skill.vendor_id == vendor_id)
        return (await self.session.execute(query)).scalars().all()

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
