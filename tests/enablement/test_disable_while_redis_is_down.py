"""Disabling a skill (its own DELETE, or enabling the other stage) needs no Redis.

Disabling ends the skill's AcceptGrant grant for the customer: its refresh tokens are revoked
(lwa/repository.py `end_skill_grants`). The token cache holds answers for access tokens only, so
that UPDATE ends no cached answer, yet it moved the shared token epoch like a revocation of access
tokens, and with Redis out of reach the commit was refused with 503 "nothing was changed. Retry the
request.": every DELETE, and an enable-and-link that moved the customer to the other stage after
the skill's token server had taken the app's authCode, whose retry could only meet a spent code
(QA of 2026-12-07).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from localexa.server.settings import Settings
from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    READWRITE,
    bearer,
    developer_path,
    enablement_path,
    link,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.lwa.test_token_cache_redis_failures import REDIS_SERVER, OwnRedis

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def settings(settings: Settings, own_redis: OwnRedis) -> Settings:
    return settings.model_copy(update={"redis_url": own_redis.url})


async def _refresh(
    client: httpx.AsyncClient, refresh_token: str, client_id: str, secret: str
) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": secret,
    }
    return await client.post("/auth/o2/token", data=form)


async def test_enable_and_link_of_the_other_stage_is_stored_while_redis_is_down(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, own_redis: OwnRedis
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    me = skill.developer
    token = await admin.access_token(me.user_id, [ACCOUNT_LINKING, READWRITE])
    grant = await admin.tokens(skill.messaging_client_id, me.user_id, ["alexa::async_event:write"])
    put = await client.put(developer_path(skill.skill_id, "live"), headers=bearer(token))
    assert put.status_code == 204, put.text
    own_redis.stop()
    code = new_code()

    linked = await link(client, token, skill.skill_id, code, stage="development")

    assert linked.status_code == 201, linked.text  # was 503 "Retry", after the code was spent
    assert len(token_server.calls_with("code", code)) == 1
    status = await client.get(enablement_path(skill.skill_id), headers=bearer(token))
    assert status.status_code == 200, status.text
    assert status.json()["skill"]["stage"] == "development"
    assert status.json()["accountLink"] == {"status": "LINKED"}
    # The live stage's disabling still ended the skill's grant.
    refreshed = await _refresh(
        client, grant["refresh_token"], skill.messaging_client_id, skill.messaging_client_secret
    )
    assert refreshed.status_code == 400, refreshed.text
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("who", ["customer", "developer"])
async def test_disabling_goes_on_while_redis_is_down(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, own_redis: OwnRedis, who: str
) -> None:
    skill = await linked_skill(admin, token_server)
    me = skill.developer
    token = await admin.access_token(me.user_id, [ACCOUNT_LINKING, READWRITE])
    grant = await admin.tokens(skill.messaging_client_id, me.user_id, ["alexa::async_event:write"])
    assert (await link(client, token, skill.skill_id)).status_code == 201
    own_redis.stop()

    path = enablement_path(skill.skill_id) if who == "customer" else developer_path(skill.skill_id)
    disabled = await client.delete(path, headers=bearer(token))

    assert disabled.status_code in (200, 204), disabled.text
    gone = await client.get(enablement_path(skill.skill_id), headers=bearer(token))
    assert gone.status_code == 404, gone.text
    refreshed = await _refresh(
        client, grant["refresh_token"], skill.messaging_client_id, skill.messaging_client_secret
    )
    assert refreshed.json()["error"] == "invalid_grant"
    # The access token the grant gave lives out its hour, as it did (an event gets
    # SKILL_DISABLED_EXCEPTION): nothing revoked it, so no cached answer needed forgetting.
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": grant["access_token"]})
    assert info.status_code == 200, info.text
