"""Helpers for the client's tests: a fake Amazon on httpx.MockTransport, recorded sleeps, and a
fixture that runs one test against both `Client` and `AsyncClient`."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import httpx
import pytest

from localexa.client import AsyncClient, AsyncPager, Client, SyncPager, _async, _sync, auth

BASE = "http://127.0.0.1:8080"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeAmazon:
    """Answers by (method, host:port, path); each route replays its replies in order, the last forever."""

    routes: dict[tuple[str, str, str], list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, url: str, *replies: Reply) -> None:
        parsed = httpx.URL(url)
        self.routes[(method, f"{parsed.host}:{parsed.port}", parsed.path)] = list(replies)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, f"{request.url.host}:{request.url.port}", request.url.path)
        replies = self.routes.get(key)
        if not replies:
            return httpx.Response(599, json={"message": f"no fake route for {key}"})
        answer = replies.pop(0) if len(replies) > 1 else replies[0]
        return answer(request) if callable(answer) else answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


def form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
def amazon() -> FakeAmazon:
    return FakeAmazon()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff wait, recorded instead of slept."""
    recorded: list[float] = []

    def fake(seconds: float) -> None:
        recorded.append(seconds)

    async def afake(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_sync, "_sleep", fake)
    monkeypatch.setattr(_async, "_sleep", afake)
    monkeypatch.setattr(auth, "_sleep", fake)
    monkeypatch.setattr(auth, "_async_sleep", afake)
    return recorded


class Either:
    """One test, two clients: `await either.run(lambda c: c.x.y(...))` on Client or AsyncClient.

    Pagers are drained into lists, so a test reads the same in both modes.
    """

    def __init__(self, mode: str, amazon: FakeAmazon, **options: Any) -> None:
        self.mode = mode
        self.amazon = amazon
        self.options = {"base_url": BASE, **options}

    async def run(self, call: Callable[[Any], Any], **options: Any) -> Any:
        merged = {**self.options, **options}
        if self.mode == "sync":

            def blocking() -> Any:
                with Client(transport=self.amazon.transport(), **merged) as client:
                    result = call(client)
                    return list(result) if isinstance(result, SyncPager) else result

            return await anyio.to_thread.run_sync(blocking)
        async with AsyncClient(transport=self.amazon.transport(), **merged) as client:
            result = call(client)
            if isinstance(result, AsyncPager):
                return [item async for item in result]
            return await result if inspect.isawaitable(result) else result


@pytest.fixture(params=["sync", "async"])
def either(request: pytest.FixtureRequest, amazon: FakeAmazon) -> Either:
    return Either(request.param, amazon)


# The contract tests' fixtures (they need the real app of tests/conftest.py).
from tests.client.contract import sdk, sync_sdk  # noqa: E402

__all__ = ["sdk", "sync_sdk"]
