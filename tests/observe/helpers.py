"""Small helpers shared by the observe tests (admin calls for the journal and faults)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from localexa.server.observe.exchange import Exchange
from tests.conftest import ADMIN_KEY

ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}


async def journal(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/_localexa/journal", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def add_fault(client: httpx.AsyncClient, **body: Any) -> str:
    response = await client.post("/_localexa/faults", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    fault_id: str = response.json()["faultId"]
    return fault_id


async def faults(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/_localexa/faults", headers=ADMIN)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def inbound_call(path: str) -> Exchange:
    """A GET answered 200 as the journal's writer gets it, for tests that record entries themselves
    (a second writer standing for another process, a writer whose connection is cut)."""
    return Exchange(
        direction="inbound",
        at=datetime.now(UTC),
        method="GET",
        path=path,
        status=200,
        latency_ms=1.0,
        request_id=path.rsplit("/", 1)[-1],
    )
