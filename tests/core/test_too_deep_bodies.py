"""Valid JSON nested past what the parser reads is refused as too deep, not as "not valid JSON"
(RFC 8259 §9 lets a parser limit nesting; security QA of 2026-12-06: 990 levels were "not valid")."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.core.strict_json import TOO_DEEP_MESSAGE
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

DEEP = ("[" * 5000 + "]" * 5000).encode()
BROKEN = b"[" * 10 + b"oops"
ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "headers", "message_of"),
    [
        pytest.param("/_localexa/clock", ADMIN, lambda b: b["message"], id="admin"),
        pytest.param("/_localexa/restore", ADMIN, lambda b: b["message"], id="restore"),
        pytest.param(
            "/auth/o2/token",
            {"Content-Type": "application/json"},
            lambda b: b["error_description"],
            id="lwa-token",
        ),
    ],
)
async def test_a_body_nested_too_deep_says_so(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], message_of: object
) -> None:
    deep = await client.post(path, content=DEEP, headers=headers)
    assert deep.status_code == 400, deep.text
    assert message_of(deep.json()) == TOO_DEEP_MESSAGE  # type: ignore[operator]
    broken = await client.post(path, content=BROKEN, headers=headers)
    assert broken.status_code == 400, broken.text
    assert "not valid JSON" in message_of(broken.json())  # type: ignore[operator]


async def event_headers(client: httpx.AsyncClient, admin: Admin) -> dict[str, str]:
    """Headers of an event the gateway accepts from a skill its developer enabled."""
    skill = await admin.skill(permissions=["alexa::async_event:write"])
    developer = await admin.access_token(skill.developer.user_id, ["alexa::ask:skills:readwrite"])
    enabled = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement",
        headers={"Authorization": f"Bearer {developer}"},
    )
    assert enabled.status_code == 204, enabled.text
    token = await admin.access_token(
        skill.developer.user_id, ["alexa::async_event:write"], client_id=skill.messaging_client_id
    )
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


async def test_an_event_nested_too_deep_says_so(client: httpx.AsyncClient, admin: Admin) -> None:
    headers = await event_headers(client, admin)
    deep = await client.post("/v3/events", content=DEEP, headers=headers)
    assert deep.status_code == 400, deep.text
    assert deep.json()["payload"]["description"] == TOO_DEEP_MESSAGE, deep.text
