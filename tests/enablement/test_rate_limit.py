"""Rate limits (core/rate_limit.py): 429 + Retry-After per caller and operation, in memory and
shared through Redis by several server processes."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.core.rate_limit import WindowLimiter
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    READWRITE,
    bearer,
    customer_token,
    developer_path,
    developer_token,
)
from tests.factories import Admin
from tests.redis_probe import REDIS_URL, redis_or_skip


@pytest.fixture
def tight(app: FastAPI) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)


@pytest.mark.usefixtures("tight")
async def test_smapi_429_with_retry_after(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    path = developer_path(skill.skill_id)
    assert (await client.put(path, headers=bearer(token))).status_code == 204
    assert (await client.put(path, headers=bearer(token))).status_code == 204
    limited = await client.put(path, headers=bearer(token))
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["code"] == "TOO_MANY_REQUESTS"
    assert set(limited.json()) == {"code", "message"}
    # Another operation has its own budget …
    assert (await client.get(path, headers=bearer(token))).status_code == 204
    # … and so has another caller.
    other = await admin.skill()
    assert (
        await client.put(developer_path(other.skill_id), headers=bearer(await developer_token(admin, other)))
    ).status_code == 204


@pytest.mark.usefixtures("tight")
async def test_customer_429_in_the_customer_shape(client: httpx.AsyncClient, admin: Admin) -> None:
    token = await customer_token(admin, await admin.customer())
    for _ in range(2):
        assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(token))).status_code == 200
    limited = await client.get("/v1/alexaApiEndpoint", headers=bearer(token))
    assert limited.status_code == 429
    assert set(limited.json()) == {"message"}
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.usefixtures("tight")
async def test_the_same_customer_with_two_tokens_shares_one_budget(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """Two tokens of one client (an app) for the customer: one budget, however many it mints."""
    customer = await admin.customer()
    app_client, _ = await admin.lwa_client()
    first = await admin.access_token(customer.user_id, [ACCOUNT_LINKING], client_id=app_client)
    second = await admin.access_token(customer.user_id, [ACCOUNT_LINKING], client_id=app_client)
    assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(first))).status_code == 200
    assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(second))).status_code == 200
    assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(first))).status_code == 429


@pytest.fixture
async def redis_apps(settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two server instances over one database and one Redis, as behind a load balancer."""
    await redis_or_skip()
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "rate_limit": "3/minute"})
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            application = create_app(shared)
            await stack.enter_async_context(application.router.lifespan_context(application))
            transport = httpx.ASGITransport(app=application)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080")
                )
            )
        yield clients


async def test_two_processes_share_one_budget_in_redis(redis_apps: list[httpx.AsyncClient]) -> None:
    first, second = redis_apps
    admin = Admin(first, ADMIN_KEY)
    developer = await admin.customer(name=f"Dev{secrets.token_hex(3)}")
    skill = await admin.skill(developer)
    token = await admin.access_token(developer.user_id, [READWRITE])
    path = developer_path(skill.skill_id)
    assert (await first.put(path, headers=bearer(token))).status_code == 204
    assert (await second.put(path, headers=bearer(token))).status_code == 204
    assert (await first.put(path, headers=bearer(token))).status_code == 204
    limited = await second.put(path, headers=bearer(token))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await first.put(path, headers=bearer(token))).status_code == 429


