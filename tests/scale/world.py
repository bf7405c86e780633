"""State for the process-level tests, made through the admin API of a running server (sync)."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Barrier
from typing import Any

import httpx

from tests.scale.processes import ServerProcess

THREAD_PERMISSION = "alexa::thread_network_credentials:read"
READWRITE = "alexa::ask:skills:readwrite"
ACCOUNT_LINKING = "alexa::skills:account_linking"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def customer(server: ServerProcess, name: str = "Ada") -> str:
    email = f"{name.lower()}-{secrets.token_hex(6)}@example.com"
    body = server.admin("customers", {"name": name, "email": email, "password": "pw", "region": "NA"})
    user_id: str = body["userId"]
    return user_id


@dataclass
class SkillOwner:
    developer: str
    skill_id: str
    messaging_client_id: str


def skill(
    server: ServerProcess,
    *,
    permissions: list[str] | None = None,
    account_linking: dict[str, Any] | None = None,
    endpoint: str = "http://127.0.0.1:9/skill",
    stages: list[str] | None = None,
) -> SkillOwner:
    developer = customer(server, "Dev")
    vendor = server.admin("vendors", {"name": "Acme", "ownerUserId": developer})["vendorId"]
    body: dict[str, Any] = {"vendorId": vendor, "name": "Scale", "endpoint": endpoint}
    if permissions is not None:
        body["permissions"] = permissions
    if account_linking is not None:
        body["accountLinking"] = account_linking
    if stages is not None:
        body["stages"] = stages
    made = server.admin("skills", body)
    return SkillOwner(developer, made["skillId"], made["skillMessagingCredentials"]["clientId"])


def app_token(server: ServerProcess, user_id: str, scopes: list[str]) -> str:
    """An access token of a fresh LWA client (an app) for `user_id`."""
    client_id = server.admin("lwa-clients", {"name": "App", "redirectUris": ["https://app.example.com/cb"]})
    return token(server, client_id["clientId"], user_id, scopes)


def token(server: ServerProcess, client_id: str, user_id: str, scopes: list[str]) -> str:
    body = server.admin("tokens", {"clientId": client_id, "userId": user_id, "scopes": scopes})
    access: str = body["access_token"]
    return access


def concurrently(calls: list[tuple[ServerProcess, str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send every (server, method, path, httpx kwargs) at the same moment, one thread each."""
    barrier = Barrier(len(calls))

    def send(call: tuple[ServerProcess, str, str, dict[str, Any]]) -> httpx.Response:
        server, method, path, kwargs = call
        with server.client() as http:
            http.get("/_localexa/health")  # connect first, so the barrier lines up the requests
            barrier.wait(30)
            return http.request(method, path, **kwargs)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))
