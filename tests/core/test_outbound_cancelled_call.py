"""An outbound call its caller cuts off is still journaled: the request reached the skill or token
server, whatever became of its answer. A test case over its time limit cancelled the directive in
flight, and the skill had it while neither the journal nor the observers ever heard of it
(review of hang-ups, 2026-12-07)."""

from __future__ import annotations

import asyncio

from localexa.server.core.http import OutboundCall, OutboundHttp
from tests.misbehaving_servers import RawRequest, misbehaving_server


async def test_a_call_cancelled_by_its_caller_is_observed() -> None:
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    arrived = asyncio.Event()

    async def silent(request: RawRequest, writer: asyncio.StreamWriter, release: asyncio.Event) -> None:
        arrived.set()  # the server has it, and never answers
        await release.wait()

    http = OutboundHttp()
    http.observers.append(observer)
    try:
        async with misbehaving_server({"/skill": silent}) as server:
            call = asyncio.create_task(
                http.request("POST", server.url("/skill"), timeout=30, json_body={"directive": {}})
            )
            await asyncio.wait_for(arrived.wait(), 10)
            call.cancel()
            try:
                await call
            except asyncio.CancelledError:
                pass
            else:
                raise AssertionError("the call was not cancelled")
    finally:
        await http.aclose()
    assert [(c.method, c.url, c.status, c.error) for c in seen] == [
        ("POST", server.url("/skill"), None, "cancelled")
    ]
    assert seen[0].request_body == b'{"directive":{}}'
