"""Fixtures for the contract tests: the SDK against the real app (tests/conftest.py `app`).

`sdk` is an AsyncClient on httpx.ASGITransport. `sync_sdk` is a blocking Client whose transport
hands each request to the same app on the test's event loop, so a test runs the blocking client in
a worker thread (`await in_thread(lambda: ...)`) against the very same server and database.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI

from localexa.client import AsyncClient, Client
from localexa.client.types import SkillCreated
from tests.conftest import ADMIN_KEY

T = TypeVar("T")
BASE = "http://127.0.0.1:8080"
READWRITE = "alexa::ask:skills:readwrite"


class LoopBridge(httpx.BaseTransport):
    """A blocking transport that runs each request through ASGITransport on `loop`."""

    def __init__(self, app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def forward() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._transport.handle_async_request(copy)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = asyncio.run_coroutine_threadsafe(forward(), self._loop).result(timeout=30)
        return httpx.Response(status, headers=headers, content=body, request=request)


async def in_thread(call: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(call)


@pytest.fixture
async def sdk(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        base_url=BASE, admin_key=ADMIN_KEY, transport=httpx.ASGITransport(app=app)
    ) as client:
        yield client


@pytest.fixture
async def sync_sdk(app: FastAPI) -> AsyncIterator[Client]:
    bridge = LoopBridge(app, asyncio.get_running_loop())
    with Client(base_url=BASE, admin_key=ADMIN_KEY, transport=bridge) as client:
        yield client


@dataclass
class Developer:
    user_id: str
    vendor_id: str
    token: str


@dataclass
class World:
    developer: Developer
    skill: SkillCreated


def email() -> str:
    return f"user-{secrets.token_hex(4)}@example.com"


async def developer(sdk: AsyncClient, *, scopes: list[str] | None = None) -> Developer:
    user = await sdk.admin.customers.create(name="Dev", email=email(), password="pw")
    vendor = await sdk.admin.vendors.create(name="Acme", owner_user_id=user.user_id)
    app_client = await sdk.admin.lwa_clients.create(name="Console", redirect_uris=["https://a.example/cb"])
    tokens = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=user.user_id, scopes=scopes or [READWRITE]
    )
    return Developer(user.user_id, vendor.vendor_id, tokens.access_token)


async def world(sdk: AsyncClient, **skill: Any) -> World:
    dev = await developer(sdk)
    created = await sdk.admin.skills.create(
        vendor_id=dev.vendor_id, name="My Lights", endpoint="http://127.0.0.1:9/skill", **skill
    )
    return World(dev, created)
