"""A skill's permissions are names Amazon's skill manifest knows (skills/permissions.py): a
misspelt one was stored (201) and the skill failed later without a word, a misspelt
`alexa::async_event:write` never getting its AcceptGrant (readme1 QA of 2026-12-06, F10)."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.skills.permissions import KNOWN_PERMISSIONS
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


@pytest.mark.parametrize(
    ("permission", "suggested"),
    [
        ("alexa::thread_network_credential:read", "alexa::thread_network_credentials:read"),
        ("alexa::async_events:write", "alexa::async_event:write"),
        ("alexa:async_event:write", "alexa::async_event:write"),
        ("bogus:perm", None),
    ],
)
async def test_an_unknown_permission_is_a_400_naming_it(
    admin: Admin, client: httpx.AsyncClient, permission: str, suggested: str | None
) -> None:
    owner = await admin.customer(name="Owner")
    body = {
        "vendorId": await admin.vendor(owner),
        "name": "Typo",
        "endpoint": "http://127.0.0.1:9/s",
        "permissions": ["alexa::async_event:write", permission],
    }
    answer = await client.post("/_localexa/skills", json=body, headers=KEY)
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert f"'{permission}'" in message
    if suggested is None:
        assert "did you mean" not in message
    else:
        assert f"did you mean '{suggested}'?" in message
    listed = await client.get("/_localexa/skills", headers=KEY)
    assert all(skill["name"] != "Typo" for skill in listed.json()), "the refused skill was stored"


async def test_every_known_permission_is_taken(admin: Admin, client: httpx.AsyncClient) -> None:
    skill = await admin.skill(permissions=list(KNOWN_PERMISSIONS))
    view = (await client.get(f"/_localexa/skills/{skill.skill_id}", headers=KEY)).json()
    assert view["permissions"] == sorted(KNOWN_PERMISSIONS)
    assert "alexa::profile:email:read" in view["permissions"]


async def test_the_openapi_document_lists_the_known_names(client: httpx.AsyncClient) -> None:
    document = (await client.get("/_localexa/openapi.json")).json()
    field = document["components"]["schemas"]["SkillSpec"]["properties"]["permissions"]
    (array,) = [branch for branch in field["anyOf"] if branch.get("type") == "array"]  # or null
    assert array["items"]["enum"] == list(KNOWN_PERMISSIONS)
