"""A reset or restore is journaled at the time of localexa's clock as the call leaves it.

Stamped when it began, after `POST /_localexa/clock {"advanceSeconds": 60}` the reset's entry lay
a minute ahead of the entries after it, and of the `now` it answered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal

AHEAD = timedelta(seconds=60)


async def test_a_reset_is_journaled_by_the_clock_it_leaves(client: httpx.AsyncClient, admin: Admin) -> None:
    await admin.advance_clock(AHEAD.total_seconds())
    reset = await client.post("/_localexa/reset", headers=ADMIN)
    assert reset.status_code == 200, reset.text
    await client.get("/_localexa/customers", headers=ADMIN)
    after, entry = await journal(client)
    assert (entry["path"], after["path"]) == ("/_localexa/reset", "/_localexa/customers")
    stamped = datetime.fromisoformat(entry["time"])
    assert stamped <= datetime.fromisoformat(after["time"])
    assert abs(stamped - datetime.fromisoformat(reset.json()["now"])) < AHEAD / 2


async def test_a_restore_is_journaled_by_the_clock_it_leaves(client: httpx.AsyncClient, admin: Admin) -> None:
    snapshot = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert snapshot.status_code == 200, snapshot.text
    await admin.advance_clock(AHEAD.total_seconds())
    restored = await client.post("/_localexa/restore", content=snapshot.content, headers=ADMIN)
    assert restored.status_code == 200, restored.text
    clock = await client.get("/_localexa/clock", headers=ADMIN)
    after, entry = (await journal(client))[:2]
    assert (entry["path"], after["path"]) == ("/_localexa/restore", "/_localexa/clock")
    assert datetime.fromisoformat(entry["time"]) <= datetime.fromisoformat(after["time"])
    assert datetime.fromisoformat(after["time"]) - datetime.fromisoformat(entry["time"]) < AHEAD / 2
    assert (
        abs(datetime.fromisoformat(clock.json()["now"]) - datetime.fromisoformat(entry["time"])) < AHEAD / 2
    )
