"""Cancelling AsyncClient calls in flight, at every stage of a call: connecting, sending the body,
waiting for the answer, reading it, sleeping before a retry, refreshing the token (and sleeping
before a refresh's retry), and waiting for a refresh another thread runs. Cancelled both ways a
program does it: `task.cancel()` and `asyncio.timeout`.

After each: the kernel sees no client socket left open, nothing is left for the garbage collector
to warn about (ResourceWarning) or to find pending, the same connection pool (one connection, so
a leaked slot would starve it) serves the next call, and the token auth still refreshes.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from localexa.client import AsyncClient, Client, Endpoints, LwaTokenAuth, _async, auth
from localexa.client.types import SkillCredentials
from tests.client.contract import developer
from tests.client.live_helpers import (
    TOKEN,
    client_sockets,
    eventually_no_client_sockets,
    half_answered,
    held,
    live,
    no_resource_warnings,
    ok,
    port_of,
)
from tests.conftest import ADMIN_KEY
from tests.misbehaving_servers import Switch, answer, misbehaving_server

__all__ = ["live"]


@pytest.fixture
def backend() -> str:
    """Cancelling is the client's business: the real server's database changes nothing here, so these tests
    run on SQLite only (conftest's `backend` runs a test on both)."""
    return "sqlite"


SKILL = "amzn1.ask.skill.s"
PATH = f"/v1/skills/{SKILL}/credentials"
TOKEN_PATH = "/auth/o2/token"


async def cancel_when(arrived: asyncio.Event, call: Callable[[], Awaitable[Any]], how: str) -> None:
    """Run `call()` and cancel it once `arrived` is set: by `task.cancel()`, or by an
    `asyncio.timeout` whose deadline is moved to now at that moment."""
    loop = asyncio.get_running_loop()
    if how == "cancel":
        task = asyncio.ensure_future(call())
        waiter = asyncio.ensure_future(arrived.wait())
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        assert task not in done, f"the call ended before it could be cancelled: {task.result()!r}"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return

    async def under_timeout() -> None:
        async with asyncio.timeout(None) as scope:
            waiter = asyncio.ensure_future(arrived.wait())
            waiter.add_done_callback(lambda _: scope.reschedule(loop.time()))
            try:
                await call()
            finally:
                waiter.cancel()

    with pytest.raises(TimeoutError):  # DID NOT RAISE: the call ended before it could be cancelled
        await under_timeout()


def one_connection_pool() -> httpx.AsyncClient:
    """A pool of one connection: a slot that a cancelled call never gave back fails the next call
    with a PoolTimeout within 1.5 s."""
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=httpx.Timeout(10.0, pool=1.5),
    )


@dataclass
class Stage:
    """Where a call is cancelled: the server it talks to, what `arrived` means, what to check."""

    base_url: str
    arrived: asyncio.Event
    auth: LwaTokenAuth | str = "Atza|developer"
    #: Local ports of sockets the test itself holds open (not the client's).
    own_ports: set[int] = field(default_factory=set)
    #: Called once the call is cancelled, before the follow-up call.
    after: Callable[[], None] = lambda: None


def _sleep_that_signals(arrived: asyncio.Event) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        arrived.set()
        await anyio.sleep(seconds)

    return sleep


@asynccontextmanager
async def full_backlog() -> AsyncIterator[tuple[str, set[int]]]:
    """A listener whose accept queue is full: a new connection's SYN is dropped, so connecting
    hangs (it is not refused). Yields its URL and the local ports of the sockets that fill it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{port}", {f.getsockname()[1] for f in fillers}
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def _watch_connecting(port: int, own: set[int], arrived: asyncio.Event) -> None:
    """Set `arrived` once the client's SYN is out (its socket in SYN_SENT)."""
    while not arrived.is_set():
        if any(state == "02" and local not in own for local, state in client_sockets(port)):
            arrived.set()
        await asyncio.sleep(0.005)


