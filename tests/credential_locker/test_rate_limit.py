"""The Credential Locker's 429 (seed: "Permitted rate limit, specified as number of requests per
unit of time, exceeded. Retry the request by using exponential back-off."), in its own shape."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.rate_limit import WindowLimiter
from tests.credential_locker.conftest import Locker, make_locker, network
from tests.factories import Admin

XPAN = "dead00beef00cafe"


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_over_the_rate_limit_is_429_with_retry_after(locker: Locker, app: FastAPI, method: str) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("1/minute", None)

    async def call(n: int) -> httpx.Response:
        return await (locker.get(extendedPanId=XPAN) if method == "GET" else locker.put(network(n)))

    assert (await call(0)).status_code == 200
    limited = await call(1)

    assert limited.status_code == 429, limited.text
    assert limited.json() == {"code": "TOO_MANY_REQUESTS", "message": limited.json()["message"]}
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-Amzn-RequestId"]


async def test_a_refused_put_stores_nothing(locker: Locker, app: FastAPI) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("0/minute", None)
    assert (await locker.put(network())).status_code == 429
    app.state.rate_limiter = WindowLimiter.from_settings("100/minute", None)
    assert (await locker.get(extendedPanId=XPAN)).json() == {"threadNetworks": []}


async def test_the_budget_is_per_customer(
    locker: Locker, client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("1/minute", None)
    other = await make_locker(client, admin, skill=locker.skill)
    assert (await locker.get(extendedPanId=XPAN)).status_code == 200
    assert (await other.get(extendedPanId=XPAN)).status_code == 200
    assert (await locker.get(extendedPanId=XPAN)).status_code == 429


async def test_auth_comes_before_the_rate_limit(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("0/minute", None)
    answer = await client.get("/credentiallocker/v2/threadNetworks", params={"extendedPanId": XPAN})
    assert answer.status_code == 401
