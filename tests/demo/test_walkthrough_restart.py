"""The printed walk-through works again after a restart on the same data dir.

My Lights keeps its accounts and tokens in memory, so the demo customer's link made before a
restart points at tokens the new My Lights never issued. Left LINKED, step 3 was refused (409,
already linked) and step 4 got INVALID_AUTHORIZATION_CREDENTIAL; the start now marks that link
NEEDS_RELINK, so step 3 links again. A process whose My Lights is not the skill's (another
`--demo` process on the same database) leaves the link alone.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from localexa.server.admin.demo import DemoState, ensure_demo
from localexa.server.enablement.links import find_enablement
from localexa.server.enablement.models import LINKED, NEEDS_RELINK, Enablement


async def _link(app: FastAPI, state: DemoState) -> None:
    """The row step 3 leaves behind: the demo skill enabled and linked for the demo customer."""
    now = app.state.clock.now()
    async with app.state.sessions() as session:
        session.add(
            Enablement(
                id=uuid.uuid4().hex,
                customer_id=state.customer_id,
                skill_id=state.skill_id,
                stage="development",
                skill_user_id=f"amzn1.ask.account.{uuid.uuid4().hex.upper()}",
                link_status=LINKED,
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()


async def _link_status(app: FastAPI, state: DemoState) -> str | None:
    async with app.state.sessions() as session:
        row = await find_enablement(session, customer_id=state.customer_id, skill_id=state.skill_id)
        return None if row is None else row.link_status


async def test_a_restart_asks_the_demo_customer_to_link_again(app: FastAPI) -> None:
    state = await ensure_demo(app)
    await _link(app, state)
    settings = app.state.settings
    settings.port += 10  # a start whose My Lights is on other ports than the skill's endpoint
    assert await ensure_demo(app) == state
    assert await _link_status(app, state) == LINKED  # the My Lights holding its tokens still runs
    settings.port -= 10  # the next start on the same data dir: a new, empty My Lights
    assert await ensure_demo(app) == state
    assert await _link_status(app, state) == NEEDS_RELINK