@asynccontextmanager
async def unread_upload() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A server that reads the first 64 KiB of a request and then nothing: a large body is stuck
    half sent. Sets its event once those bytes are in."""
    arrived = asyncio.Event()
    stop = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readexactly(65536)
            arrived.set()
            await stop.wait()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", arrived
    finally:
        stop.set()
        server.close()
        await server.wait_closed()


STAGES = ["connecting", "sending", "waiting", "reading", "retry-backoff", "refresh", "refresh-backoff"]


@pytest.mark.parametrize("how", ["cancel", "timeout"])
@pytest.mark.parametrize("stage", STAGES)
async def test_a_call_cancelled_at_any_stage_leaves_the_client_whole(
    stage: str, how: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    arrived = asyncio.Event()
    token_script = Switch(ok(TOKEN))
    scripts = {PATH: Switch(ok()), TOKEN_PATH: token_script}
    caplog.set_level(logging.ERROR, logger="asyncio")
    with no_resource_warnings():
        async with (
            misbehaving_server({PATH: ok(), TOKEN_PATH: token_script}) as healthy,
            misbehaving_server(scripts) as server,
            full_backlog() as (backlog_url, fillers),
            unread_upload() as (upload_url, uploaded),
        ):
            refreshing = LwaTokenAuth(
                client_id="cid", refresh_token="Atzr|r", token_url=server.url(TOKEN_PATH)
            )
            stages = {
                "connecting": Stage(backlog_url, arrived, own_ports=fillers),
                "sending": Stage(upload_url, uploaded),
                "waiting": Stage(server.base_url, arrived),
                "reading": Stage(server.base_url, arrived),
                "retry-backoff": Stage(server.base_url, arrived),
                "refresh": Stage(server.base_url, arrived, auth=refreshing),
                "refresh-backoff": Stage(server.base_url, arrived, auth=refreshing),
            }
            chosen = stages[stage]
            if stage == "waiting":
                scripts[PATH].script = held(arrived)
            elif stage == "reading":
                scripts[PATH].script = half_answered(arrived)
            elif stage == "retry-backoff":
                scripts[PATH].script = answer(503, {"message": "busy"}, headers={"Retry-After": "20"})
                monkeypatch.setattr(_async, "_sleep", _sleep_that_signals(arrived))
            elif stage == "refresh":
                token_script.script = held(arrived)
            elif stage == "refresh-backoff":
                token_script.script = answer(
                    503, {"error": "temporarily_unavailable"}, headers={"Retry-After": "20"}
                )
                monkeypatch.setattr(auth, "_async_sleep", _sleep_that_signals(arrived))
            watcher = asyncio.ensure_future(
                _watch_connecting(port_of(backlog_url), fillers, arrived)
                if stage == "connecting"
                else asyncio.sleep(0)
            )
            pool = one_connection_pool()
            try:
                async with AsyncClient(
                    base_url=chosen.base_url, auth=chosen.auth, admin_key=ADMIN_KEY, http_client=pool
                ) as client:
                    if stage == "sending":
                        call: Callable[[], Awaitable[Any]] = lambda: client.admin.restore(  # noqa: E731
                            {"blob": "x" * 12_000_000}  # a few MB stay unsent
                        )
                    else:
                        call = lambda: client.credentials.get(SKILL)  # noqa: E731
                    await cancel_when(chosen.arrived, call, how)

                    await eventually_no_client_sockets(port_of(chosen.base_url), exclude=chosen.own_ports)
                    if stage == "retry-backoff":
                        assert [r.path for r in server.requests] == [PATH]  # no retry once cancelled
                    if isinstance(chosen.auth, LwaTokenAuth):
                        assert chosen.auth.refresh_count == 0
                        token_script.script = ok(TOKEN)
                    # The same pool (of one connection) and the same auth serve the next call.
                    healthy_client = client.with_options(endpoints=Endpoints.local(healthy.base_url))
                    async with asyncio.timeout(5):
                        creds = await healthy_client.credentials.get(SKILL)
                    assert isinstance(creds, SkillCredentials)
                    if isinstance(chosen.auth, LwaTokenAuth):
                        assert chosen.auth.refresh_count == 1
                        assert chosen.auth.access_token == TOKEN["access_token"]
            finally:
                watcher.cancel()
                await pool.aclose()
    assert [r.getMessage() for r in caplog.records if "destroyed" in r.getMessage()] == []


async def test_a_task_cancelled_while_a_thread_refreshes_does_not_lock_out_later_refreshes() -> None:
    """A blocking Client in a thread and an AsyncClient share one LwaTokenAuth. The thread is
    refreshing; a task that waits for that refresh is cancelled by its asyncio.timeout. Later
    refreshes must still run: the task's wait for the thread lock once ran in a worker thread
    that went on to take the lock after the task was gone, and never gave it back, so every
    later refresh, in any thread or task, hung for ever."""
    arrived, go = asyncio.Event(), asyncio.Event()
    granted = ok(TOKEN)

    async def slow_token(request: Any, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        arrived.set()
        await go.wait()
        await granted(request, writer, release)

    now = [1_000_000.0]
    async with misbehaving_server({PATH: ok(), TOKEN_PATH: slow_token}) as server:
        shared = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r", clock=lambda: now[0])
        with Client(base_url=server.base_url, auth=shared) as blocking:
            async with AsyncClient(base_url=server.base_url, auth=shared) as client:
                in_thread = asyncio.ensure_future(
                    anyio.to_thread.run_sync(lambda: blocking.credentials.get(SKILL))
                )
                await arrived.wait()  # the thread holds the refresh lock now
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.3):
                        await client.credentials.get(SKILL)
                go.set()
                await in_thread
                assert shared.refresh_count == 1

                now[0] += 7200  # the token is stale again: the next call must refresh
                async with asyncio.timeout(5):
                    await client.credentials.get(SKILL)
                assert shared.refresh_count == 2
                await anyio.to_thread.run_sync(lambda: blocking.credentials.get(SKILL))
                assert shared.refresh_count == 2


async def test_calls_cancelled_at_the_real_server_leave_no_socket_and_the_client_works(
    live: str, sdk: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """10 calls held by a delay fault at localexa, cancelled together by an asyncio.timeout; the
    client then works, and once closed has no socket left to the server and nothing to warn of."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(vendor_id=dev.vendor_id, name="S", endpoint="http://127.0.0.1:9/s")
    fault = await sdk.admin.faults.create(path="/v1/skills/*/credentials", delay_ms=1500, count=10)
    with no_resource_warnings():
        async with AsyncClient(base_url=live, auth=dev.token) as client:

            async def held_then_cancelled() -> None:
                async with asyncio.timeout(None) as scope:
                    gathered = asyncio.gather(*[client.credentials.get(skill.skill_id) for _ in range(10)])
                    for _ in range(300):  # until the fault holds all 10 (1.5 s at most)
                        (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
                        if listed.matched == 10:
                            break
                        await asyncio.sleep(0.005)
                    assert listed.matched == 10
                    scope.reschedule(asyncio.get_running_loop().time())
                    await gathered

            with pytest.raises(TimeoutError):
                await held_then_cancelled()
            creds = await client.credentials.get(skill.skill_id)
            assert creds.skill_messaging_credentials.client_id
        await eventually_no_client_sockets(port_of(live))
    assert [r.getMessage() for r in caplog.records if "destroyed" in r.getMessage()] == []


async def test_closing_twice_and_closing_a_twin_are_safe() -> None:
    async with misbehaving_server({PATH: ok()}) as server:
        client = AsyncClient(base_url=server.base_url, auth="Atza|d")
        twin = client.with_options(max_retries=0)
        async with twin:
            await twin.credentials.get(SKILL)
        await twin.aclose()
        assert (
            await client.credentials.get(SKILL)
        ).skill_messaging_credentials.client_id  # a twin owns nothing
        async with client:
            pass
        await client.aclose()
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await client.credentials.get(SKILL)

        def blocking() -> None:
            sync_client = Client(base_url=server.base_url, auth="Atza|d")
            with sync_client:
                sync_client.credentials.get(SKILL)
            sync_client.close()
            sync_client.close()

        await anyio.to_thread.run_sync(blocking)
        assert len(server.requests) == 3
