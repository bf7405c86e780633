"""`DELETE /_localexa/customers/{userId}` and `DELETE /_localexa/skills/{skillId}`
(admin/deletion.py): a shared server's per-test records go without a reset of everyone's."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, text

from localexa.server.credential_locker.models import ThreadNetwork
from localexa.server.directives.models import AfterLinkStatus, DiscoveredEndpoint, SkillMessage
from localexa.server.enablement.models import Enablement
from localexa.server.settings import Settings
from tests.factories import Admin, Customer, Skill

ENDPOINT = "/v1/alexaApiEndpoint"  # checks the token alone
LINKING = ["alexa::skills:account_linking"]
READWRITE = ["alexa::ask:skills:readwrite"]
PROFILE = "/user/profile"

#: Tables holding a customer's rows, with the column naming them.
CUSTOMER_TABLES = {
    "lwa_tokens": "user_id",
    "enablements": "customer_id",
    "thread_networks": "user_id",
    "skill_messages": "customer_id",
    "discovered_endpoints": "customer_id",
    "after_link_status": "customer_id",
    "vendors": "owner_user_id",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """With Redis when the suite has one: the token cache is then on for PostgreSQL too, and the
    test shows a cached answer ends (lwa/token_cache.py)."""
    redis_url = os.environ.get("LOCALEXA_TEST_REDIS_URL")
    return settings.model_copy(update={"redis_url": redis_url}) if redis_url else settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def used(client: httpx.AsyncClient, token: str, path: str = ENDPOINT) -> int:
    """The status of a call with the token (a `profile` token: `path=PROFILE`)."""
    return (await client.get(path, headers=bearer(token))).status_code


async def count(app: FastAPI, table: str, column: str, value: str) -> int:
    async with app.state.engine.connect() as conn:
        found = await conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :v"), {"v": value})
        return int(found.scalar_one())


async def give_rows(app: FastAPI, customer: Customer, skill: Skill) -> None:
    """Rows of every table a customer has, with the columns that matter (typed: the models' own
    tables, so SQLite gets its dates as the areas write them)."""
    now = datetime.now(UTC)
    user, skill_id = customer.user_id, skill.skill_id
    key = f"{user[-12:]}-{skill_id[-12:]}"
    rows: list[tuple[Any, dict[str, Any]]] = [
        (
            Enablement,
            {
                "id": f"e-{key}",
                "customer_id": user,
                "skill_id": skill_id,
                "stage": "development",
                "skill_user_id": f"amzn1.ask.account.{key}",
                "link_status": "NOT_LINKED",
                "created_at": now,
                "updated_at": now,
            },
        ),
        (
            ThreadNetwork,
            {
                "user_id": user,
                "extended_pan_id": key.encode().hex()[:16],
                "network_name": skill_id[-16:],
                "network_key_sealed": "sealed",
                "created_at": now,
                "created_by_skill_id": skill_id,
            },
        ),
        (
            SkillMessage,
            {
                "at": now,
                "customer_id": user,
                "skill_id": skill_id,
                "direction": "event",
                "exchange_id": "x-1",
            },
        ),
        (
            DiscoveredEndpoint,
            {
                "customer_id": user,
                "skill_id": skill_id,
                "endpoint_id": "light-1",
                "friendly_name": "Kitchen",
                "display_categories": [],
                "capabilities": [],
                "cookie": {},
                "state": {},
                "discovered_at": now,
            },
        ),
        (
            AfterLinkStatus,
            {
                "customer_id": user,
                "skill_id": skill_id,
                "discovery_status": "SUCCEEDED",
                "accept_grant_status": "NOT_REQUIRED",
                "updated_at": now,
            },
        ),
    ]
    async with app.state.engine.begin() as conn:
        for model, values in rows:
            await conn.execute(insert(model.__table__), values)


async def test_deleting_a_customer_removes_what_is_theirs_and_nobody_elses(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    gone, kept = await admin.customer(name="Gone"), await admin.customer(name="Kept")
    app_client, _ = await admin.lwa_client()
    tokens = {}
    for customer in (gone, kept):
        await give_rows(app, customer, skill)
        tokens[customer.user_id] = await admin.access_token(customer.user_id, LINKING, app_client)
        assert await used(client, tokens[customer.user_id]) == 200  # its answer is cached now
    await admin.vendor(gone)  # a vendor without skills goes with its owner

    deleted = await client.delete(f"/_localexa/customers/{gone.user_id}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert deleted.headers["Cache-Control"] == "no-store"

    assert await used(client, tokens[gone.user_id]) == 401  # at once, cached or not
    assert await used(client, tokens[kept.user_id]) == 200
    for table, column in CUSTOMER_TABLES.items():
        assert await count(app, table, column, gone.user_id) == 0, table
    for table, column in CUSTOMER_TABLES.items():
        if table != "vendors":
            assert await count(app, table, column, kept.user_id) >= 1, table
    assert await count(app, "customers", "id", gone.user_id) == 0
    missing = await client.get(f"/_localexa/customers/{gone.user_id}", headers=admin.headers)
    assert missing.status_code == 404
    assert (
        await client.get(f"/_localexa/customers/{kept.user_id}", headers=admin.headers)
    ).status_code == 200
    assert (await client.get(f"/_localexa/skills/{skill.skill_id}", headers=admin.headers)).status_code == 200

    again = await client.delete(f"/_localexa/customers/{gone.user_id}", headers=admin.headers)
    assert again.status_code == 404
    assert again.json() == {"message": f"No customer {gone.user_id}."}


async def test_a_customer_whose_vendor_has_skills_is_refused_until_they_are_deleted(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    developer = skill.developer
    refused = await client.delete(f"/_localexa/customers/{developer.user_id}", headers=admin.headers)
    assert refused.status_code == 409
    assert set(refused.json()) == {"message"}
    assert skill.vendor_id in refused.json()["message"]
    assert skill.skill_id in refused.json()["message"]
    assert await count(app, "customers", "id", developer.user_id) == 1  # nothing was deleted

    assert (
        await client.delete(f"/_localexa/skills/{skill.skill_id}", headers=admin.headers)
    ).status_code == 204
    deleted = await client.delete(f"/_localexa/customers/{developer.user_id}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert await count(app, "vendors", "id", skill.vendor_id) == 0


async def test_deleting_a_skill_removes_its_clients_their_tokens_and_its_rows(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    gone, kept = await admin.skill(name="Gone"), await admin.skill(name="Kept")
    customer = await admin.customer()
    await give_rows(app, customer, gone)
    await give_rows(app, customer, kept)
    assert gone.alexa_client_id is not None
    messaging = await admin.access_token(customer.user_id, ["profile"], gone.messaging_client_id)
    alexa = await admin.access_token(customer.user_id, LINKING, gone.alexa_client_id)
    app_token = await admin.access_token(customer.user_id, LINKING)
    kept_token = await admin.access_token(customer.user_id, ["profile"], kept.messaging_client_id)
    for token, path in (
        (messaging, PROFILE),
        (alexa, ENDPOINT),
        (app_token, ENDPOINT),
        (kept_token, PROFILE),
    ):
        assert await used(client, token, path) == 200
    developer = await admin.access_token(gone.developer.user_id, READWRITE)
    enabled = await client.put(
        f"/v1/skills/{gone.skill_id}/stages/development/enablement", headers=bearer(developer)
    )
    assert enabled.status_code == 204, enabled.text

    deleted = await client.delete(f"/_localexa/skills/{gone.skill_id}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert deleted.headers["Cache-Control"] == "no-store"

    assert await used(client, messaging, PROFILE) == 401
    assert await used(client, alexa) == 401
    assert await used(client, app_token) == 200  # the customer's other tokens stay
    assert await used(client, kept_token, PROFILE) == 200
    for table in ("enablements", "skill_messages", "discovered_endpoints", "after_link_status"):
        assert await count(app, table, "skill_id", gone.skill_id) == 0, table
        assert await count(app, table, "skill_id", kept.skill_id) == 1, table
    for client_id in (gone.messaging_client_id, gone.alexa_client_id):
        assert await count(app, "lwa_clients", "client_id", client_id) == 0
        assert await count(app, "lwa_tokens", "client_id", client_id) == 0
    assert await count(app, "thread_networks", "user_id", customer.user_id) == 2  # the customer's
    # The developer's enablement GET now answers as for an unknown skill.
    check = await client.get(
        f"/v1/skills/{gone.skill_id}/stages/development/enablement", headers=bearer(developer)
    )
    assert check.status_code == 404
    assert (await client.get(f"/_localexa/skills/{gone.skill_id}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/_localexa/skills/{kept.skill_id}", headers=admin.headers)).status_code == 200

    again = await client.delete(f"/_localexa/skills/{gone.skill_id}", headers=admin.headers)
    assert again.status_code == 404
    assert again.json() == {"message": f"No skill {gone.skill_id}."}


async def test_a_client_credentials_token_of_a_deleted_skill_stops(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    skill = await admin.skill()
    grant = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": skill.messaging_client_id,
            "client_secret": skill.messaging_client_secret,
        },
    )
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": token})
    assert info.status_code == 200, info.text
    assert (
        await client.delete(f"/_localexa/skills/{skill.skill_id}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get("/auth/o2/tokeninfo", params={"access_token": token})).status_code != 200


@pytest.mark.parametrize("path", ["customers/amzn1.account.nobody", "skills/amzn1.ask.skill.nothing"])
async def test_unknown_ids_are_404(client: httpx.AsyncClient, admin: Admin, path: str) -> None:
    answer = await client.delete(f"/_localexa/{path}", headers=admin.headers)
    assert answer.status_code == 404
    assert set(answer.json()) == {"message"}


@pytest.mark.parametrize("what", ["customers", "skills"])
@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing", "wrong"])
async def test_deleting_needs_the_admin_key(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, what: str, key: str | None
) -> None:
    skill = await admin.skill()
    customer = await admin.customer()
    record = skill.skill_id if what == "skills" else customer.user_id
    headers = {"X-Localexa-Admin-Key": key} if key else {}
    answer = await client.delete(f"/_localexa/{what}/{record}", headers=headers)
    assert answer.status_code == 401
    assert set(answer.json()) == {"message"}
    assert await count(app, what, "id", record) == 1
