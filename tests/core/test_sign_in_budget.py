"""Wrong admin keys count against the address's sign-in budget (LOCALEXA_SIGN_IN_RATE_LIMIT),
as console and `/ap/oa` sign-ins do: the header had no budget but the API's 6000/minute, so a
short key set through LOCALEXA_ADMIN_KEY could be guessed at 100 a second (security QA of
2026-12-06). Once the budget is spent no key is checked, the right one included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core import redis_guard, redis_pools
from localexa.server.core.rate_limit import SIGN_IN_OPERATIONS, WindowLimiter
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.redis_probe import REDIS_URL, redis_or_skip

PATH = "/_localexa/customers"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sign_in_rate_limit": "3/minute"})


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080")


@pytest.fixture
async def attacker(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, "10.0.0.66") as client:
        yield client


async def test_wrong_admin_keys_spend_the_addresss_budget_then_nothing_is_checked(
    app: FastAPI, attacker: httpx.AsyncClient
) -> None:
    statuses = [
        (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": f"guess-{n}"})).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 401]
    refused = await attacker.get(PATH, headers={"X-Localexa-Admin-Key": "guess-4"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "admin keys" in refused.json()["message"]
    # The right key from that address is refused as well, so a right guess tells nothing apart.
    assert (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 429
    # Another address is not held up, and right keys never spend anything.
    async with _client(app, "10.0.0.7") as other:
        for _ in range(10):
            assert (await other.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 200


async def test_a_reset_forgets_the_spent_budget(app: FastAPI, attacker: httpx.AsyncClient) -> None:
    for n in range(4):
        await attacker.get(PATH, headers={"X-Localexa-Admin-Key": f"guess-{n}"})
    assert (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 429
    async with _client(app, "10.0.0.7") as other:
        reset = await other.post("/_localexa/reset", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
        assert reset.status_code in (200, 204), reset.text
    assert (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 200


async def test_console_sign_in_has_the_sign_in_budget(attacker: httpx.AsyncClient) -> None:
    page = await attacker.get("/console/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    statuses = []
    for n in range(4):
        answer = await attacker.post(
            "/console/login", data={"admin_key": f"guess-{n}", "csrf_token": token, "next": "/console"}
        )
        statuses.append(answer.status_code)
    assert statuses == [401, 401, 401, 429]


def test_the_sign_in_operations_are_the_ones_the_areas_use() -> None:
    from localexa.server.console.routes import SIGN_IN_OPERATION as CONSOLE
    from localexa.server.core.auth import ADMIN_KEY_OPERATION
    from localexa.server.lwa.routes import SIGN_IN_OPERATION as LWA

    assert {CONSOLE, LWA, ADMIN_KEY_OPERATION} == SIGN_IN_OPERATIONS


def test_a_sign_in_budget_that_is_no_budget_is_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings.model_validate({**settings.model_dump(), "sign_in_rate_limit": "often"})


async def test_a_missing_or_empty_key_spends_nothing(attacker: httpx.AsyncClient) -> None:
    """Not a guess: a script without its key (or a test asserting the 401) locked the CLI out of
    its own 127.0.0.1 (re-verification of 2026-12-06)."""
    for headers in ({}, {"X-Localexa-Admin-Key": ""}, {"X-Localexa-Admin-Key": "  "}) * 3:
        assert (await attacker.get(PATH, headers=headers)).status_code == 401
    assert (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 200


async def _console_sign_in(client: httpx.AsyncClient, key: str) -> int:
    page = await client.get("/console/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        "/console/login", data={"admin_key": key, "csrf_token": token, "next": "/console"}
    )
    return answer.status_code


async def test_the_console_and_the_header_share_one_budget_of_wrong_keys(app: FastAPI) -> None:
    """Each had its own: the same key could be guessed at twice the rate from one address."""
    async with _client(app, "10.0.0.21") as first:
        for n in range(3):
            assert await _console_sign_in(first, f"guess-{n}") == 401
        assert (await first.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 429
    async with _client(app, "10.0.0.22") as second:
        for n in range(3):
            assert (await second.get(PATH, headers={"X-Localexa-Admin-Key": f"guess-{n}"})).status_code == 401
        assert await _console_sign_in(second, ADMIN_KEY) == 429


async def test_empty_console_sign_ins_spend_no_wrong_key_budget(app: FastAPI) -> None:
    """Three empty submissions of the console's form locked the address's admin calls out (the
    header's own empty key spends nothing; re-verification of 2026-12-06). They still count
    against the console's sign-in budget."""
    async with _client(app, "10.0.0.23") as browser:
        for _ in range(3):
            assert await _console_sign_in(browser, "") == 401
        assert (await browser.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 200


@pytest.fixture
async def redis_limited(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    """The app's limiter in Redis (as several processes share it): each count is a round trip,
    so wrong keys sent at once interleave between the budget's check and their count.

    Redis's answers are waited for 30 s, not 2: these tests are of counting, not of outages, and
    a loaded machine's loop read a healthy Redis's answer after the 2 s cut, so the calls were
    counted in memory meanwhile, 6 wrong keys through of 3 (CI of 2026-12-07, 4 helpers busy)."""
    monkeypatch.setattr(redis_guard, "COMMAND_SECONDS", 30.0)
    # The pool's socket timeout too (redis_pools took the value by name at import): at 2 s the
    # socket's own TimeoutError still sent calls to the in-memory count (a run at load 12).
    monkeypatch.setattr(redis_pools, "COMMAND_SECONDS", 30.0)
    await redis_or_skip()
    limiter = WindowLimiter.from_settings("6000/minute", REDIS_URL, "3/minute")
    await limiter.reset()
    previous, app.state.rate_limiter = app.state.rate_limiter, limiter
    try:
        yield app
    finally:
        app.state.rate_limiter = previous
        await limiter.reset()
        await limiter.aclose()


async def test_wrong_keys_sent_at_once_stay_within_the_budget(redis_limited: FastAPI) -> None:
    """200 at once got 114 401s of a budget of 100 before 429s (QA of 2026-12-06): each passed
    the check before any was counted. The count itself decides now."""
    async with _client(redis_limited, "10.0.0.31") as attacker:
        answers = await asyncio.gather(
            *(attacker.get(PATH, headers={"X-Localexa-Admin-Key": f"guess-{n}"}) for n in range(40))
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses.count(401) == 3, statuses
        assert statuses.count(429) == 37, statuses
        assert (await attacker.get(PATH, headers={"X-Localexa-Admin-Key": ADMIN_KEY})).status_code == 429


async def test_console_wrong_keys_sent_at_once_stay_within_the_budget(redis_limited: FastAPI) -> None:
    """The console counts every attempt against its own sign-in budget first (an atomic count),
    then wrong keys against the one it shares with the header."""
    async with _client(redis_limited, "10.0.0.32") as attacker:
        page = await attacker.get("/console/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answers = await asyncio.gather(
            *(
                attacker.post(
                    "/console/login",
                    data={"admin_key": f"guess-{n}", "csrf_token": token, "next": "/console"},
                )
                for n in range(20)
            )
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses.count(401) == 3, statuses
        assert statuses.count(429) == 17, statuses
