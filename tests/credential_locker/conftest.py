"""Fixtures of the Credential Locker tests: a customer, a skill with the Thread permission, and the
token that skill uses for that customer (its messaging client's, as after AcceptGrant)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import Admin, Customer, Skill

PATH = "/credentiallocker/v2/threadNetworks"
PERMISSION = "alexa::thread_network_credentials:read"
EVENT_SCOPES = ["alexa::async_event:write"]


@dataclass
class Locker:
    """One skill acting for one customer, with helpers over the two routes."""

    client: httpx.AsyncClient
    admin: Admin
    customer: Customer
    skill: Skill
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def refresh_token(self) -> None:
        """A fresh access token (they live 1 h; tests move the clock further)."""
        self.token = await token_for(self.admin, self.skill, self.customer)

    async def put(self, network: dict[str, Any]) -> httpx.Response:
        # ensure_ascii: a lone surrogate travels as the JSON escape "\ud800", as a client would send it.
        content = json.dumps({"threadNetwork": network}, ensure_ascii=True)
        headers = {**self.headers, "Content-Type": "application/json"}
        return await self.client.put(PATH, content=content, headers=headers)

    async def get(self, **params: Any) -> httpx.Response:
        return await self.client.get(PATH, params=params, headers=self.headers)


async def token_for(admin: Admin, skill: Skill, customer: Customer) -> str:
    token: str = (await admin.tokens(skill.messaging_client_id, customer.user_id, EVENT_SCOPES))[
        "access_token"
    ]
    return token


async def make_locker(
    client: httpx.AsyncClient,
    admin: Admin,
    *,
    customer: Customer | None = None,
    skill: Skill | None = None,
    permissions: list[str] | None = None,
) -> Locker:
    customer = customer or await admin.customer()
    if skill is None:
        perms = [PERMISSION, "alexa::async_event:write"] if permissions is None else permissions
        skill = await admin.skill(permissions=perms)
    return Locker(client, admin, customer, skill, await token_for(admin, skill, customer))


@pytest.fixture
async def locker(client: httpx.AsyncClient, admin: Admin) -> Locker:
    return await make_locker(client, admin)


def network(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid threadNetwork; `n` varies the name."""
    body: dict[str, Any] = {
        "extendedPanId": "dead00beef00cafe",
        "networkName": f"Home-{n}",
        "networkKey": "00112233445566778899aabbccddeeff",
        "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
        "panId": "1234",
        "channelNumber": 15,
        "defaultBorderAgentId": "0123456789abcdef0123456789abcdef",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
