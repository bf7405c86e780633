"""Races that reach the database's rules answer 409 or 404, never 500, and log no bound values.

Each test makes the race certain by hiding what the request checked first (as another request or
process would, acting between the check and the insert), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from localexa.server.db.integrity import Violation, violation
from localexa.server.lwa.models import Customer
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.models import Vendor
from tests.factories import Admin

PASSWORD_HASH = "scrypt$not-for-any-log"


async def _nobody(*_args: Any, **_kwargs: Any) -> None:
    return None


async def test_the_same_email_created_concurrently_is_a_409(
    client: httpx.AsyncClient, admin: Admin, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = await admin.customer()
    # The other request's customer is not seen by this one's check, as in a race.
    monkeypatch.setattr(LwaRepository, "customer_by_email", _nobody)

    with caplog.at_level(logging.INFO):
        answer = await client.post(
            "/_localexa/customers",
            json={"name": "Ada", "email": first.email, "password": "pw", "region": "NA"},
            headers=admin.headers,
        )

    assert answer.status_code == 409, answer.text
    assert answer.json()["message"] == f"A customer with the email {first.email} already exists."
    assert "unhandled" not in caplog.text


async def test_what_vanished_under_a_request_is_a_404(
    client: httpx.AsyncClient, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The owner passed the check, then went (a reset elsewhere): the insert breaks the foreign key.
    async def somebody(*_args: Any, **_kwargs: Any) -> object:
        return object()

    monkeypatch.setattr(LwaRepository, "customer", somebody)

    answer = await client.post(
        "/_localexa/vendors",
        json={"name": "V", "ownerUserId": "amzn1.account.GONE"},
        headers=admin.headers,
    )

    assert answer.status_code == 404, answer.text
    assert "deleted while it ran" in answer.json()["message"]
    listed = await client.get("/_localexa/vendors", headers=admin.headers)
    assert listed.json() == []


async def test_violations_are_told_apart_and_hide_their_values(app: FastAPI, admin: Admin) -> None:
    customer = await admin.customer()
    row = {
        "id": "amzn1.account.SECOND",
        "name": "Bo",
        "email": customer.email,
        "password_hash": PASSWORD_HASH,
        "region": "NA",
        "created_at": customer_created(),
    }
    with pytest.raises(IntegrityError) as unique:
        async with app.state.engine.begin() as conn:
            await conn.execute(insert(Customer).values(**row))
    assert violation(unique.value) is Violation.UNIQUE
    assert PASSWORD_HASH not in str(unique.value)  # the engine hides bound values

    with pytest.raises(IntegrityError) as foreign:
        async with app.state.engine.begin() as conn:
            await conn.execute(
                insert(Vendor).values(
                    id="vendor-x", name="V", owner_user_id="amzn1.account.GONE", created_at=customer_created()
                )
            )
    assert violation(foreign.value) is Violation.FOREIGN_KEY
    assert customer.user_id  # the first customer stays


def customer_created() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)
