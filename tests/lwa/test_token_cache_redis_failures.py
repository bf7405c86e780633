"""The shared token epoch when Redis fails or restarts (lwa/token_cache.py).

A revocation must never be missed by another process: a revoking write that cannot reach Redis is
not committed (503), and a process forgets its cached answers when it reconnects to Redis (a
restarted Redis starts its counter again, and may come back to a value an old answer carries).
Each test runs its own redis-server, so stopping it touches nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError
from sqlalchemy.util import greenlet_spawn

from localexa.server.lwa.token_cache import REDIS_KEY, CachedToken, RevocationNotShared, TokenCache
from localexa.server.settings import Settings
from tests.factories import Admin

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
TOKEN = CachedToken("client", "user", frozenset({"profile"}), datetime(2100, 1, 1, tzinfo=UTC))


class OwnRedis:
    """A redis-server of this test's own, on a free port, that keeps nothing on disk."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def settings(settings: Settings, own_redis: OwnRedis) -> Settings:
    return settings.model_copy(update={"redis_url": own_redis.url})


async def test_a_revocation_redis_cannot_share_is_refused_and_nothing_changes(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    own_redis: OwnRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["profile"])
    own_redis.stop()

    with caplog.at_level(logging.WARNING):
        reset = await client.post("/_localexa/reset", headers=admin.headers)

    assert reset.status_code == 503, reset.text
    assert "nothing was changed" in reset.json()["message"]
    # The log says what happened: it said "a revocation is not shared yet" though nothing was
    # revoked (review36f N1).
    warned = [record.getMessage() for record in caplog.records]
    assert any("refused" in line and "nothing was changed" in line for line in warned), warned
    assert not any("not shared yet" in line for line in warned), warned
    assert reset.headers["Retry-After"] == "1"  # since 2026-12-06, as the database's 503s
    # Rolled back: the customer and their token are still there (checked in the database, as
    # the cache cannot be trusted without Redis).
    profile = await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200, profile.text
    own_redis.start()
    again = await client.post("/_localexa/reset", headers=admin.headers)
    assert again.status_code == 200, again.text
    gone = await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_a_restarted_redis_cannot_bring_back_an_old_answer(own_redis: OwnRedis) -> None:
    # Two processes' caches on one Redis. `other` caches a token's answer at counter N; Redis
    # restarts empty and revocations bring a counter back to N (were it to start from 0 again,
    # as it did): the old answer must not serve (the revocations may have ended that token).
    revoking = TokenCache.open(redis_url=own_redis.url, single_process=False)
    other = TokenCache.open(redis_url=own_redis.url, single_process=False)
    try:
        for _ in range(3):
            await greenlet_spawn(revoking.revoked)
        epoch = await other.epoch()
        assert epoch is not None
        counted = epoch[1]
        other.put("token-hash", epoch, TOKEN)
        assert other.get("token-hash", epoch) == TOKEN

        own_redis.stop()
        own_redis.start()
        await _set_counter(revoking, counted)  # the worst case: back at the very value

        now = await other.epoch()
        assert now is not None
        assert now[1] == counted
        assert other.get("token-hash", now) is None
    finally:
        await revoking.aclose()
        await other.aclose()


async def _counter(cache: TokenCache) -> int:
    """The shared counter (the first command after a restart may meet a dropped connection)."""
    redis = cache._redis
    assert redis is not None
    for _ in range(3):
        try:
            return int(await redis.get(REDIS_KEY) or 0)
        except ConnectionError:
            continue
    raise AssertionError("Redis did not answer")


async def _set_counter(cache: TokenCache, value: int) -> None:
    redis = cache._redis
    assert redis is not None
    for _ in range(3):
        try:
            await redis.set(REDIS_KEY, value)
            return
        except ConnectionError:
            continue
    raise AssertionError("Redis did not answer")


async def test_a_flushed_counter_starts_again_far_from_where_it_was(own_redis: OwnRedis) -> None:
    """FLUSHDB (or an evicted key) loses the counter without a reconnect, so nobody forgets: it
    counted up from 0 again to a value `other` had cached an answer under, and `other` trusted a
    token revoked since. It now starts again at a random base."""
    revoking = TokenCache.open(redis_url=own_redis.url, single_process=False)
    other = TokenCache.open(redis_url=own_redis.url, single_process=False)
    try:
        redis = revoking._redis
        assert redis is not None
        await redis.flushdb()
        await greenlet_spawn(revoking.revoked)
        epoch = await other.epoch()
        assert epoch is not None
        other.put("token-hash", epoch, TOKEN)
        before = epoch[1]
        assert before > 1  # not 1: a new counter starts at a random base

        await redis.flushdb()
        await greenlet_spawn(revoking.revoked)  # the revocation other must see

        now = await other.epoch()
        assert now is not None
        assert now[1] != before
        assert other.get("token-hash", now) is None
        await redis.flushdb()  # lost once more, found by a read: its reader forgets too
        lost = await revoking.epoch()
        assert lost is not None
        assert lost[1] not in (0, now[1])
    finally:
        await revoking.aclose()
        await other.aclose()


async def test_a_revocation_redis_refused_after_the_commit_is_shared_before_anything_is_trusted(
    own_redis: OwnRedis,
) -> None:
    cache = TokenCache.open(redis_url=own_redis.url, single_process=False)
    try:
        first = await cache.epoch()  # a new counter, started at a random base
        assert first is not None
        own_redis.stop()
        await greenlet_spawn(cache.revoked)  # after a commit: logged, not raised
        with pytest.raises(RevocationNotShared):
            await greenlet_spawn(lambda: cache.revoked(before_commit=True))
        assert await cache.epoch() is None  # Redis down: nothing trusted
        own_redis.start()
        epoch = await cache.epoch()
        assert epoch is not None
        # The revocation Redis missed was counted before the read: the restarted Redis's counter
        # exists and is no value read before it.
        assert await _counter(cache) == epoch[1] != first[1]
    finally:
        await cache.aclose()


async def test_a_revocation_cancelled_after_the_commit_is_shared_before_anything_is_trusted(
    own_redis: OwnRedis,
) -> None:
    """The request whose commit ended a token may be cancelled while its second move waits on a
    Redis that does not answer (paused here with SIGSTOP): the move was lost for good, and another
    process that cached the token during the commit went on trusting it (review of 2026-12-07)."""
    cache = TokenCache.open(redis_url=own_redis.url, single_process=False)
    try:
        assert await cache.epoch() is not None
        assert own_redis.process is not None
        own_redis.process.send_signal(signal.SIGSTOP)
        try:
            revoking = asyncio.create_task(greenlet_spawn(cache.revoked))  # after a commit
            await asyncio.sleep(0.3)
            revoking.cancel()
            with pytest.raises(asyncio.CancelledError):
                await revoking
        finally:
            own_redis.process.send_signal(signal.SIGCONT)
        before = await _counter(cache)
        assert await cache.epoch() is not None
        assert await _counter(cache) > before  # the read made the move the cancelled one did not
    finally:
        await cache.aclose()


async def test_writes_that_end_no_token_go_on_while_redis_is_down(
    client: httpx.AsyncClient, admin: Admin, own_redis: OwnRedis
) -> None:
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    tokens = await admin.tokens(client_id, customer.user_id, ["profile"])
    own_redis.stop()

    refreshed = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    created = await admin.customer()
    assert created.user_id
    profile = await client.get(
        "/user/profile", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert profile.status_code == 200, profile.text
