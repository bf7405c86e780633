"""The printed walk-through works again after a restart on the same data dir.

My Lights keeps its accounts and tokens in memory, so the demo customer's link made before a
restart points at tokens the new My Lights never issued. Left LINKED, step 3 was refused (409,
already linked) and step 4 got INVALID_AUTHORIZATION_CREDENTIAL; the start now marks that link
NEEDS_RELINK, so step 3 links again. A process whose My Lights is not the skill's (another
`--demo` process on the same database) leaves the link alone.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from fastapi import FastAPI

from localexa.server.admin.demo import DemoState, ensure_demo
from localexa.server.enablement.links import find_enablement
from localexa.server.enablement.models import LINKED, NEEDS_RELINK, Enablement
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.models import Skill
from localexa.testing.ports import free_port_block
from tests.servers import closed_ports


async def _link(app: FastAPI, state: DemoState, customer_id: str | None = None) -> None:
    """The row step 3 leaves behind: the demo skill enabled and linked for the demo customer
    (or for `customer_id`: the demo developer links it too, for evaluations)."""
    now = app.state.clock.now()
    async with app.state.sessions() as session:
        session.add(
            Enablement(
                id=uuid.uuid4().hex,
                customer_id=customer_id or state.customer_id,
                skill_id=state.skill_id,
                stage="development",
                skill_user_id=f"amzn1.ask.account.{uuid.uuid4().hex.upper()}",
                link_status=LINKED,
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()


async def _link_status(app: FastAPI, state: DemoState, customer_id: str | None = None) -> str | None:
    async with app.state.sessions() as session:
        customer = customer_id or state.customer_id
        row = await find_enablement(session, customer_id=customer, skill_id=state.skill_id)
        return None if row is None else row.link_status


@contextmanager
def _listening(*ports: int) -> Iterator[None]:
    """Something accepts connections on `ports` (the process that seeded the demo, still serving)."""
    with ExitStack() as stack:
        for port in ports:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", port))
            sock.listen()
        yield


async def _recorded(app: FastAPI, state: DemoState) -> tuple[list[str], str, dict[str, Any] | None]:
    """The demo app's redirect URIs, the skill's endpoint and its account linking, as stored."""
    async with app.state.sessions() as session:
        client = await LwaRepository(session).client(state.app_client_id)
        skill = await session.get(Skill, state.skill_id)
        assert client is not None
        assert skill is not None
        return list(client.redirect_uris), skill.endpoint, skill.account_linking


async def test_a_restart_asks_the_demo_customer_to_link_again(app: FastAPI) -> None:
    settings = app.state.settings
    settings.port = free_port_block()
    first = settings.port
    state = await ensure_demo(app)
    await _link(app, state)
    settings.port += 10  # another process, its My Lights on other ports than the skill's endpoint
    with _listening(first, first + 3):  # while the seeding process still serves
        assert await ensure_demo(app) == state
    assert await _link_status(app, state) == LINKED  # the My Lights holding its tokens still runs
    assert (await _recorded(app, state))[1] == f"http://127.0.0.1:{first + 3}/skill"
    settings.port -= 10  # the next start on the same data dir: a new, empty My Lights
    assert await ensure_demo(app) == state
    assert await _link_status(app, state) == NEEDS_RELINK


async def test_a_restart_asks_every_account_linked_to_the_demo_skill_to_link_again(app: FastAPI) -> None:
    """My Lights (in memory) forgot every link made to it, the demo developer's own among them
    (README: link it for evaluations); only the demo customer's was marked (QA, 2026-12-06)."""
    settings = app.state.settings
    settings.port = free_port_block()
    state = await ensure_demo(app)
    await _link(app, state)
    await _link(app, state, state.developer_id)
    assert await ensure_demo(app) == state  # the next start: a new, empty My Lights
    assert await _link_status(app, state) == NEEDS_RELINK
    assert await _link_status(app, state, state.developer_id) == NEEDS_RELINK


async def test_the_same_data_dir_on_other_ports_or_https_moves_the_demo_there(app: FastAPI) -> None:
    """`localexa serve`, then `localexa serve --port …` or `--tls` on the same data dir: the
    walk-through sent step 1 to the first run's callback (a closed port, or http:// on the HTTPS
    port) and step 2 to its My Lights."""
    settings = app.state.settings
    settings.port = free_port_block()
    with closed_ports(settings.port, settings.resolved_demo_port()):
        state = await ensure_demo(app)
        await _link(app, state)
        settings.port += 10  # nothing listens on the first run's ports any more
        assert await ensure_demo(app) == state
    moved = settings.port
    uris, endpoint, linking = await _recorded(app, state)
    assert uris == [f"http://127.0.0.1:{moved}/_localexa/demo/callback"]
    assert endpoint == f"http://127.0.0.1:{moved + 3}/skill"
    assert linking is not None
    assert linking["authorizationUrl"] == f"http://127.0.0.1:{moved + 3}/authorize"
    assert linking["accessTokenUrl"] == f"http://127.0.0.1:{moved + 3}/token"
    assert linking["redirectUrls"] == [f"http://127.0.0.1:{moved}/_localexa/demo/callback"]
    assert await _link_status(app, state) == NEEDS_RELINK  # that My Lights' tokens are gone
    assert app.state.demo_addresses.callback == f"http://127.0.0.1:{moved}/_localexa/demo/callback"
    settings.tls = True  # the same port over HTTPS: the callback is this process's, as https://
    assert await ensure_demo(app) == state
    assert (await _recorded(app, state))[0] == [f"https://127.0.0.1:{moved}/_localexa/demo/callback"]
    assert app.state.demo_addresses.callback.startswith("https://")
