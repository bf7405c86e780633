"""Skill messages are pruned to the newest of each customer and skill in one statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select

from localexa.server.directives.models import EVENT, SkillMessage
from localexa.server.directives.recording import message_row
from localexa.server.directives.repository import DirectiveRepository
from tests.core.statement_log import StatementLog
from tests.factories import Admin


async def _add(app: FastAPI, customer_id: str, skill_id: str, count: int) -> None:
    async with app.state.sessions() as session, session.begin():
        repo = DirectiveRepository(session)
        for index in range(count):
            body = {"event": {"header": {"namespace": "Alexa", "name": f"Report{index}"}}}
            repo.add_message(
                message_row(
                    at=datetime.now(UTC),
                    customer_id=customer_id,
                    skill_id=skill_id,
                    direction=EVENT,
                    exchange_id=str(uuid.uuid4()),
                    body=body,
                    key="event",
                )
            )


async def _names(app: FastAPI, customer_id: str, skill_id: str) -> list[str | None]:
    async with app.state.sessions() as session:
        query = (
            select(SkillMessage.name)
            .where(SkillMessage.customer_id == customer_id, SkillMessage.skill_id == skill_id)
            .order_by(SkillMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def test_pruning_keeps_the_newest_messages_of_the_pair_in_one_statement(
    app: FastAPI, admin: Admin
) -> None:
    skill = await admin.skill()
    other = await admin.skill(skill.developer)
    customer = skill.developer.user_id
    await _add(app, customer, skill.skill_id, 3)
    await _add(app, customer, other.skill_id, 6)
    log = StatementLog.install(app)

    async def prune() -> int:
        async with log.call() as call, app.state.sessions() as session, session.begin():
            await DirectiveRepository(session).prune_messages(customer, skill.skill_id, keep=4)
        return len(call.statements)

    # Fewer than kept: nothing goes.
    assert await prune() == 1
    assert await _names(app, customer, skill.skill_id) == ["Report0", "Report1", "Report2"]
    await _add(app, customer, skill.skill_id, 3)
    # Over: the oldest go, in the same one statement (it was a SELECT of the cutoff, then a DELETE).
    assert await prune() == 1
    assert await _names(app, customer, skill.skill_id) == ["Report2", "Report0", "Report1", "Report2"]
    # Another skill's messages of the same customer are left alone.
    assert len(await _names(app, customer, other.skill_id)) == 6