async def test_unreachable_redis_lets_calls_through_counted_in_memory(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    """Redis down takes no API down, and lifts no budget: the process counts calls itself
    (core/rate_limit.py; every call went through before)."""
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", "redis://127.0.0.1:9/0")
    try:
        skill = await admin.skill()
        token = await developer_token(admin, skill)
        path = developer_path(skill.skill_id)
        statuses = [(await client.put(path, headers=bearer(token))).status_code for _ in range(3)]
        assert statuses == [204, 204, 429]
    finally:
        await app.state.rate_limiter.aclose()


@pytest.mark.parametrize(
    ("method", "path", "shape"),
    [
        pytest.param(
            "PUT", "/v1/skills/{skill}/stages/development/enablement", {"code", "message"}, id="dev-put"
        ),
        pytest.param(
            "GET", "/v1/skills/{skill}/stages/development/enablement", {"code", "message"}, id="dev-get"
        ),
        pytest.param(
            "DELETE", "/v1/skills/{skill}/stages/development/enablement", {"code", "message"}, id="dev-delete"
        ),
        pytest.param("GET", "/v1/skills/{skill}/credentials", {"code", "message"}, id="credentials"),
        pytest.param("GET", "/v1/alexaApiEndpoint", {"message"}, id="endpoint"),
        pytest.param("POST", "/v1/users/~current/skills/{skill}/enablement", {"message"}, id="customer-post"),
        pytest.param("GET", "/v1/users/~current/skills/{skill}/enablement", {"message"}, id="customer-get"),
        pytest.param(
            "DELETE", "/v1/users/~current/skills/{skill}/enablement", {"message"}, id="customer-delete"
        ),
    ],
)
async def test_every_route_is_rate_limited(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, method: str, path: str, shape: set[str]
) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("0/minute", None)
    skill = await admin.skill()
    scopes = [READWRITE, "alexa::skills:account_linking"]
    token = await admin.access_token(skill.developer.user_id, scopes)
    response = await client.request(
        method,
        path.format(skill=skill.skill_id),
        headers=bearer(token),
        json={} if method == "POST" else None,
    )
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert set(response.json()) == shape


@pytest.mark.usefixtures("tight")
async def test_a_reset_gives_every_budget_back(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A test suite resets between tests: a budget a test spent must not reach the next one (the
    sign-in page's budget is the caller's address, the same in every test: tests/testing's
    test_sign_in_rate_limit_counters_do_not_reach_the_next_test drives that through a server)."""
    limiter = app.state.rate_limiter
    for _ in range(2):
        assert await limiter.hit("lwa.signin", "addr:127.0.0.1") is None
    assert await limiter.hit("lwa.signin", "addr:127.0.0.1") is not None
    reset = await client.post("/_localexa/reset", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
    assert reset.status_code == 200
    assert await limiter.hit("lwa.signin", "addr:127.0.0.1") is None


async def test_resetting_the_redis_counters_leaves_the_token_cache_keys() -> None:
    """limits' reset deletes every key under its prefix (`KEYS <prefix>:*`): under "localexa" it
    would take the token cache's epoch (`localexa:token-epoch`) with it."""
    from redis.asyncio import Redis

    from localexa.server.lwa.token_cache import REDIS_KEY

    limiter = WindowLimiter.from_settings("1/minute", REDIS_URL)
    redis = Redis.from_url(REDIS_URL)
    caller = f"user:{secrets.token_hex(4)}"
    try:
        await redis.set(REDIS_KEY, "7")
        assert await limiter.hit("things.list", caller) is None
        assert await limiter.hit("things.list", caller) is not None
        await limiter.reset()
        assert await limiter.hit("things.list", caller) is None
        assert await redis.get(REDIS_KEY) == b"7"
    finally:
        await redis.delete(REDIS_KEY)
        await redis.aclose()
        await limiter.aclose()


@pytest.mark.usefixtures("tight")
async def test_one_skill_cannot_spend_another_skills_budget_for_the_same_customer(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """Budgets were per customer whatever the client: another vendor's skill (or anyone holding
    a token of that customer) spent a skill's budget for the customer, refused calls included,
    and the customer's own app got 429 (authz37 F2). Amazon's limits are the skill's: each of the
    customer's clients has its own budget now."""
    customer = await admin.customer()
    app_token = await customer_token(admin, customer)
    other_app = await customer_token(admin, customer)  # a second client of the customer's
    for _ in range(2):
        assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(other_app))).status_code == 200
    assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(other_app))).status_code == 429
    assert (await client.get("/v1/alexaApiEndpoint", headers=bearer(app_token))).status_code == 200
