"""Restore holds a skill's lists to what the admin API stores: it keeps one of a permission given
twice and refuses a stage given twice, so no localexa stored a repeat; a snapshot edited to hold
one restored, and the skill showed the name twice in every read (QA of 2026-12-06). Refused
naming the repeat and the skill, nothing written. The account linking's lists, stored as given
by the admin API, restore as given."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.observe.helpers import ADMIN

EVENTS = "alexa::async_event:write"
LINKING = {
    "type": "AUTH_CODE",
    "authorizationUrl": "http://127.0.0.1:9/authorize",
    "accessTokenUrl": "http://127.0.0.1:9/token",
    "clientId": "skill-client",
    "clientSecret": "skill-secret",
    "scopes": ["lights", "lights"],
    "domains": ["example.com", "example.com"],
}


async def _skill(client: httpx.AsyncClient) -> dict[str, Any]:
    developer = await client.post(
        "/_localexa/customers",
        json={"name": "D", "email": "d@example.com", "password": "pw", "region": "NA"},
        headers=ADMIN,
    )
    vendor = await client.post(
        "/_localexa/vendors", json={"name": "V", "ownerUserId": developer.json()["userId"]}, headers=ADMIN
    )
    made = await client.post(
        "/_localexa/skills",
        json={
            "vendorId": vendor.json()["vendorId"],
            "name": "S",
            "endpoint": "http://127.0.0.1:9/s",
            "permissions": [EVENTS, EVENTS],
            "accountLinking": LINKING,
        },
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    shown = await client.get(f"/_localexa/skills/{made.json()['skillId']}", headers=ADMIN)
    skill: dict[str, Any] = shown.json()
    return skill


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_the_admin_api_keeps_one_of_a_repeated_permission_and_refuses_a_repeated_stage(
    client: httpx.AsyncClient,
) -> None:
    """What restore is held to: the routes never store a repeat."""
    skill = await _skill(client)
    assert skill["permissions"] == [EVENTS]
    again = await client.post(
        "/_localexa/skills",
        json={
            "vendorId": skill["vendorId"],
            "name": "T",
            "endpoint": "http://127.0.0.1:9/t",
            "stages": ["live", "live"],
        },
        headers=ADMIN,
    )
    assert again.status_code == 400, again.text
    assert "stages must not repeat" in again.json()["message"]


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        pytest.param(
            "permissions", [EVENTS, EVENTS], f"permissions: {EVENTS!r} is given twice", id="permission"
        ),
        pytest.param("stages", ["live", "development", "live"], "stages: 'live' is given twice", id="stage"),
        pytest.param("stages", [], "stages must be one or more of development, live", id="no-stage"),
        pytest.param(
            "stages", ["beta"], "stages must be one or more of development, live", id="unknown-stage"
        ),
    ],
)
async def test_a_repeated_permission_or_stage_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, column: str, value: list[str], says: str
) -> None:
    skill = await _skill(client)
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["skills"][0][column] = value
    # Written after the snapshot: a restore that writes anything deletes it.
    later = await client.post(
        "/_localexa/customers",
        json={"name": "L", "email": "l@example.com", "password": "pw", "region": "NA"},
        headers=ADMIN,
    )
    assert later.status_code == 201, later.text

    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)

    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert message.startswith("tables.skills[0]: "), message
    assert says in message, message
    assert f"(skill {skill['skillId']})" in message, message
    customers = (await client.get("/_localexa/customers", headers=ADMIN)).json()
    assert later.json()["userId"] in [c["userId"] for c in customers]
    assert (await client.get(f"/_localexa/skills/{skill['skillId']}", headers=ADMIN)).json() == skill


async def test_the_account_linkings_lists_restore_as_the_admin_api_stored_them(
    client: httpx.AsyncClient,
) -> None:
    skill = await _skill(client)
    assert skill["accountLinking"]["scopes"] == ["lights", "lights"]
    document = await _snapshot(client)
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert (await client.get(f"/_localexa/skills/{skill['skillId']}", headers=ADMIN)).json() == skill
