"""Developer enablement (SMAPI): PUT/GET/DELETE /v1/skills/{id}/stages/{stage}/enablement (spec §1.1)."""

from __future__ import annotations

import httpx
import pytest

from tests.enablement.helpers import READ, READWRITE, bearer, developer_path, developer_token
from tests.factories import Admin


async def test_put_get_delete_round_trip(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    path = developer_path(skill.skill_id)

    assert (await client.get(path, headers=bearer(token))).status_code == 404
    put = await client.put(path, headers=bearer(token))
    assert put.status_code == 204
    assert put.content == b""
    assert put.headers["X-Amzn-RequestId"]
    get = await client.get(path, headers=bearer(token))
    assert get.status_code == 204
    assert get.content == b""
    delete = await client.delete(path, headers=bearer(token))
    assert delete.status_code == 204
    assert delete.content == b""
    missing = await client.get(path, headers=bearer(token))
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    again = await client.delete(path, headers=bearer(token))
    assert again.status_code == 404
    assert set(again.json()) == {"code", "message"}


async def test_put_is_idempotent(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    path = developer_path(skill.skill_id)
    assert (await client.put(path, headers=bearer(token))).status_code == 204
    assert (await client.put(path, headers=bearer(token))).status_code == 204
    assert (await client.get(path, headers=bearer(token))).status_code == 204


async def test_enabling_one_stage_disables_the_other(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill(stages=["development", "live"])
    token = await developer_token(admin, skill)
    dev, live = developer_path(skill.skill_id), developer_path(skill.skill_id, "live")
    assert (await client.put(dev, headers=bearer(token))).status_code == 204
    assert (await client.put(live, headers=bearer(token))).status_code == 204
    assert (await client.get(live, headers=bearer(token))).status_code == 204
    assert (await client.get(dev, headers=bearer(token))).status_code == 404
    # Disabling the stage that is not enabled is a 404; the enabled one stays.
    assert (await client.delete(dev, headers=bearer(token))).status_code == 404
    assert (await client.get(live, headers=bearer(token))).status_code == 204


async def test_ask_cli_style_put_with_form_content_type_and_raw_token(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """ask-cli sends an empty x-www-form-urlencoded body; its legacy client omits `Bearer ` (spec §6)."""
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    response = await client.put(
        developer_path(skill.skill_id),
        content=b"",
        headers={"Authorization": token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 204
    assert (
        await client.get(developer_path(skill.skill_id), headers={"Authorization": token})
    ).status_code == 204


async def test_read_scope_may_get_but_not_put_or_delete(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    writer = await developer_token(admin, skill)
    reader = await developer_token(admin, skill, [READ])
    path = developer_path(skill.skill_id)
    assert (await client.get(path, headers=bearer(reader))).status_code == 404
    refused = await client.put(path, headers=bearer(reader))
    assert refused.status_code == 403
    assert refused.json()["violations"][0]["code"] == "INSUFFICIENT_SCOPE"
    assert (await client.put(path, headers=bearer(writer))).status_code == 204
    assert (await client.get(path, headers=bearer(reader))).status_code == 204
    assert (await client.delete(path, headers=bearer(reader))).status_code == 403
    assert (await client.get(path, headers=bearer(reader))).status_code == 204


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_missing_and_invalid_tokens_are_401(
    client: httpx.AsyncClient, admin: Admin, method: str
) -> None:
    skill = await admin.skill()
    path = developer_path(skill.skill_id)
    missing = await client.request(method, path)
    assert missing.status_code == 401
    assert set(missing.json()) == {"code", "message"}
    invalid = await client.request(method, path, headers=bearer("Atza|not-a-token"))
    assert invalid.status_code == 401


async def test_expired_token_is_401(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill)
    await admin.advance_clock(3601)
    response = await client.put(developer_path(skill.skill_id), headers=bearer(token))
    assert response.status_code == 401


async def test_customer_scope_is_not_enough(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    token = await developer_token(admin, skill, ["alexa::skills:account_linking", "profile"])
    response = await client.put(developer_path(skill.skill_id), headers=bearer(token))
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_another_vendors_skill_is_403(client: httpx.AsyncClient, admin: Admin, method: str) -> None:
    skill = await admin.skill()
    other = await admin.skill()  # another developer, another vendor
    token = await developer_token(admin, other)
    owner = await developer_token(admin, skill)
    await client.put(developer_path(skill.skill_id), headers=bearer(owner))
    response = await client.request(method, developer_path(skill.skill_id), headers=bearer(token))
    assert response.status_code == 403
    body = response.json()
    assert body["violations"][0]["code"] == "ACCESS_DENIED"
    assert set(body) == {"code", "message", "violations"}
    # The owner's enablement is untouched.
    assert (await client.get(developer_path(skill.skill_id), headers=bearer(owner))).status_code == 204


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_a_customer_who_is_no_developer_is_403(
    client: httpx.AsyncClient, admin: Admin, method: str
) -> None:
    skill = await admin.skill()
    stranger = await admin.customer(name="Eve")
    token = await admin.access_token(stranger.user_id, [READWRITE])
    response = await client.request(method, developer_path(skill.skill_id), headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["violations"][0]["code"] == "ACCESS_DENIED"


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_unknown_skill_is_404(client: httpx.AsyncClient, admin: Admin, method: str) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    response = await client.request(method, developer_path("amzn1.ask.skill.nope"), headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        pytest.param("beta", 400, id="unknown-stage"),
        pytest.param("DEVELOPMENT", 400, id="wrong-case"),
        pytest.param("live", 404, id="stage-the-skill-lacks"),
    ],
)
async def test_bad_stages(client: httpx.AsyncClient, admin: Admin, stage: str, status: int) -> None:
    skill = await admin.skill()  # development only
    token = await developer_token(admin, skill)
    for method in ("PUT", "GET", "DELETE"):
        response = await client.request(method, developer_path(skill.skill_id, stage), headers=bearer(token))
        assert response.status_code == status, method
        assert response.json()["message"]
    assert (await client.get(developer_path(skill.skill_id), headers=bearer(token))).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_overlong_skill_id_is_400(client: httpx.AsyncClient, admin: Admin, method: str) -> None:
    developer = await admin.customer(name="Dev")
    token = await admin.access_token(developer.user_id, [READWRITE])
    response = await client.request(method, developer_path("s" * 256), headers=bearer(token))
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "violations"}
    assert response.json()["code"] == "INVALID_STRING_LENGTH"  # as Skill Credentials answers it
