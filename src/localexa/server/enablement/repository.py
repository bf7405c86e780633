"""All SQL of skill enablement."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from localexa.server.core.errors import Conflict
from localexa.server.db.integrity import Violation, violation
from localexa.server.enablement.models import Enablement
from localexa.server.lwa.models import LwaClient
from localexa.server.skills.models import Skill, Vendor


@dataclass(frozen=True)
class DeveloperView:
    """What `GET …/stages/{stage}/enablement` needs to know, read in one statement."""

    stages: list[str]
    is_developer: bool
    enabled_stage: str | None


#: The skill, whether the caller owns its vendor, and the caller's enablement: one indexed Core
#: SELECT instead of three ORM round trips (the hot path of a developer's status poll).
_DEVELOPER_VIEW = (
    select(
        Skill.stages,
        exists()
        .where(Vendor.id == Skill.vendor_id, Vendor.owner_user_id == bindparam("user_id"))
        .label("is_developer"),
        Enablement.stage,
    )
    .select_from(Skill)
    .outerjoin(
        Enablement,
        and_(Enablement.skill_id == Skill.id, Enablement.customer_id == bindparam("user_id")),
    )
    .where(Skill.id == bindparam("skill_id"))
)


@dataclass(frozen=True)
class CustomerView:
    """What a customer call needs of the skill, read in one statement (`customer_view`)."""

    skill: Skill
    #: The skill the token's LWA client belongs to: the skill whose messaging client or Alexa
    #: client it is (None: an app's own client, which localexa lets act for any skill).
    token_skill_id: str | None
    #: The customer's enablement of the skill, unlocked (None: not enabled).
    enablement: Enablement | None


#: Another skill than the one asked for: the skill whose Alexa client the token's client may be.
_AlexaClientOf = aliased(Skill, name="alexa_client_of")

#: The skill, the skill of the token's client (its messaging client's `skill_id`, else the skill
#: whose Alexa client it is), and the customer's enablement: one statement for the customer calls
#: (it was three, each through the ORM; the Alexa client's skill is one more indexed subquery).
_CUSTOMER_VIEW = (
    select(
        Skill,
        func.coalesce(
            select(LwaClient.skill_id).where(LwaClient.client_id == bindparam("client_id")).scalar_subquery(),
            select(_AlexaClientOf.id)
            .where(_AlexaClientOf.alexa_client_id == bindparam("client_id"))
            .scalar_subquery(),
        ).label("token_skill_id"),
        Enablement,
    )
    .outerjoin(
        Enablement,
        and_(Enablement.skill_id == Skill.id, Enablement.customer_id == bindparam("customer_id")),
    )
    .where(Skill.id == bindparam("skill_id"))
)


#: The first key of `pg_advisory_xact_lock(int, int)` for enablements (the two-key space does not
#: overlap the one-key locks of db/migrate.py and admin/demo.py): "ena".
_LOCK_CLASS = 0x656E61


class EnablementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, customer_id: str, skill_id: str, *, for_update: bool = False) -> Enablement | None:
        """The enablement of `skill_id` for `customer_id`; locked for update when asked (on
        PostgreSQL after taking this (customer, skill)'s turn, `_take_turns`; SQLite already
        serialises writers with BEGIN IMMEDIATE)."""
        if for_update:
            await self._take_turns(customer_id, skill_id)
        query = select(Enablement).where(
            Enablement.customer_id == customer_id, Enablement.skill_id == skill_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    @property
    def locks_rows(self) -> bool:
        """Whether `find(for_update=True)` locks anything: on PostgreSQL. SQLite has no row locks;
        its writers hold the file's write lock from BEGIN IMMEDIATE (db/engine.py)."""
        return self.session.get_bind().dialect.name == "postgresql"

    async def _take_turns(self, customer_id: str, skill_id: str) -> None:
        """On PostgreSQL, writers of one (customer, skill) take turns for the rest of the
        transaction. The row lock alone is not enough at READ COMMITTED: a `SELECT … FOR UPDATE`
        that waited for a writer who deleted the row and inserted its successor (enabling the
        other stage) skips the deleted row and cannot see the successor (its snapshot is older),
        so it answered "not enabled" for a moment that never was (a DELETE's 404 while the skill
        was enabled throughout; tests/scale/test_model_two_processes.py). After this lock, the
        SELECT's snapshot holds every earlier writer's commit. SQLite serialises writers anyway."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.blake2b(f"{customer_id}\x1f{skill_id}".encode(), digest_size=4).digest()
        key = int.from_bytes(digest, "big", signed=True)
        await self.session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, key)))

    async def developer_view(self, skill_id: str, user_id: str) -> DeveloperView | None:
        """None when the skill does not exist."""
        params = {"skill_id": skill_id, "user_id": user_id}
        # On the session's connection: a Core statement gains nothing from the ORM's execute path.
        conn = await self.session.connection()
        row = (await conn.execute(_DEVELOPER_VIEW, params)).first()
        if row is None:
            return None
        return DeveloperView(stages=list(row[0]), is_developer=bool(row[1]), enabled_stage=row[2])

    async def customer_view(self, skill_id: str, client_id: str, customer_id: str) -> CustomerView | None:
        """None when the skill does not exist."""
        params = {"skill_id": skill_id, "client_id": client_id, "customer_id": customer_id}
        row = (await self.session.execute(_CUSTOMER_VIEW, params)).first()
        if row is None:
            return None
        return CustomerView(skill=row[0], token_skill_id=row[1], enablement=row[2])

    async def by_id(self, enablement_id: str) -> Enablement | None:
        return await self.session.get(Enablement, enablement_id)

    async def by_skill_user_id(self, skill_user_id: str) -> Enablement | None:
        query = select(Enablement).where(Enablement.skill_user_id == skill_user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def end_read(self) -> None:
        """End the read-only transaction before a slow outbound call (the 4.5 s token exchange):
        on SQLite every transaction holds the write lock from BEGIN IMMEDIATE, and on PostgreSQL
        an idle open transaction pins resources. Nothing was written, so this loses nothing."""
        await self.session.rollback()

    def add(self, row: Enablement) -> None:
        self.session.add(row)

    async def add_unless_taken(self, row: Enablement) -> bool:
        """Insert `row`; False (and nothing inserted) when a concurrent request, in this process or
        another, enabled the skill for the same customer first. The caller reads that enablement
        again and acts on it, as if its request had come second: the insert runs in a savepoint,
        since on PostgreSQL a failed statement would end the whole transaction."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            if violation(exc) is not Violation.UNIQUE:
                raise  # the customer or skill went (a reset): core/error_handlers.py answers 404
            return False
        return True

    async def delete(self, row: Enablement) -> None:
        await self.session.delete(row)
        # Flush now: a following insert for the same (customer, skill) must see the row gone
        # (the unit of work would otherwise insert before it deletes).
        await self.session.flush()

    async def flush(self) -> None:
        """Flush; a concurrent enablement of the same (customer, skill) becomes 409."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if violation(exc) is not Violation.UNIQUE:
                raise  # the customer or skill went (a reset): core/error_handlers.py answers 404
            raise Conflict(
                "The skill was enabled concurrently for this account; retry the request.",
                code="CONFLICT",
            ) from exc
