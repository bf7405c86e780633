"""Answers that carry secrets say `Cache-Control: no-store` (and `Pragma: no-cache`), as the token
endpoint's do (RFC 6749 §5.1): Skill Credentials (the skill's messaging secret), the Credential
Locker's networks (Thread network keys) and every admin answer (client secrets, tokens, skills
with their Alexa client secret). A caching proxy in front of a shared localexa could keep them
(review of 2026-12-07: Skill Credentials answered with a content type only)."""

from __future__ import annotations

import httpx

from tests.credential_locker.conftest import make_locker, network
from tests.factories import Admin


def _not_stored(response: httpx.Response) -> None:
    assert response.status_code < 300, response.text
    assert response.headers["Cache-Control"] == "no-store", (response.request.url, response.headers)
    assert response.headers["Pragma"] == "no-cache"


async def test_skill_credentials_are_not_stored(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await admin.access_token(skill.developer.user_id, ["alexa::ask:skills:read"])
    _not_stored(
        await client.get(
            f"/v1/skills/{skill.skill_id}/credentials", headers={"Authorization": f"Bearer {token}"}
        )
    )


async def test_thread_networks_are_not_stored(client: httpx.AsyncClient, admin: Admin) -> None:
    locker = await make_locker(client, admin)
    assert (await locker.put(network())).status_code == 200
    _not_stored(await locker.get(extendedPanId="dead00beef00cafe"))


async def test_admin_answers_are_not_stored(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    key = admin.headers
    _not_stored(await client.get(f"/_localexa/skills/{skill.skill_id}", headers=key))
    _not_stored(await client.get("/_localexa/clock", headers=key))
    _not_stored(
        await client.post(
            "/_localexa/lwa-clients", headers=key, json={"name": "app", "redirectUris": ["https://a/cb"]}
        )
    )


async def test_admin_errors_are_not_stored_either(client: httpx.AsyncClient, admin: Admin) -> None:
    """README: "Every admin answer says `Cache-Control: no-store`"; its 400, 401 and 404 said
    nothing, and a cache keeps a 404 by heuristics (RFC 9111 §4.2.2): a skill created next
    would stay missing behind it (readme37a F3)."""
    answers = [
        await client.get("/_localexa/skills/amzn1.ask.skill.none", headers=admin.headers),
        await client.get("/_localexa/clock", headers={"X-Localexa-Admin-Key": "wrong"}),
        await client.post("/_localexa/clock", headers=admin.headers, json={"advanceSeconds": "soon"}),
    ]
    assert [answer.status_code for answer in answers] == [404, 401, 400]
    for answer in answers:
        assert answer.headers.get("Cache-Control") == "no-store", (answer.request.url, answer.headers)
        assert answer.headers.get("Pragma") == "no-cache"
