"""A restore is journaled at the time of localexa's clock as the call leaves it.

Stamped when it began, after `POST /_localexa/clock {"advanceSeconds": 60}` the restore's entry
lay a minute ahead of the entries after it, and of the `now` it answered. A reset that succeeded
is not journaled at all (since 2026-12-06): it is the journal's boundary.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal

AHEAD = timedelta(seconds=60)


async def test_a_reset_is_the_journals_boundary_and_a_refused_one_is_journaled_by_the_clock_it_leaves(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A reset that erased everything is not journaled (since 2026-12-06): the journal starts
    empty after it. A refused one (a body with options: 400, nothing erased) is an ordinary call."""
    await admin.advance_clock(AHEAD.total_seconds())
    reset = await client.post("/_localexa/reset", headers=ADMIN)
    assert reset.status_code == 200, reset.text
    await client.get("/_localexa/customers", headers=ADMIN)
    [after] = await journal(client)
    assert after["path"] == "/_localexa/customers"
    now = datetime.fromisoformat(reset.json()["now"])
    assert abs(datetime.fromisoformat(after["time"]) - now) < AHEAD / 2
    refused = await client.post("/_localexa/reset", json={"keepSkills": True}, headers=ADMIN)
    assert refused.status_code == 400, refused.text
    entry = (await journal(client))[0]
    assert (entry["path"], entry["status"]) == ("/_localexa/reset", 400)


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
