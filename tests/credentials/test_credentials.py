"""GET /v1/skills/{skillId}/credentials (skill-credentials seed; spec §1.4)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.rate_limit import WindowLimiter
from tests.factories import Admin

READWRITE = "alexa::ask:skills:readwrite"
READ = "alexa::ask:skills:read"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _path(skill_id: str) -> str:
    return f"/v1/skills/{skill_id}/credentials"


@pytest.mark.parametrize("scope", [READWRITE, READ])
async def test_developer_gets_the_messaging_credentials(
    client: httpx.AsyncClient, admin: Admin, scope: str
) -> None:
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, [scope])
    response = await client.get(_path(skill.skill_id), headers=_bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "skillMessagingCredentials": {
            "clientId": skill.messaging_client_id,
            "clientSecret": skill.messaging_client_secret,
        }
    }
    assert response.headers["X-Amzn-RequestId"]


async def test_the_secret_works_at_lwa(client: httpx.AsyncClient, admin: Admin) -> None:
    """What Skill Credentials returns is what the skill uses at /auth/o2/token (client_credentials)."""
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, [READWRITE])
    creds = (await client.get(_path(skill.skill_id), headers=_bearer(token))).json()[
        "skillMessagingCredentials"
    ]
    response = await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": creds["clientId"],
            "client_secret": creds["clientSecret"],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"].startswith("Atc|")  # LWA's client_credentials prefix


async def test_missing_and_invalid_tokens_are_401(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    missing = await client.get(_path(skill.skill_id))
    assert missing.status_code == 401
    assert set(missing.json()) == {"code", "message"}
    assert (await client.get(_path(skill.skill_id), headers=_bearer("Atza|nope"))).status_code == 401


async def test_wrong_scope_is_403(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, ["alexa::skills:account_linking"])
    response = await client.get(_path(skill.skill_id), headers=_bearer(token))
    assert response.status_code == 403
    assert "clientSecret" not in response.text


async def test_another_vendors_developer_is_403(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    other = await admin.skill()
    token = await admin.access_token(other.developer.user_id, [READWRITE])
    response = await client.get(_path(skill.skill_id), headers=_bearer(token))
    assert response.status_code == 403
    assert skill.messaging_client_secret not in response.text
    assert response.json()["violations"][0]["code"] == "ACCESS_DENIED"


async def test_unknown_skill_is_404(client: httpx.AsyncClient, admin: Admin) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    response = await client.get(_path("amzn1.ask.skill.unknown"), headers=_bearer(token))
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize("skill_id", [pytest.param("s" * 256, id="256-chars"), pytest.param("", id="empty")])
async def test_skill_id_outside_1_to_255_is_400(
    client: httpx.AsyncClient, admin: Admin, skill_id: str
) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    response = await client.get(_path(skill_id), headers=_bearer(token))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_STRING_LENGTH"
    assert body["message"] == "The property is outside the allowed range."


async def test_255_characters_is_a_valid_length(client: httpx.AsyncClient, admin: Admin) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    assert (await client.get(_path("s" * 255), headers=_bearer(token))).status_code == 404


async def test_rate_limit_is_429_with_retry_after(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("1/minute", None)
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, [READWRITE])
    assert (await client.get(_path(skill.skill_id), headers=_bearer(token))).status_code == 200
    limited = await client.get(_path(skill.skill_id), headers=_bearer(token))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["code"] == "TOO_MANY_REQUESTS"
