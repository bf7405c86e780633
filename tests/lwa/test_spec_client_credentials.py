"""The client_credentials answer as Amazon documents it (spec §3 "Token success response").

Amazon's "Configure an Application or Service to Send Messages to Your Skill" page lists the
response parameters with `"access_token":"Atc|MQEWYJxEnP3I1ND03Zz..."` and `"scope"`; its newer
version shows `"token_type":"bearer"` and `"scope":"alexa:skill_messaging"`. A token answer
captured from api.amazon.com reads
`{"access_token":"Atc|MQEB…","scope":"alexa:skill_messaging","token_type":"bearer","expires_in":3600}`.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest

from localexa.server.observe.redaction import redact_body, redact_text
from tests.factories import Admin

TOKEN = "/auth/o2/token"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def _client_token(client: httpx.AsyncClient, admin: Admin, scope: str) -> httpx.Response:
    skill = await admin.skill()
    return await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": scope},
        headers=_basic(skill.messaging_client_id, skill.messaging_client_secret),
    )


@pytest.mark.parametrize(
    ("asked", "granted"),
    [
        pytest.param("alexa:skill_messaging", "alexa:skill_messaging", id="skill-messaging"),
        pytest.param("alexa::proactive_events", "alexa::proactive_events", id="proactive-events"),
        pytest.param(
            "alexa::proactive_events  alexa:skill_messaging alexa::proactive_events",
            "alexa::proactive_events alexa:skill_messaging",
            id="both-once-each-in-order",
        ),
    ],
)
async def test_answer_is_amazons_shape(
    client: httpx.AsyncClient, admin: Admin, asked: str, granted: str
) -> None:
    response = await _client_token(client, admin, asked)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["access_token", "scope", "token_type", "expires_in"]  # LWA's order
    assert body["scope"] == granted  # the granted scopes, space-separated (RFC 6749 §5.1)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    token = body["access_token"]
    assert token.startswith("Atc|")
    assert 350 <= len(token) <= 2048
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": token})
    assert info.status_code == 200, info.text  # the new prefix is still a live token


async def test_client_token_is_redacted_wherever_it_appears(client: httpx.AsyncClient, admin: Admin) -> None:
    token = (await _client_token(client, admin, "alexa:skill_messaging")).json()["access_token"]
    secret_part = token.split("|", 1)[1]
    for text in (
        f"sending the message with {token}",  # a log line
        f"Bearer {quote(token, safe='')}",  # percent-encoded, as in a query string
        f"{{'token': {token}",  # a near-JSON body cut off by the journal's cap
    ):
        scrubbed = redact_text(text)
        assert secret_part not in scrubbed, scrubbed
        assert secret_part[:40] not in scrubbed, scrubbed
    body = redact_body(f"note={token}".encode(), "text/plain")
    assert body is not None
    assert secret_part[:40] not in body
