"""The test Redis, or a skip saying why there is none (CI's .ci/run starts one)."""

from __future__ import annotations

import os

import pytest

#: The worker's own database (tests/conftest.py gives each xdist worker one).
REDIS_URL = os.environ.get("LOCALEXA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def redis_or_skip(url: str = REDIS_URL) -> str:
    """`url`, once a PING there is answered; else the test is skipped."""
    import redis.asyncio

    probe = redis.asyncio.Redis.from_url(url)
    try:
        await probe.ping()
    except Exception as exc:  # depends on the machine
        pytest.skip(f"no Redis at {url}: {exc}")
    finally:
        await probe.aclose()
    return url
