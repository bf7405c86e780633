"""localexa's Redis connections name their pool (core/redis_pools.py), where Redis allows it.

A Redis that refuses `CLIENT SETNAME` (here an ACL user without it; a proxy without `CLIENT` or a
renamed command alike) refused every connection while the name was redis-py's `client_name`: the
token cache and the rate limits went without Redis for good, and every write that may end tokens
was a 503 (review of 2026-12-07).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from localexa.server.lwa.token_cache import TokenCache
from localexa.server.settings import Settings
from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin
from tests.redis_probe import REDIS_URL, redis_or_skip

PASSWORD = "the-users-password"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pools are the same on both


@pytest.fixture
async def unnamed_user_url() -> AsyncIterator[str]:
    """The worker's Redis database, as an ACL user that may do all but `CLIENT SETNAME`."""
    admin = Redis.from_url(await redis_or_skip(REDIS_URL))
    user = f"localexa-test-{secrets.token_hex(4)}"
    try:
        try:
            await admin.acl_setuser(
                user,
                enabled=True,
                passwords=[f"+{PASSWORD}"],
                keys=["*"],
                channels=["*"],
                commands=["+@all", "-client|setname"],
            )
        except ResponseError as exc:
            pytest.skip(f"this Redis cannot deny one subcommand to a user: {exc}")
        parts = urlsplit(REDIS_URL)
        yield urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{parts.hostname}:{parts.port or 6379}"))
    finally:
        await admin.acl_deluser(user)
        await admin.aclose()


@pytest.fixture
def settings(settings: Settings, unnamed_user_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": unnamed_user_url})


async def test_a_redis_that_refuses_names_is_used_with_unnamed_connections(
    client: httpx.AsyncClient, admin: Admin, unnamed_user_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    customer = await admin.customer()
    token = await customer_token(admin, customer)
    for _ in range(3):
        answer = await client.get("/v1/alexaApiEndpoint", headers=bearer(token))
        assert answer.status_code == 200, answer.text
    reset = await client.post("/_localexa/reset", headers=admin.headers)  # may end tokens
    assert reset.status_code == 200, reset.text

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    user = urlsplit(unnamed_user_url).username
    watcher = Redis.from_url(REDIS_URL)
    try:
        theirs = [c for c in await watcher.client_list() if c.get("user") == user]
    finally:
        await watcher.aclose()
    assert theirs, "the app used no connection as that user"
    assert {c["name"] for c in theirs} == {""}, theirs


async def test_a_name_in_the_redis_url_is_kept() -> None:
    """`?client_name=` in `LOCALEXA_REDIS_URL` is the user's choice: localexa does not rename."""
    url = await redis_or_skip(REDIS_URL)
    name = f"users-own-{secrets.token_hex(4)}"
    cache = TokenCache.open(redis_url=f"{url}?client_name={name}", single_process=False)
    watcher = Redis.from_url(url)
    try:
        assert await cache.epoch() is not None
        names = {c["name"] for c in await watcher.client_list()}
    finally:
        await cache.aclose()
        await watcher.aclose()
    assert name in names, names
