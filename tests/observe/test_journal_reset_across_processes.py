"""A reset keeps every process's earlier journal entries out, not only its own.

A second `Journal` writer on the same database (its own engine on the SQLite journal file, as a
second process has) stands for another server process: it has an entry queued, its writer held
back, while the reset runs through the app. Released, it must leave that entry out, and still
write the calls it answers after the reset.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from localexa.server.observe.journal import Journal
from localexa.server.observe.journal_store import open_journal_engine
from tests.observe.helpers import ADMIN, inbound_call, journal


async def _other_process(app: FastAPI, discarded: list[int]) -> Journal:
    other = Journal(
        await open_journal_engine(app.state.engine),
        state_engine=app.state.engine,
        retention=1000,
        on_discard=discarded.append,
    )
    await other.prepare()
    other.start()
    return other


async def test_entries_another_process_queued_before_a_reset_never_land(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    discarded: list[int] = []
    other = await _other_process(app, discarded)
    try:
        async with other.paused():  # its writer takes the batch, then waits here
            other.record(inbound_call("/v1/before-the-reset"))
            reset = await client.post("/_localexa/reset", headers=ADMIN)
            assert reset.status_code == 200, reset.text
        await other.flush()
        other.record(inbound_call("/v1/after-the-reset"))
        await other.flush()
    finally:
        await other.stop()

    paths = [e["path"] for e in await journal(client)]
    assert "/v1/before-the-reset" not in paths
    assert "/v1/after-the-reset" in paths
    assert discarded == [1]


async def test_a_second_reset_moves_the_cutoff_again(app: FastAPI, client: httpx.AsyncClient) -> None:
    discarded: list[int] = []
    other = await _other_process(app, discarded)
    try:
        for round_ in range(2):
            async with other.paused():
                other.record(inbound_call(f"/v1/round-{round_}"))
                assert (await client.post("/_localexa/reset", headers=ADMIN)).status_code == 200
            await other.flush()
    finally:
        await other.stop()
    paths = [e["path"] for e in await journal(client)]
    assert not [p for p in paths if p.startswith("/v1/round-")]
    assert discarded == [1, 1]
