"""A skill's Alexa client (app-to-app account linking) through the admin API: the 201 of
`POST /_localexa/skills`, `alexaClientId` in the skill's views and its secret on the single GET,
a skill made before revision 0006 (none), the LWA client itself, snapshot/restore and reset, and
the console's skill page."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.conftest import ADMIN_KEY
from tests.console.test_console import sign_in
from tests.enablement.alexa_client import AlexaSkill, alexa_skill
from tests.enablement.helpers import ACCOUNT_LINKING, REDIRECT
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.observe.helpers import journal

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


@pytest.fixture
def token_server() -> TokenServer:
    """An account-linking token URL nobody calls here (no test links): nothing listens on port 9."""
    return TokenServer(base_url="http://127.0.0.1:9")


async def _get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(f"/_localexa/{path}", headers=KEY)
    assert response.status_code == 200, response.text
    return response.json()


async def _mint(client: httpx.AsyncClient, client_id: str, user_id: str, scopes: list[str]) -> httpx.Response:
    body = {"clientId": client_id, "userId": user_id, "scopes": scopes}
    return await client.post("/_localexa/tokens", json=body, headers=KEY)


async def test_create_answers_the_alexa_client_beside_the_contracts_fields(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    one = await alexa_skill(admin, token_server)
    two = await alexa_skill(admin, None)
    for alexa in (one, two):
        assert set(alexa.answer) == {"skillId", "skillMessagingCredentials", "alexaClientCredentials"}
        assert set(alexa.answer["skillMessagingCredentials"]) == {"clientId", "clientSecret"}
        assert set(alexa.answer["alexaClientCredentials"]) == {"clientId", "clientSecret"}
        assert alexa.client_id.startswith("amzn1.application-oa2-client.")
        assert alexa.client_id != alexa.skill.messaging_client_id
        assert alexa.client_secret
        assert alexa.client_secret != alexa.skill.messaging_client_secret
    assert one.client_id != two.client_id  # unique to each skill

    view = await _get(client, f"skills/{one.skill_id}")
    assert view["alexaClientId"] == one.client_id
    # Shown again on the single GET (Amazon's console shows it any time; admin is privileged).
    assert view["alexaClientCredentials"] == one.answer["alexaClientCredentials"]
    assert view["messagingClientId"] == one.skill.messaging_client_id

    listed = await _get(client, "skills")
    assert {s["skillId"]: s["alexaClientId"] for s in listed} == {
        one.skill_id: one.client_id,
        two.skill_id: two.client_id,
    }
    assert "alexaClientCredentials" not in json.dumps(listed)
    assert one.client_secret not in json.dumps(listed)


async def test_the_alexa_client_is_an_lwa_client_of_no_skill_with_the_skills_redirect_urls(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    linked = await alexa_skill(admin, token_server)
    unlinked = await alexa_skill(admin, None)
    clients = {c["clientId"]: c for c in await _get(client, "lwa-clients")}
    assert clients[linked.client_id] == {
        "clientId": linked.client_id,
        "name": "My Lights (Alexa)",
        "redirectUris": [REDIRECT],
        "skillId": None,  # skillId marks the messaging client, which speaks for the skill
    }
    assert clients[unlinked.client_id]["redirectUris"] == []
    assert clients[linked.skill.messaging_client_id]["skillId"] == linked.skill_id
    assert linked.client_secret not in json.dumps(list(clients.values()))


async def test_a_long_skill_name_gives_an_alexa_client_name_that_fits(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """The name column holds 200 characters (PostgreSQL refuses more)."""
    dev = await admin.customer(name="Dev")
    body = {"vendorId": await admin.vendor(dev), "name": "n" * 200, "endpoint": "http://127.0.0.1:9/skill"}
    created = await admin.post("skills", body)
    async with app.state.engine.connect() as conn:
        name = (
            await conn.execute(
                text("SELECT name FROM lwa_clients WHERE client_id = :id"),
                {"id": created["alexaClientCredentials"]["clientId"]},
            )
        ).scalar_one()
    assert name == "n" * 192 + " (Alexa)"


async def test_a_skill_made_before_revision_0006_has_no_alexa_client(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    old = await alexa_skill(admin, token_server)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE skills SET alexa_client_id = NULL WHERE id = :id"), {"id": old.skill_id}
        )
    view = await _get(client, f"skills/{old.skill_id}")
    assert view["alexaClientId"] is None
    assert view["alexaClientCredentials"] is None
    assert [s["alexaClientId"] for s in await _get(client, "skills")] == [None]


async def test_snapshot_restore_and_reset_carry_the_alexa_client(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    customer = await admin.customer()
    snapshot = (await client.post("/_localexa/snapshot", headers=KEY)).json()
    assert [s["alexa_client_id"] for s in snapshot["tables"]["skills"]] == [alexa.client_id]

    assert (await client.post("/_localexa/reset", headers=KEY)).status_code == 200
    assert await _get(client, "skills") == []
    assert (await _mint(client, alexa.client_id, customer.user_id, [ACCOUNT_LINKING])).status_code == 400

    restored = await client.post("/_localexa/restore", headers=KEY, content=json.dumps(snapshot))
    assert restored.status_code == 200, restored.text
    view = await _get(client, f"skills/{alexa.skill_id}")
    assert view["alexaClientCredentials"] == alexa.answer["alexaClientCredentials"]
    # Still an Alexa client: the account-linking scope only.
    assert (await _mint(client, alexa.client_id, customer.user_id, [ACCOUNT_LINKING])).status_code == 201
    assert (await _mint(client, alexa.client_id, customer.user_id, ["profile"])).status_code == 400


async def test_a_snapshot_taken_before_skills_had_alexa_clients_restores(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa = await alexa_skill(admin, token_server)
    snapshot = (await client.post("/_localexa/snapshot", headers=KEY)).json()
    older = copy.deepcopy(snapshot)
    older["schemaRevision"] = "0005_demo_seed"
    for row in older["tables"]["skills"]:
        del row["alexa_client_id"]
    for row in older["tables"]["lwa_tokens"]:
        row.pop("public_client", None)  # the other column revision 0006 added
    # The client itself was a row of that snapshot too only if it existed then: drop it.
    older["tables"]["lwa_clients"] = [
        row for row in older["tables"]["lwa_clients"] if row["client_id"] != alexa.client_id
    ]
    restored = await client.post("/_localexa/restore", headers=KEY, content=json.dumps(older))
    assert restored.status_code == 200, restored.text
    view = await _get(client, f"skills/{alexa.skill_id}")
    assert view["alexaClientId"] is None
    assert view["alexaClientCredentials"] is None
    assert view["messagingClientId"] == alexa.skill.messaging_client_id


async def test_the_console_skill_page_names_the_alexa_client_without_its_secret(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    alexa: AlexaSkill = await alexa_skill(admin, token_server)
    await sign_in(client)
    page = (await client.get("/console/skills")).text
    assert "<th>alexa client id</th>" in page
    assert alexa.client_id in page
    assert alexa.client_secret not in page
    clients = (await client.get("/console/lwa-clients")).text
    assert alexa.client_id in clients
    assert alexa.client_secret not in clients


async def test_the_journal_keeps_no_alexa_client_secret(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """The 201 and the single GET carry the secret; the journal records both calls redacted."""
    alexa = await alexa_skill(admin, token_server)
    await _get(client, f"skills/{alexa.skill_id}")
    entries = await journal(client, path="/_localexa/skills")
    assert {entry["method"] for entry in entries} >= {"POST", "GET"}
    assert alexa.client_id in json.dumps(entries)
    assert alexa.client_secret not in json.dumps(entries)
