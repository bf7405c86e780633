"""LwaTokenAuth: refresh 60 s before expiry, once more after a 401, one refresh at a time across
threads and tasks, and the refresh retried on 429/500/503."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from localexa.client import AsyncClient, AuthenticationError, BadRequestError, Client, LwaTokenAuth
from localexa.client.types import TokenResponse
from tests.client.conftest import BASE, FakeAmazon, form, reply

SKILL = "amzn1.ask.skill.1"
CREDENTIALS = f"{BASE}/v1/skills/{SKILL}/credentials"
CREDS_BODY = {"skillMessagingCredentials": {"clientId": "c", "clientSecret": "s"}}


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def token(access: str, refresh: str | None = None, expires_in: int = 3600) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": expires_in}
    if refresh:
        body["refresh_token"] = refresh
    return body


def auth_header(request: httpx.Request) -> str:
    value: str = request.headers.get("Authorization", "")
    return value


def test_refreshes_60_seconds_before_expiry_and_not_before(amazon: FakeAmazon) -> None:
    clock = Clock()
    auth = LwaTokenAuth(
        client_id="cid",
        client_secret="sec",
        refresh_token="Atzr|1",
        access_token="Atza|old",
        expires_at=clock.now + 3600,
        clock=clock,
    )
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, token("Atza|new", "Atzr|2")))
    amazon.on("GET", CREDENTIALS, reply(200, CREDS_BODY))
    with Client(base_url=BASE, auth=auth, transport=amazon.transport()) as client:
        clock.now += 3600 - 61  # 61 s left: still fresh
        client.credentials.get(SKILL)
        clock.now += 2  # 59 s left: inside the margin
        client.credentials.get(SKILL)
        client.credentials.get(SKILL)
    api_calls = amazon.calls(f"/v1/skills/{SKILL}/credentials")
    assert [auth_header(r) for r in api_calls] == ["Bearer Atza|old", "Bearer Atza|new", "Bearer Atza|new"]
    (refresh,) = amazon.calls("/auth/o2/token")
    assert str(refresh.url) == f"{BASE}/auth/o2/token"  # bound to the client's LWA host
    assert form(refresh) == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|1",
        "client_id": "cid",
        "client_secret": "sec",
    }
    assert auth.expires_at == clock.now + 3600
    assert auth.refresh_count == 1


def test_a_rotated_refresh_token_is_used_next_time(amazon: FakeAmazon) -> None:
    clock = Clock()
    seen: list[TokenResponse] = []
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|1", clock=clock, on_refresh=seen.append)
    amazon.on(
        "POST", f"{BASE}/auth/o2/token", reply(200, token("Atza|a", "Atzr|2")), reply(200, token("Atza|b"))
    )
    amazon.on("GET", CREDENTIALS, reply(200, CREDS_BODY))
    with Client(base_url=BASE, auth=auth, transport=amazon.transport()) as client:
        client.credentials.get(SKILL)
        clock.now += 3600
        client.credentials.get(SKILL)
    refreshes = amazon.calls("/auth/o2/token")
    assert [form(r)["refresh_token"] for r in refreshes] == ["Atzr|1", "Atzr|2"]
    assert [t.access_token for t in seen] == ["Atza|a", "Atza|b"]


def test_a_401_refreshes_once_and_resends(amazon: FakeAmazon) -> None:
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|1", access_token="Atza|old", expires_at=None)
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, token("Atza|new")))
    sent: list[str] = []  # the resend reuses the request object, so read headers as they arrive

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(auth_header(request))
        if auth_header(request) == "Bearer Atza|new":
            return httpx.Response(200, json=CREDS_BODY)
        return httpx.Response(401, json={"code": "UNAUTHORIZED", "message": "expired"})

    amazon.on("GET", CREDENTIALS, api)
    with Client(base_url=BASE, auth=auth, transport=amazon.transport()) as client:
        client.credentials.get(SKILL)
    assert sent == ["Bearer Atza|old", "Bearer Atza|new"]
    assert auth.refresh_count == 1


def test_a_second_401_is_raised_not_looped(amazon: FakeAmazon) -> None:
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|1", access_token="Atza|old")
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, token("Atza|new")))
    amazon.on("GET", CREDENTIALS, reply(401, {"code": "UNAUTHORIZED", "message": "no"}))
    with (
        Client(base_url=BASE, auth=auth, transport=amazon.transport()) as client,
        pytest.raises(AuthenticationError),
    ):
        client.credentials.get(SKILL)
    assert len(amazon.calls("/auth/o2/token")) == 1
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 2


async def test_a_failed_refresh_raises_the_lwa_error(amazon: FakeAmazon) -> None:
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|revoked")
    amazon.on(
        "POST",
        f"{BASE}/auth/o2/token",
        reply(400, {"error": "invalid_grant", "error_description": "Revoked."}),
    )
    async with AsyncClient(base_url=BASE, auth=auth, transport=amazon.transport()) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.credentials.get(SKILL)
    assert caught.value.code == "invalid_grant"
    assert amazon.calls(f"/v1/skills/{SKILL}/credentials") == []


async def test_the_refresh_is_retried_on_503(amazon: FakeAmazon, sleeps: list[float]) -> None:
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|1")
    amazon.on(
        "POST",
        f"{BASE}/auth/o2/token",
        reply(503, {"error": "temporarily_unavailable"}, {"Retry-After": "2"}),
        reply(200, token("Atza|new")),
    )
    amazon.on("GET", CREDENTIALS, reply(200, CREDS_BODY))
    async with AsyncClient(base_url=BASE, auth=auth, transport=amazon.transport()) as client:
        await client.credentials.get(SKILL)
    assert sleeps == [2.0]
    assert auth.access_token == "Atza|new"


def test_client_credentials_auth_and_repr_hide_secrets(amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, token("Atza|skill")))
    amazon.on("POST", f"{BASE}/v3/events", reply(202))
    with Client(base_url=BASE, transport=amazon.transport()) as client:
        auth = client.lwa.token_auth(client_id="cid", client_secret="sec", scope="alexa:skill_messaging")
        client.with_options(auth=auth).events.send({"event": {}})
    assert form(amazon.calls("/auth/o2/token")[0])["grant_type"] == "client_credentials"
    assert auth_header(amazon.calls("/v3/events")[0]) == "Bearer Atza|skill"
    assert "sec" not in repr(auth)
    assert "Atza|skill" not in repr(auth)


async def test_20_threads_and_20_tasks_share_exactly_one_refresh() -> None:
    """The auth is shared by a sync client in 20 threads and an async client in 20 tasks, all
    starting with an expired token: exactly one refresh happens and every call carries its token."""
    refreshes = 0
    seen: list[str] = []
    guard = threading.Lock()

    def record(request: httpx.Request) -> httpx.Response | None:
        nonlocal refreshes
        with guard:
            if request.url.path == "/auth/o2/token":
                refreshes += 1
                return None
            seen.append(auth_header(request))
            return httpx.Response(200, json=CREDS_BODY)

    def sync_handler(request: httpx.Request) -> httpx.Response:
        answer = record(request)
        if answer is None:
            time.sleep(0.05)  # a slow LWA, so everyone else piles up behind the lock
            return httpx.Response(200, json=token("Atza|fresh", "Atzr|2"))
        return answer

    async def async_handler(request: httpx.Request) -> httpx.Response:
        answer = record(request)
        if answer is None:
            await asyncio.sleep(0.05)
            return httpx.Response(200, json=token("Atza|fresh", "Atzr|2"))
        return answer

    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|1", access_token="Atza|expired", expires_at=0.0)
    start = threading.Barrier(21)
    sync_client = Client(base_url=BASE, auth=auth, transport=httpx.MockTransport(sync_handler))
    async_client = AsyncClient(base_url=BASE, auth=auth, transport=httpx.MockTransport(async_handler))

    def in_thread() -> None:
        start.wait()
        sync_client.credentials.get(SKILL)

    threads = [threading.Thread(target=in_thread) for _ in range(20)]
    for thread in threads:
        thread.start()
    async with anyio.create_task_group() as group:
        await anyio.to_thread.run_sync(start.wait)  # release the threads as the tasks start
        for _ in range(20):
            group.start_soon(async_client.credentials.get, SKILL)
    for thread in threads:
        thread.join()
    sync_client.close()
    await async_client.aclose()
    assert refreshes == 1
    assert auth.refresh_count == 1
    assert seen == ["Bearer Atza|fresh"] * 40
