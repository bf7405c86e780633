"""Factories over the admin API: what tests use instead of writing rows themselves.

Every call goes through the fixed admin contract (../shared/spec/admin-api.md), so these also
exercise it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Customer:
    user_id: str
    email: str
    password: str
    region: str


@dataclass
class Skill:
    skill_id: str
    vendor_id: str
    developer: Customer
    messaging_client_id: str
    messaging_client_secret: str
    body: dict[str, Any] = field(default_factory=dict)
    #: Its Alexa client (app-to-app account linking), whose customer tokens link it.
    alexa_client_id: str | None = None


class Admin:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client = client
        self.headers = {"X-Localexa-Admin-Key": key}

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/_localexa/{path}", json=body, headers=self.headers)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        result: dict[str, Any] = response.json()
        return result

    async def customer(
        self, *, region: str = "NA", name: str = "Ada", password: str = "correct horse"
    ) -> Customer:
        email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
        body = await self.post(
            "customers", {"name": name, "email": email, "password": password, "region": region}
        )
        return Customer(user_id=body["userId"], email=email, password=password, region=region)

    async def vendor(self, owner: Customer, name: str = "Acme") -> str:
        body = await self.post("vendors", {"name": name, "ownerUserId": owner.user_id})
        vendor_id: str = body["vendorId"]
        return vendor_id

    async def lwa_client(self, redirect_uris: list[str] | None = None, name: str = "App") -> tuple[str, str]:
        body = await self.post(
            "lwa-clients", {"name": name, "redirectUris": redirect_uris or ["https://app.example.com/cb"]}
        )
        return body["clientId"], body["clientSecret"]

    async def skill(
        self,
        developer: Customer | None = None,
        *,
        endpoint: str = "http://127.0.0.1:9/skill",
        permissions: list[str] | None = None,
        account_linking: dict[str, Any] | None = None,
        stages: list[str] | None = None,
        name: str = "My Lights",
    ) -> Skill:
        developer = developer or await self.customer(name="Dev")
        vendor_id = await self.vendor(developer)
        body: dict[str, Any] = {"vendorId": vendor_id, "name": name, "endpoint": endpoint}
        if permissions is not None:
            body["permissions"] = permissions
        if account_linking is not None:
            body["accountLinking"] = account_linking
        if stages is not None:
            body["stages"] = stages
        answer = await self.post("skills", body)
        creds = answer["skillMessagingCredentials"]
        return Skill(
            skill_id=answer["skillId"],
            vendor_id=vendor_id,
            developer=developer,
            messaging_client_id=creds["clientId"],
            messaging_client_secret=creds["clientSecret"],
            body=body,
            alexa_client_id=answer["alexaClientCredentials"]["clientId"],
        )

    async def tokens(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        return await self.post("tokens", {"clientId": client_id, "userId": user_id, "scopes": scopes})

    async def access_token(self, user_id: str, scopes: list[str], client_id: str | None = None) -> str:
        if client_id is None:
            client_id, _ = await self.lwa_client()
        token: str = (await self.tokens(client_id, user_id, scopes))["access_token"]
        return token

    async def advance_clock(self, seconds: float) -> str:
        now: str = (await self.post("clock", {"advanceSeconds": seconds}))["now"]
        return now
