"""The demo skill's Alexa client (app-to-app account linking): made with the skill, its redirect
URIs follow the demo when it moves to another port, and a demo seeded before skills had Alexa
clients still starts and moves."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import update

from localexa.server.admin.demo import DemoState, ensure_demo
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.models import Skill
from localexa.testing.ports import free_port_block
from tests.servers import closed_ports


async def _alexa_client_uris(app: FastAPI, state: DemoState) -> list[str] | None:
    async with app.state.sessions() as session:
        skill = await session.get(Skill, state.skill_id)
        assert skill is not None
        if skill.alexa_client_id is None:
            return None
        client = await LwaRepository(session).client(skill.alexa_client_id)
        assert client is not None
        return list(client.redirect_uris)


async def test_the_demo_skills_alexa_client_moves_with_the_demo(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    with closed_ports(settings.port, settings.resolved_demo_port()):
        state = await ensure_demo(app)
        assert await _alexa_client_uris(app, state) == [
            f"http://127.0.0.1:{settings.port}/_localexa/demo/callback"
        ]
        settings.port += 10  # the same data dir on other ports: nothing listens on the first ones
        assert await ensure_demo(app) == state
    assert await _alexa_client_uris(app, state) == [
        f"http://127.0.0.1:{settings.port}/_localexa/demo/callback"
    ]


async def test_a_demo_seeded_before_alexa_clients_starts_and_moves(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    state = await ensure_demo(app)
    assert await _alexa_client_uris(app, state) is not None  # seeded now: it has one
    async with app.state.sessions() as session:  # as seeded before revision 0006: none
        await session.execute(update(Skill).where(Skill.id == state.skill_id).values(alexa_client_id=None))
        await session.commit()
    settings.port += 10
    assert await ensure_demo(app) == state
    assert await _alexa_client_uris(app, state) is None
    assert app.state.demo_addresses.callback == f"http://127.0.0.1:{settings.port}/_localexa/demo/callback"
