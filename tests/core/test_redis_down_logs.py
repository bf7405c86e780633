"""Redis down: calls go through (the rate limits counted in the process's memory), and the log
says so once per part, not once per call (core/log_throttle.py, used by core/rate_limit.py and
lwa/token_cache.py).

Redis sits behind a relay of this test's own on a free port: closed (connection refused, as an
unreachable Redis) until `up()`, then relaying to the real Redis, in the database the test run
gives this xdist worker (tests/conftest.py, tests/redis_probe.py), as every Redis test. It had a
database of its own, 9, which the worker allocation skipped and nobody else could use.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from localexa.server.core.log_throttle import LogThrottle
from localexa.server.core.rate_limit import COUNTED_HERE
from localexa.server.lwa.token_cache import REDIS_KEY
from localexa.server.settings import Settings
from tests.conftest import make_url_redis
from tests.core.tcp_relay import Relay
from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin
from tests.redis_probe import REDIS_URL, redis_or_skip

CALLS = 20
PARTS = ("localexa.lwa", "localexa.rate_limit")


@pytest.fixture
def backend() -> str:
    # SQLite only: an outage is the same on both, and on PostgreSQL the `app` fixture's emptying
    # of the tables deletes tokens, which with Redis down is refused by design (lwa/token_cache.py).
    return "sqlite"


def _worker_redis() -> tuple[str, int, int]:
    """Host, port and database number of this worker's Redis (`LOCALEXA_TEST_REDIS_URL`'s)."""
    parts = make_url_redis(REDIS_URL)
    if parts is None:
        pytest.skip(f"LOCALEXA_TEST_REDIS_URL {REDIS_URL!r} names no database number to relay to")
    base, number = parts
    address = urlsplit(base)
    return address.hostname or "127.0.0.1", address.port or 6379, number


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    host, port, _ = _worker_redis()
    relay = Relay(host, port)
    yield relay
    await relay.down()


@pytest.fixture
def settings(settings: Settings, relay: Relay) -> Settings:
    _, _, number = _worker_redis()
    return settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{relay.port}/{number}"})


async def _calls(client: httpx.AsyncClient, token: str, count: int) -> None:
    for _ in range(count):
        answer = await client.get("/v1/alexaApiEndpoint", headers=bearer(token))
        assert answer.status_code == 200, answer.text  # goes through, as without the outage


def _warnings(caplog: pytest.LogCaptureFixture, part: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == part and r.levelno >= logging.WARNING]


async def test_an_unreachable_redis_is_logged_once_per_part(
    client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    token = await customer_token(admin, await admin.customer())
    caplog.set_level(logging.WARNING)

    await _calls(client, token, CALLS)

    # The token cache reads the epoch at start: an unreachable Redis is said then, not at the
    # first call, and not again for the calls within the next 30 s.
    started = [r.getMessage() for r in caplog.get_records("setup") if r.name == "localexa.lwa"]
    assert len(started) == 1, started
    assert "token epoch unavailable: ConnectionError" in started[0]
    assert [len(_warnings(caplog, part)) for part in PARTS] == [0, 1], caplog.text
    assert COUNTED_HERE in _warnings(caplog, "localexa.rate_limit")[0]


async def _worker_db() -> Redis:
    return Redis.from_url(await redis_or_skip(REDIS_URL))


async def test_redis_answering_again_is_logged_once_per_part(
    client: httpx.AsyncClient, admin: Admin, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    redis = await _worker_db()
    try:
        token = await customer_token(admin, await admin.customer())
        caplog.set_level(logging.WARNING)
        await _calls(client, token, CALLS)
        caplog.clear()

        await relay.up()
        await _calls(client, token, 5)

        # The token epoch's count includes its read at start.
        for part, failed in zip(PARTS, (CALLS + 1, CALLS), strict=True):
            lines = _warnings(caplog, part)
            assert len(lines) == 1, caplog.text
            assert f"works again after {failed} failed calls ({failed - 1} of them not logged)" in lines[0]
    finally:
        # Only what this test wrote into the worker's database: the token epoch and its
        # rate-limit counters (the worker's next tests start their own apps).
        keys = [REDIS_KEY, *[key async for key in redis.scan_iter("localexa-rate*")]]
        await redis.delete(*keys)
        await redis.aclose()


def test_the_next_failure_after_the_interval_says_how_many_were_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    throttle = LogThrottle(logging.getLogger("localexa.test"), "the part", interval=30, clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    for second in range(65):  # one failure a second for 65 s
        now[0] = float(second)
        throttle.failed("the part failed (%s)", "ConnectionError")
    throttle.succeeded()
    throttle.succeeded()

    assert [r.getMessage() for r in caplog.records] == [
        "the part failed (ConnectionError)",
        "the part failed (ConnectionError) (29 more like it in the last 30 s were not logged)",
        "the part failed (ConnectionError) (29 more like it in the last 30 s were not logged)",
        # 65 failures, 3 lines: 62 not logged (it said 4, the count since the last line; QA of
        # 2026-12-05).
        "the part works again after 65 failed calls (62 of them not logged)",
    ]
