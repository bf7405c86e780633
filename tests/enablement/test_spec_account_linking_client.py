"""SMAPI account-linking configuration (spec §5 [C]):
`GET|PUT|DELETE /v1/skills/{skillId}/stages/{stageV2}/accountLinkingClient`, as ask-smapi-model's
`get/update/delete_account_linking_info_v1` and ask-cli's `ask smapi *-account-linking-info` call it.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.enablement.helpers import (
    READ,
    REDIRECT,
    account_linking,
    bearer,
    customer_token,
    developer_token,
    enablement_path,
    link,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import CLIENT_ID, CLIENT_SECRET, TokenServer
from tests.factories import Admin


def _path(skill_id: str, stage: str = "development") -> str:
    return f"/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"


def _wrapped(payload: dict[str, Any]) -> dict[str, Any]:
    return {"accountLinkingRequest": payload}


async def test_get_answers_the_config_without_the_secret_and_an_etag(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    token = await developer_token(admin, skill, [READ])
    for stage in ("development", "live"):
        response = await client.get(_path(skill.skill_id, stage), headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["clientId"] == CLIENT_ID
        assert body["accessTokenUrl"] == token_server.url("ok")
        assert body["type"] == "AUTH_CODE"
        assert "clientSecret" not in body  # write-only (AccountLinkingResponse has no such field)
        # Amazon's answer holds the fields under accountLinkingResponse, ask-smapi-model reads
        # them at the top level: both are there, the same.
        wrapped = body.pop("accountLinkingResponse")
        assert wrapped == body
        assert response.headers["ETag"].startswith('"')
        assert response.headers["X-Amzn-RequestId"]


async def test_put_replaces_the_config_that_linking_then_uses_and_keeps_the_secret(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """A GET-edit-PUT round trip (no clientSecret: GET never shows it) switches the token URL and
    scheme; the next enable-and-link exchanges its code there with the secret kept."""
    skill = await linked_skill(admin, token_server)
    token = await developer_token(admin, skill)
    current = await client.get(_path(skill.skill_id), headers=bearer(token))
    edited = {
        **current.json(),
        "accessTokenUrl": token_server.url("no-expiry"),
        "accessTokenScheme": "REQUEST_BODY_CREDENTIALS",
        "voiceForwardAccountLinking": "DISABLED",
        "authorizationUrlsByPlatform": [
            {"platformType": "iOS", "platformAuthorizationUrl": "https://x.example/i"}
        ],
    }
    put = await client.put(
        _path(skill.skill_id),
        json=_wrapped(edited),
        headers={**bearer(token), "If-Match": current.headers["ETag"]},
    )
    assert put.status_code == 204, put.text
    assert put.content == b""
    assert put.headers["ETag"] != current.headers["ETag"]

    again = await client.get(_path(skill.skill_id), headers=bearer(token))
    # The GET body went back whole, its accountLinkingResponse copy included: that copy is dropped.
    edited.pop("accountLinkingResponse")
    assert again.json() == {**edited, "accountLinkingResponse": edited}
    assert again.headers["ETag"] == put.headers["ETag"]

    code = new_code()
    linked = await link(client, await customer_token(admin, await admin.customer()), skill.skill_id, code)
    assert linked.status_code == 201, linked.text
    [call] = token_server.calls_with("code", code)
    assert call.mode == "no-expiry"
    assert call.form["client_id"] == CLIENT_ID
    assert call.form["client_secret"] == CLIENT_SECRET


async def test_put_with_a_new_secret_and_if_match_rules(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await admin.skill()  # no account linking yet
    token = await developer_token(admin, skill)
    path = _path(skill.skill_id)
    assert (await client.get(path, headers=bearer(token))).status_code == 404
    payload = account_linking(token_server)  # with clientSecret
    # If-Match on a configuration that does not exist yet cannot match (RFC 9110 §13.1.1).
    assert (
        await client.put(path, json=_wrapped(payload), headers={**bearer(token), "If-Match": "*"})
    ).status_code == 412
    created = await client.put(path, json=_wrapped(payload), headers=bearer(token))
    assert created.status_code == 204, created.text
    stale = await client.put(path, json=_wrapped(payload), headers={**bearer(token), "If-Match": '"0123"'})
    assert stale.status_code == 412
    assert set(stale.json()) == {"code", "message"}
    assert stale.json()["code"] == "PRECONDITION_FAILED"
    # Sent without quotes, as a user pastes it into `ask smapi update-account-linking-info --if-match`.
    bare = created.headers["ETag"].strip('"')
    assert (
        await client.put(path, json=_wrapped(payload), headers={**bearer(token), "If-Match": bare})
    ).status_code == 204

    code = new_code()
    linked = await link(client, await customer_token(admin, await admin.customer()), skill.skill_id, code)
    assert linked.status_code == 201, linked.text
    [call] = token_server.calls_with("code", code)
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert call.authorization == f"Basic {expected}"
    assert call.form["redirect_uri"] == REDIRECT


async def test_delete_then_linking_is_refused(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await developer_token(admin, skill)
    path = _path(skill.skill_id)
    deleted = await client.delete(path, headers=bearer(token))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(path, headers=bearer(token))).status_code == 404
    assert (await client.delete(path, headers=bearer(token))).status_code == 404
    refused = await link(client, await customer_token(admin, await admin.customer()), skill.skill_id)
    assert refused.status_code == 400
    assert "account linking" in refused.json()["message"]


async def test_errors_take_smapi_shapes(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server, stages=["development", "live"])
    token = await developer_token(admin, skill)
    good = _wrapped(account_linking(token_server))

    no_token = await client.put(_path(skill.skill_id), json=good)
    assert no_token.status_code == 401
    read_only = await client.put(
        _path(skill.skill_id), json=good, headers=bearer(await developer_token(admin, skill, [READ]))
    )
    assert read_only.status_code == 403
    other = await client.get(
        _path(skill.skill_id), headers=bearer(await developer_token(admin, await admin.skill()))
    )
    assert other.status_code == 403
    assert other.json()["violations"]  # BadRequestError
    live = await client.put(_path(skill.skill_id, "live"), json=good, headers=bearer(token))
    assert live.status_code == 403
    assert live.json()["code"] == "STAGE_READ_ONLY"
    # Read-only whatever the body: the stage is checked before the body is read.
    for body in ({}, {"accountLinkingRequest": {"type": "NOPE"}}):
        live = await client.put(_path(skill.skill_id, "live"), json=body, headers=bearer(token))
        assert (live.status_code, live.json()["code"]) == (403, "STAGE_READ_ONLY")
    unknown = await client.put(_path("amzn1.ask.skill.nope", "development"), json={}, headers=bearer(token))
    assert unknown.status_code in (403, 404)
    assert (await client.get(_path(skill.skill_id, "certified"), headers=bearer(token))).status_code == 404
    bad_stage = await client.get(_path(skill.skill_id, "beta"), headers=bearer(token))
    assert bad_stage.status_code == 404  # GET and DELETE have no 400 in SMAPI's model
    assert bad_stage.json()["code"] == "STAGE_NOT_FOUND"
    assert (await client.get(_path("amzn1.ask.skill.none"), headers=bearer(token))).status_code == 404

    broken = await client.put(
        _path(skill.skill_id),
        json=_wrapped({"type": "SAML", "authorizationUrl": "ftp://x", "clientId": "c"}),
        headers=bearer(token),
    )
    assert broken.status_code == 400
    messages = [v["message"] for v in broken.json()["violations"]]
    assert any(m.startswith("accountLinkingRequest.type") for m in messages)
    assert any(m.startswith("accountLinkingRequest.authorizationUrl") for m in messages)
    for raw in (b"", b"[]", b"{", b'{"accountLinkingRequest": 1}'):
        response = await client.put(_path(skill.skill_id), content=raw, headers=bearer(token))
        assert response.status_code == 400, raw
        assert response.json()["violations"]
    # Nothing of the refused calls was stored.
    assert (await client.get(_path(skill.skill_id), headers=bearer(token))).json()["clientId"] == CLIENT_ID


async def test_a_code_grant_needs_a_token_url_and_a_secret_is_never_empty(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """QA of 2026-12-05: an AUTH_CODE setup without `accessTokenUrl` was a 204, and every
    enable-and-link then said the skill "does not use account linking with authorization codes";
    `clientSecret: ""` was a 204 that kept the old secret without a word."""
    skill = await linked_skill(admin, token_server)
    token = await developer_token(admin, skill)
    no_url = {k: v for k, v in account_linking(token_server).items() if k != "accessTokenUrl"}
    empty_secret = {**account_linking(token_server), "clientSecret": ""}
    for payload, named in ((no_url, "accessTokenUrl"), (empty_secret, "clientSecret")):
        response = await client.put(_path(skill.skill_id), json=_wrapped(payload), headers=bearer(token))
        assert response.status_code == 400, response.text
        assert any(named in v["message"] for v in response.json()["violations"]), response.text
        # The admin API's skill body holds the same rules.
        vendor_id = await admin.vendor(await admin.customer())
        body = {
            "vendorId": vendor_id,
            "name": "S",
            "endpoint": "http://127.0.0.1:9/s",
            "accountLinking": payload,
        }
        created = await client.post("/_localexa/skills", json=body, headers=admin.headers)
        assert created.status_code == 400, created.text
        assert named in created.json()["message"]
    # An IMPLICIT grant has no token URL to need.
    implicit = {**no_url, "type": "IMPLICIT"}
    implicit.pop("accessTokenScheme", None)
    response = await client.put(_path(skill.skill_id), json=_wrapped(implicit), headers=bearer(token))
    assert response.status_code == 204, response.text
    # Its GET shows no token scheme it was never given (it showed the default HTTP_BASIC; QA of
    # 2026-12-06); one given is shown.
    shown = (await client.get(_path(skill.skill_id), headers=bearer(token))).json()
    assert "accessTokenScheme" not in shown, shown
    given = {**implicit, "accessTokenScheme": "REQUEST_BODY_CREDENTIALS"}
    assert (
        await client.put(_path(skill.skill_id), json=_wrapped(given), headers=bearer(token))
    ).status_code == 204
    shown = (await client.get(_path(skill.skill_id), headers=bearer(token))).json()
    assert shown["accessTokenScheme"] == "REQUEST_BODY_CREDENTIALS"


async def test_openapi_describes_the_routes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/_localexa/openapi.json")).json()
    operations = document["paths"]["/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"]
    assert set(operations) >= {"get", "put", "delete"}
    body = operations["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert "accountLinkingRequest" in body["properties"]
    assert "412" in operations["put"]["responses"]
    assert "ETag" in operations["put"]["responses"]["204"]["headers"]
    ok = operations["get"]["responses"]["200"]
    assert "ETag" in ok["headers"]
    view = ok["content"]["application/json"]["schema"]["properties"]
    assert "clientId" in view
    assert "clientSecret" not in view


async def test_a_link_made_before_the_delete_still_shows_its_status(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """The link's tokens outlive the configuration: the customer's app still sees LINKED (the
    `accountLink` object vanished, as for a skill that never had account linking)."""
    skill = await linked_skill(admin, token_server)
    customer = await customer_token(admin, await admin.customer())
    assert (await link(client, customer, skill.skill_id)).status_code == 201
    deleted = await client.delete(_path(skill.skill_id), headers=bearer(await developer_token(admin, skill)))
    assert deleted.status_code == 204
    status = await client.get(enablement_path(skill.skill_id), headers=bearer(customer))
    assert status.status_code == 200
    assert status.json()["accountLink"] == {"status": "LINKED"}
