"""A Redis that accepts connections and never answers (paused, swapping, a dead peer behind a load
balancer) holds a call up once per spell, not on every call (core/redis_guard.py).

Before, every authenticated call waited 5 s for the token epoch and 5 s for its rate limit: 10 s
each, 30 at once as well (measured 2026-12-07 against this test's silent listener).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core import redis_guard
from localexa.server.core.rate_limit import COUNTED_HERE
from localexa.server.core.redis_guard import COMMAND_SECONDS, NO_ANSWER
from localexa.server.settings import Settings
from tests.core.tcp_relay import silent_redis as hung_redis
from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin


@pytest.fixture
def backend() -> str:
    # SQLite only: the guard is the same on both (and on PostgreSQL the `app` fixture's emptying
    # deletes tokens, which with Redis out of reach is refused by design: lwa/token_cache.py).
    return "sqlite"


@pytest.fixture
async def silent_redis() -> AsyncIterator[str]:
    async with hung_redis() as url:
        yield url


@pytest.fixture
def settings(settings: Settings, silent_redis: str) -> Settings:
    return settings.model_copy(update={"redis_url": silent_redis})


async def test_a_hung_redis_holds_authenticated_calls_up_once_per_spell(
    client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    token = await customer_token(admin, await admin.customer())

    began = time.monotonic()
    for _ in range(10):
        answer = await client.get("/v1/alexaApiEndpoint", headers=bearer(token))
        assert answer.status_code == 200, answer.text
    answers = await asyncio.gather(
        *(client.get("/v1/alexaApiEndpoint", headers=bearer(token)) for _ in range(30))
    )
    took = time.monotonic() - began

    assert {a.status_code for a in answers} == {200}
    # No wait at all: the start's epoch read waited once, and every use rests (400 s before).
    assert took < COMMAND_SECONDS, took
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert f"rate limit storage failed ({NO_ANSWER}); {COUNTED_HERE}" in warnings, warnings


async def test_a_revocation_a_hung_redis_cannot_share_is_refused_within_the_cut(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A write that may end tokens must tell the other processes first (lwa/token_cache.py): with
    Redis hung it is refused as with Redis down, after one cut, and nothing changed."""
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["profile"])

    began = time.monotonic()
    reset = await client.post("/_localexa/reset", headers=admin.headers)
    took = time.monotonic() - began

    assert reset.status_code == 503, reset.text
    assert f"(Redis: {NO_ANSWER}); nothing was changed" in reset.json()["message"]
    assert took < 2 * COMMAND_SECONDS, took
    profile = await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200, profile.text  # rolled back


async def test_each_spell_holds_a_call_up_one_cut_not_one_per_use(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token epoch, the rate limits and the directives in flight rest together: with a guard
    each, a call waited the epoch's cut and then the rate limit's (4 s), and their rests drifted
    apart so that a call was held up every 3.5 s (review of 2026-12-07)."""
    token = await customer_token(admin, await admin.customer())
    monkeypatch.setattr(redis_guard, "REST_SECONDS", 0.5)
    app.state.redis_health.rest(NO_ANSWER)  # the start's cut rests 5 s: 0.5 from now instead
    took = []
    for _ in range(2):  # two guards a call waited for took 4 s at the first already
        await asyncio.sleep(0.6)  # the rest is over: the next call asks Redis again
        began = time.monotonic()
        answer = await client.get("/v1/alexaApiEndpoint", headers=bearer(token))
        took.append(time.monotonic() - began)
        assert answer.status_code == 200, answer.text
    assert all(COMMAND_SECONDS * 0.9 < seconds < COMMAND_SECONDS * 1.5 for seconds in took), took
