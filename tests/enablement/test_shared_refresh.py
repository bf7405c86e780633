"""Concurrent directives whose linked token expired share one refresh at the skill's token URL,
also when the token server answers without a new refresh token (RFC 6749 §6 allows it; on SQLite
each directive then refreshed again, one after another), and on SQLite they share a refused
refresh's answer instead of each asking again (re-verification of 2026-12-05; on PostgreSQL since
2026-12-06)."""

from __future__ import annotations

import asyncio

import httpx

from tests.enablement.helpers import customer_token, link, linked_skill, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.observe.helpers import ADMIN


async def _expired_link(
    client: httpx.AsyncClient, admin: Admin, server: TokenServer, mode: str
) -> tuple[dict[str, str], str]:
    """A directive's body for a link whose token expired, and the link's refresh token (the token
    server is the session's: its calls are counted by this refresh token)."""
    skill = await linked_skill(admin, server, mode=mode)
    customer = await admin.customer()
    token = await customer_token(admin, customer)
    code = new_code()
    assert (await link(client, token, skill.skill_id, code)).status_code == 201
    await admin.advance_clock(3601)
    return {
        "userId": customer.user_id,
        "skillId": skill.skill_id,
        "endpointId": "lamp",
        "namespace": "Alexa",
        "name": "ReportState",
    }, f"rt-{code}"


async def _send_many(client: httpx.AsyncClient, body: dict[str, str], n: int = 5) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(client.post("/_localexa/directives", json=body, headers=ADMIN) for _ in range(n))
        )
    )


async def test_a_refresh_without_a_new_refresh_token_is_shared(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    body, refresh = await _expired_link(client, admin, token_server, "ok")  # "ok" answers no refresh_token
    answers = await _send_many(client, body)
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert len(token_server.calls_with("refresh_token", refresh)) == 1


async def test_a_refused_refresh_is_refused_once(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """On SQLite the waiting directives share the try outside the transaction; on PostgreSQL
    those waiting for the row lock the failed try held (each asked again until 2026-12-06)."""
    # Slowly: the five directives all wait while the one try runs (one coming after it failed
    # asks again, as it should).
    body, refresh = await _expired_link(client, admin, token_server, "refresh-broken-slowly")
    answers = await _send_many(client, body)
    assert [a.status_code for a in answers] == [503] * 5
    assert all("failed to refresh" in a.json()["message"] for a in answers), answers[0].text
    assert len(token_server.calls_with("refresh_token", refresh)) == 1
