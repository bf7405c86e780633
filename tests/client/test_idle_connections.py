"""The client's pool gives up an idle connection before `localexa serve` closes it.

httpx keeps an idle connection 5 s by default, exactly as long as `localexa serve --idle-timeout`
(5 s) keeps it: a request written on it just as the server closed it got no answer ("Server
disconnected without sending a response", seen in CI on a loaded machine), and a POST is then
not sent again (the server may have acted on it). The client keeps idle connections 4 s.
"""

from __future__ import annotations

import asyncio

from localexa.client import AsyncClient
from tests.idle_closing_server import closing_at_idle

#: Idle long enough for the client to give the connection up, not for the server's 5 s.
IDLE = 4.3


async def test_a_post_after_an_idle_pause_goes_on_a_new_connection() -> None:
    connections: list[int] = []
    async with (
        closing_at_idle(4.0, connections) as url,
        AsyncClient(base_url=url, admin_key="k") as client,
    ):
        await client.admin.vendors.create(name="Acme", owner_user_id="amzn1.account.1")
        await asyncio.sleep(IDLE)
        made = await client.admin.vendors.create(name="Acme", owner_user_id="amzn1.account.1")
    assert made.name == "Acme"
    assert len(connections) == 2
