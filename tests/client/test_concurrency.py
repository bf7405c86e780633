"""Many calls at once: an access token that the real localexa stops accepting while 20 calls (10
tasks of an AsyncClient, 10 threads of a Client) are in flight costs exactly one refresh and every
call succeeds; the task running a refresh can be cancelled without failing the others; and one
blocking Client serves many threads at once.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest

from localexa.client import AsyncClient, Client, LwaTokenAuth
from tests.client.contract import developer, email
from tests.client.live_helpers import TOKEN, held, live, ok, sequence
from tests.conftest import ADMIN_KEY
from tests.misbehaving_servers import misbehaving_server

__all__ = ["live"]

SKILL = "amzn1.ask.skill.s"
PATH = f"/v1/skills/{SKILL}/credentials"


async def test_a_token_the_server_stops_accepting_mid_flight_costs_one_refresh(
    live: str, sdk: AsyncClient
) -> None:
    """The client believes its token good for an hour; localexa's clock jumps two hours while 20
    calls are held at the server. Each call then gets a 401, and the first to refresh does it
    for all: one grant at the real token endpoint, 20 answers, every retry with the new token."""
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(vendor_id=dev.vendor_id, name="S", endpoint="http://127.0.0.1:9/s")
    console = await sdk.admin.lwa_clients.create(name="Console", redirect_uris=["https://a.example/cb"])
    pair = await sdk.admin.tokens.create(
        client_id=console.client_id, user_id=dev.user_id, scopes=["alexa::ask:skills:readwrite"]
    )
    shared = LwaTokenAuth.from_token(pair, client_id=console.client_id, client_secret=console.client_secret)
    fault = await sdk.admin.faults.create(path="/v1/skills/*/credentials", delay_ms=1500, count=20)
    answers: list[str] = []
    lock = threading.Lock()

    async with AsyncClient(base_url=live, auth=shared) as async_client:
        with Client(base_url=live, auth=shared) as sync_client:

            def blocking() -> None:
                creds = sync_client.credentials.get(skill.skill_id)
                with lock:
                    answers.append(creds.skill_messaging_credentials.client_id)

            async def awaited() -> None:
                creds = await async_client.credentials.get(skill.skill_id)
                answers.append(creds.skill_messaging_credentials.client_id)

            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(awaited)
                    group.start_soon(anyio.to_thread.run_sync, blocking)
                for _ in range(300):  # until all 20 are held (1.5 s at most)
                    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
                    if listed.matched == 20:
                        break
                    await asyncio.sleep(0.005)
                assert listed.matched == 20
                await sdk.admin.clock.advance(7200)

    assert len(answers) == 20
    assert len(set(answers)) == 1
    assert shared.refresh_count == 1
    assert shared.access_token != pair.access_token
    grants = [e async for e in sdk.admin.journal.list(path="/auth/o2/token")]
    assert len(grants) == 1
    calls = [e async for e in sdk.admin.journal.list(path=f"/v1/skills/{skill.skill_id}/credentials")]
    statuses = [e.status for e in calls]
    assert statuses.count(200) == 20
    # Every held call met the jump (a loaded machine may let one through first): a 401, then 200.
    assert statuses.count(401) == len(statuses) - 20 >= 1


async def test_cancelling_the_task_that_refreshes_hands_the_refresh_to_a_waiting_one() -> None:
    """The first refresh never answers; its task is cancelled. The tasks queued behind it must not
    fail nor hang: one of them refreshes (once, for all) and every one of them succeeds."""
    arrived = asyncio.Event()
    token_script = sequence(held(arrived), ok(TOKEN))
    async with misbehaving_server({PATH: ok(), "/auth/o2/token": token_script}) as server:
        shared = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r", token_url=server.url("/auth/o2/token"))
        async with AsyncClient(base_url=server.base_url, auth=shared) as client:
            first = asyncio.ensure_future(client.credentials.get(SKILL))
            await arrived.wait()
            queued = [asyncio.ensure_future(client.credentials.get(SKILL)) for _ in range(9)]
            await asyncio.sleep(0)  # let them reach the refresh lock
            first.cancel()
            async with asyncio.timeout(5):
                results = await asyncio.gather(*queued)
            with pytest.raises(asyncio.CancelledError):
                await first
    assert len(results) == 9
    assert shared.refresh_count == 1
    assert [r.path for r in server.requests].count("/auth/o2/token") == 2
    assert [r.headers["authorization"] for r in server.requests if r.path == PATH] == [
        "Bearer Atza|fresh"
    ] * 9


async def test_one_blocking_client_serves_many_threads_at_once(live: str, sdk: AsyncClient) -> None:
    """6 threads share one Client and each creates, reads and lists customers: every answer is the
    thread's own, and the server holds exactly what they created."""
    barrier = threading.Barrier(6)

    def work(client: Client) -> list[tuple[str, str]]:
        barrier.wait()
        mine = []
        for _ in range(2):
            address = email()
            created = client.admin.customers.create(name="T", email=address, password="pw")
            fetched = client.admin.customers.get(created.user_id)
            assert fetched.email == address
            mine.append((created.user_id, address))
        assert {c.user_id for c in client.admin.customers.list()} >= {u for u, _ in mine}
        return mine

    with Client(base_url=live, admin_key=ADMIN_KEY) as client:
        results: list[Any] = [None] * 6

        async def run(index: int) -> None:
            results[index] = await anyio.to_thread.run_sync(work, client)

        async with anyio.create_task_group() as group:
            for index in range(6):
                group.start_soon(run, index)
    created = [pair for result in results for pair in result]
    assert len({user for user, _ in created}) == 12
    on_server = {c.user_id: c.email for c in await sdk.admin.customers.list()}
    assert all(on_server[user] == address for user, address in created)
