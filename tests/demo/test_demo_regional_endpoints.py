"""The demo skill's EU and FE endpoints (My Lights' `/skill/eu` and `/skill/fe`): made with the
skill, moved with the demo to other ports, and given to a demo seeded before skills had them."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import update

from localexa.server.admin.demo import DemoState, ensure_demo
from localexa.server.skills.models import Skill
from localexa.testing.ports import free_port_block
from tests.servers import closed_ports


async def _regional(app: FastAPI, state: DemoState) -> dict[str, str] | None:
    async with app.state.sessions() as session:
        skill = await session.get(Skill, state.skill_id)
        assert skill is not None
        regional: dict[str, str] | None = skill.regional_endpoints
        return regional


async def test_the_demo_skill_has_eu_and_fe_endpoints_that_move_with_the_demo(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    with closed_ports(settings.port, settings.resolved_demo_port()):
        state = await ensure_demo(app)
        lights = f"http://127.0.0.1:{settings.resolved_demo_port()}"
        assert await _regional(app, state) == {"EU": f"{lights}/skill/eu", "FE": f"{lights}/skill/fe"}
        settings.port += 10  # the same data dir on other ports: nothing listens on the first ones
        assert await ensure_demo(app) == state
    lights = f"http://127.0.0.1:{settings.resolved_demo_port()}"
    assert await _regional(app, state) == {"EU": f"{lights}/skill/eu", "FE": f"{lights}/skill/fe"}


async def test_a_demo_seeded_before_regional_endpoints_gets_them(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    state = await ensure_demo(app)
    async with app.state.sessions() as session:  # as seeded before revision 0007: none
        await session.execute(update(Skill).where(Skill.id == state.skill_id).values(regional_endpoints=None))
        await session.commit()
    assert await ensure_demo(app) == state
    lights = f"http://127.0.0.1:{settings.resolved_demo_port()}"
    assert await _regional(app, state) == {"EU": f"{lights}/skill/eu", "FE": f"{lights}/skill/fe"}


async def test_a_demo_skill_pointing_elsewhere_is_left_alone(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    state = await ensure_demo(app)
    async with app.state.sessions() as session:  # the user pointed the demo skill at their own skill
        await session.execute(
            update(Skill)
            .where(Skill.id == state.skill_id)
            .values(regional_endpoints=None, endpoint="http://127.0.0.1:9/mine")
        )
        await session.commit()
    await ensure_demo(app)
    assert await _regional(app, state) is None
