"""localexa's own calls to skills and token servers (core/http.py) give up an idle connection
after 1 s: a skill or token server served by uvicorn closes one idle 5 s, gunicorn one idle 2 s,
and a directive or token request written on it as it closed got no answer ("Server disconnected
without sending a response"): the directive failed, and a POST is not sent again. httpx keeps
an idle connection 5 s."""

from __future__ import annotations

import asyncio

from localexa.server.core.http import OutboundHttp
from tests.idle_closing_server import closing_at_idle


async def test_a_call_after_a_pause_of_a_gunicorn_idle_timeout_goes_on_a_new_connection() -> None:
    connections: list[int] = []
    outbound = OutboundHttp()
    try:
        async with closing_at_idle(2.0, connections) as url:
            first = await outbound.request("POST", f"{url}/skill", timeout=10, json_body={"n": 1})
            await asyncio.sleep(2.2)
            second = await outbound.request("POST", f"{url}/skill", timeout=10, json_body={"n": 2})
    finally:
        await outbound.aclose()
    assert (first.status, second.status) == (201, 201)
    assert len(connections) == 2
