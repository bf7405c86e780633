"""Events racing for one endpoint at the gateway, on each database (moved from
test_misbehaving_events.py, which runs on SQLite only): every event is accepted and none of what
they say is lost, whichever commits first."""

from __future__ import annotations

import asyncio

import httpx

from localexa.skill import change_report
from localexa.skill.properties import brightness, color, color_temperature, connectivity, power_state
from localexa.skill.reports import add_or_update_report
from tests.events.test_gateway import known_endpoints, light, post, recorded_messages, sender
from tests.factories import Admin


async def test_concurrent_reports_adding_one_endpoint_are_all_accepted(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    adds = [add_or_update_report([light("light-1")], token=who.token) for _ in range(4)]

    added = await asyncio.gather(*(post(client, a, who.headers()) for a in adds))

    assert [a.status_code for a in added] == [202] * 4, [a.text for a in added]
    assert list(await known_endpoints(admin, who)) == ["light-1"]
    assert len(await recorded_messages(admin, who)) == 4


async def test_concurrent_change_reports_of_one_endpoint_all_update_its_state(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    await post(client, add_or_update_report([light("light-1")], token=who.token), who.headers())
    properties = [
        power_state(True),
        brightness(40),
        color(120.0, 0.5, 0.5),
        color_temperature(2700),
        connectivity(True),
    ]
    changes = [
        change_report("light-1", [prop], cause="PHYSICAL_INTERACTION", token=who.token) for prop in properties
    ]

    changed = await asyncio.gather(*(post(client, c, who.headers()) for c in changes))

    assert [c.status_code for c in changed] == [202] * len(changes), [c.text for c in changed]
    state = (await known_endpoints(admin, who))["light-1"]["state"]
    assert set(state) == {f"{p['namespace']}.{p['name']}" for p in properties}
