"""Small helpers shared by the enablement and credentials tests."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.enablement.token_server import CLIENT_ID, CLIENT_SECRET, TokenServer
from tests.factories import Admin, Customer, Skill

ACCOUNT_LINKING = "alexa::skills:account_linking"
READWRITE = "alexa::ask:skills:readwrite"
READ = "alexa::ask:skills:read"
REDIRECT = "https://app.example.com/alexa"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def account_linking(
    server: TokenServer, mode: str = "ok", scheme: str = "HTTP_BASIC", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "AUTH_CODE",
        "authorizationUrl": "https://skill.example.com/authorize",
        "accessTokenUrl": server.url(mode),
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "accessTokenScheme": scheme,
        "scopes": ["lights"],
        "redirectUrls": [REDIRECT],
    }
    body.update(extra)
    return body


async def linked_skill(
    admin: Admin, server: TokenServer, mode: str = "ok", scheme: str = "HTTP_BASIC", **kwargs: Any
) -> Skill:
    extra = kwargs.pop("linking", {})
    return await admin.skill(account_linking=account_linking(server, mode, scheme, **extra), **kwargs)


async def customer_token(admin: Admin, customer: Customer, scopes: list[str] | None = None) -> str:
    return await admin.access_token(customer.user_id, scopes or [ACCOUNT_LINKING])


async def developer_token(admin: Admin, skill: Skill, scopes: list[str] | None = None) -> str:
    return await admin.access_token(skill.developer.user_id, scopes or [READWRITE])


def new_code() -> str:
    return "code-" + secrets.token_hex(8)


def link_body(
    code: str, *, stage: str = "development", redirect: str = REDIRECT, verifier: str | None = None
) -> dict[str, Any]:
    request: dict[str, Any] = {"redirectUri": redirect, "authCode": code, "type": "AUTH_CODE"}
    if verifier is not None:
        request["codeVerifier"] = verifier
    return {"stage": stage, "accountLinkRequest": request}


def enablement_path(skill_id: str) -> str:
    return f"/v1/users/~current/skills/{skill_id}/enablement"


def developer_path(skill_id: str, stage: str = "development") -> str:
    return f"/v1/skills/{skill_id}/stages/{stage}/enablement"


async def link(
    client: httpx.AsyncClient, token: str, skill_id: str, code: str | None = None, **kwargs: Any
) -> httpx.Response:
    return await client.post(
        enablement_path(skill_id), json=link_body(code or new_code(), **kwargs), headers=bearer(token)
    )
