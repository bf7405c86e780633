"""The sign-in budget of an account is counted under a keyed hash of the e-mail typed, not the text.

The counters live in Redis when `LOCALEXA_REDIS_URL` is set: their keys held every e-mail typed at
/ap/oa in clear, and with them a password a customer typed into the e-mail field (QA of
2026-12-07: `localexa-rate:{LIMITER/lwa.signin/account:hunter2-myrealpassword!/…}`). The budget
per account still holds across addresses.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from localexa.server.settings import Settings
from tests.factories import Admin
from tests.lwa.browser import BASE_URL, authorize_url, form_for
from tests.redis_probe import REDIS_URL, redis_or_skip

#: A password typed as the e-mail; unique to the run, as counters in Redis outlive a test's app.
TYPED = f"Hunter2-{secrets.token_hex(4)}!"


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    url = await redis_or_skip(REDIS_URL)
    return settings.model_copy(update={"redis_url": url, "sign_in_rate_limit": "2/minute"})


def _addresses(count: int) -> list[str]:
    """Addresses no other run used: the counters in Redis outlive a test's app."""
    net = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    return [f"{net}.{n}" for n in range(count)]


async def _sign_in(app: FastAPI, address: str, client_id: str, email: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser:
        page = await browser.get(authorize_url(client_id))
        form = form_for(page.text, "signin")
        return await browser.post(form.action, data=dict(form.data({"email": email, "password": "wrong"})))


async def test_what_is_typed_as_the_email_is_not_a_key_in_redis(
    app: FastAPI, admin: Admin, settings: Settings
) -> None:
    client_id, _ = await admin.lwa_client()

    answer = await _sign_in(app, _addresses(1)[0], client_id, TYPED)

    assert answer.status_code == 200, answer.text  # the sign-in page again, "incorrect"
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        keys = [key.decode() async for key in redis.scan_iter(match="*lwa.signin*")]
    finally:
        await redis.aclose()
    assert any("account:" in key for key in keys), keys  # the account is counted
    assert not [key for key in keys if TYPED.lower() in key], keys


async def test_an_accounts_budget_still_holds_across_addresses(app: FastAPI, admin: Admin) -> None:
    client_id, _ = await admin.lwa_client()
    customer = await admin.customer()
    spelt = [customer.email, "  " + customer.email.upper() + " "]  # one account however typed

    addresses = _addresses(4)
    first = [(await _sign_in(app, addresses[n], client_id, spelt[n])).status_code for n in range(2)]
    refused = await _sign_in(app, addresses[2], client_id, customer.email)

    assert first == [200, 200]
    assert refused.status_code == 429, refused.text
    other = await _sign_in(app, addresses[3], client_id, f"someone-{secrets.token_hex(4)}@example.com")
    assert other.status_code == 200
