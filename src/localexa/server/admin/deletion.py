"""All SQL of the admin API's deletes: one customer, or one skill, and everything that is theirs.

Each runs in the request's transaction (the session commits once, db/session.py), so a delete
lands whole or not at all. The schema's `ON DELETE CASCADE` does most of it:

- a customer: their tokens and codes, enablements (with their links), Thread networks, skill
  messages, discovered endpoints, after-link status, capability evaluations (and results), and
  the vendors they own. A vendor that still has skills is refused (409 naming it and its skills,
  `VendorsWithSkills`): deleting it would take the skills, whose two LWA clients (no foreign key
  to the skill, lwa/models.py) would be left behind, and skills other customers enabled would go
  with a developer's account. Delete the skills first (`DELETE /_localexa/skills/{id}`).
- a skill: its enablements, skill messages, discovered endpoints, after-link status and
  evaluations cascade; its messaging client and its Alexa client have no cascade from the skill
  (`skills.messaging_client_id` points the other way, `alexa_client_id` is no foreign key), so
  they are deleted here, after the skill, and their tokens and codes (AcceptGrant's included)
  cascade from them. A Thread network the skill stored stays: it is the customer's
  (`created_by_skill_id` only says who stored it).

Tokens stop at once: a DELETE of `customers`, `skills` or `lwa_clients` moves the token epoch at
commit, in this process and, through Redis, in every other (lwa/token_cache.py
`watch_revocations`), whatever the cascade deleted. The journal keeps its entries (history).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.errors import Conflict
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.skills.models import Skill, Vendor


class VendorsWithSkills(Conflict):
    """The customer owns a vendor that still has skills (module docstring)."""


async def delete_customer(session: AsyncSession, user_id: str) -> bool:
    """Delete the customer and what is theirs; False when there is no such customer. Raises
    `VendorsWithSkills` (nothing deleted) when a vendor they own still has skills."""
    # Their vendors are locked first (PostgreSQL; SQLite serializes writers): a skill created
    # under one meanwhile waits for this delete and then finds no vendor, rather than being
    # deleted with it and leaving its clients behind.
    vendors = (
        (await session.execute(select(Vendor.id).where(Vendor.owner_user_id == user_id).with_for_update()))
        .scalars()
        .all()
    )
    if vendors:
        rows = (
            await session.execute(
                select(Skill.vendor_id, Skill.id)
                .where(Skill.vendor_id.in_(vendors))
                .order_by(Skill.vendor_id, Skill.created_at, Skill.id)
            )
        ).all()
        if rows:
            raise VendorsWithSkills(_vendors_with_skills(user_id, rows))
    deleted = await session.execute(
        delete(Customer).where(Customer.id == user_id).execution_options(synchronize_session=False)
    )
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


def _vendors_with_skills(user_id: str, rows: Sequence[tuple[str, str]]) -> str:
    skills: dict[str, list[str]] = {}
    for vendor_id, skill_id in rows:
        skills.setdefault(vendor_id, []).append(skill_id)
    named = "; ".join(f"vendor {vendor_id} has skills {', '.join(ids)}" for vendor_id, ids in skills.items())
    return (
        f"Customer {user_id} owns vendors that still have skills ({named}): delete those skills "
        "first (DELETE /_localexa/skills/{skillId}). Nothing was deleted."
    )


async def delete_skill(session: AsyncSession, skill_id: str) -> bool:
    """Delete the skill, its two LWA clients and what is theirs; False when there is no such skill."""
    found = (
        await session.execute(
            select(Skill.messaging_client_id, Skill.alexa_client_id)
            .where(Skill.id == skill_id)
            .with_for_update()
        )
    ).first()
    if found is None:
        return False
    clients = [client_id for client_id in found if client_id is not None]
    await session.execute(
        delete(Skill).where(Skill.id == skill_id).execution_options(synchronize_session=False)
    )
    # After the skill, which holds a foreign key to its messaging client.
    await session.execute(
        delete(LwaClient)
        .where(or_(LwaClient.client_id.in_(clients), LwaClient.skill_id == skill_id))
        .execution_options(synchronize_session=False)
    )
    return True
