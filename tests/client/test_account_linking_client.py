"""`client.account_linking` (SMAPI `GET|PUT|DELETE /v1/skills/{skillId}/stages/{stage}/accountLinkingClient`)
against the real app on both clients, and its retry rules against a fake Amazon."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from localexa.client import (
    AsyncClient,
    BadRequestError,
    Client,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from localexa.client.types import AccountLinking, AccountLinkingConfig, PlatformAuthorizationUrl
from tests.client.conftest import BASE, Either, FakeAmazon, reply
from tests.client.contract import in_thread, world

SECRET = "s3cret-linking-value"
LINKING = AccountLinking(
    authorization_url="https://auth.example.com/authorize",
    access_token_url="https://auth.example.com/token",
    client_id="linking-client",
    client_secret=SECRET,
    scopes=["profile"],
    redirect_urls=["https://app.example.com/cb"],
)
SKILL = "amzn1.ask.skill.1"
URL = f"{BASE}/v1/skills/{SKILL}/stages/development/accountLinkingClient"
BODY = {
    "type": "AUTH_CODE",
    "authorizationUrl": "https://a.example/auth",
    "accessTokenUrl": "https://a.example/token",
    "clientId": "c",
}


async def test_get_update_delete_on_both_clients(sdk: AsyncClient, sync_sdk: Client) -> None:
    w = await world(sdk, stages=["development", "live"], account_linking=LINKING)
    dev = sdk.with_options(auth=w.developer.token)
    sync_dev = sync_sdk.with_options(auth=w.developer.token)
    skill_id = w.skill.skill_id

    config = await dev.account_linking.get(skill_id)
    assert isinstance(config, AccountLinkingConfig)
    assert config.client_id == "linking-client"
    assert config.scopes == ["profile"]
    assert config.client_secret is None  # write-only: GET never shows it
    assert config.etag
    assert config.etag.startswith('"')
    assert (await in_thread(lambda: sync_dev.account_linking.get(skill_id, stage="live"))).etag == config.etag

    # A get, edit, update round trip with the ETag; the new one names the new version.
    config.scopes = ["profile", "postal_code"]
    config.authorization_urls_by_platform = [
        PlatformAuthorizationUrl(platform_type="iOS", platform_authorization_url="https://a.example/ios")
    ]
    config.skip_on_enablement = True
    new_etag = await dev.account_linking.update(skill_id, config, if_match=config.etag)
    assert new_etag
    assert new_etag != config.etag
    again = await in_thread(lambda: sync_dev.account_linking.get(skill_id))
    assert again.etag == new_etag
    assert again.scopes == ["profile", "postal_code"]
    assert again.skip_on_enablement is True
    assert again.authorization_urls_by_platform == config.authorization_urls_by_platform
    assert "etag" not in json.dumps(again.model_dump(by_alias=True))  # no wire field

    # The old ETag is a 412 the caller can catch, on both clients; nothing changed.
    with pytest.raises(PreconditionFailedError) as stale:
        await dev.account_linking.update(skill_id, config, if_match=config.etag)
    assert (stale.value.status_code, stale.value.code) == (412, "PRECONDITION_FAILED")
    assert stale.value.request_id
    with pytest.raises(PreconditionFailedError):
        await in_thread(lambda: sync_dev.account_linking.update(skill_id, config, if_match='"0"'))
    assert (await dev.account_linking.get(skill_id)).etag == new_etag

    # Unconditional, wire-shaped payloads work too; the server validates them.
    assert await dev.account_linking.update(skill_id, {**BODY, "scopes": ["x"]})
    with pytest.raises(BadRequestError) as bad:
        await dev.account_linking.update(skill_id, {"clientId": "c"})
    assert bad.value.violations

    with pytest.raises(PermissionDeniedError) as live:
        await dev.account_linking.update(skill_id, config, stage="live")
    assert live.value.code == "STAGE_READ_ONLY"
    with pytest.raises(PermissionDeniedError):
        await in_thread(lambda: sync_dev.account_linking.delete(skill_id, stage="live"))
    with pytest.raises(NotFoundError):
        await dev.account_linking.get(skill_id, stage="certified")

    await in_thread(lambda: sync_dev.account_linking.delete(skill_id))
    with pytest.raises(NotFoundError):
        await dev.account_linking.get(skill_id)
    with pytest.raises(NotFoundError):
        await dev.account_linking.delete(skill_id)


async def test_a_config_from_get_creates_a_skill_through_the_admin_api(sdk: AsyncClient) -> None:
    """AccountLinkingConfig is an AccountLinking: it goes where the admin API takes one."""
    w = await world(sdk, account_linking=LINKING)
    dev = sdk.with_options(auth=w.developer.token)
    config = await dev.account_linking.get(w.skill.skill_id)
    config.client_secret = SECRET
    copy = await sdk.admin.skills.create(
        vendor_id=w.developer.vendor_id, name="Copy", endpoint="http://127.0.0.1:9/s", account_linking=config
    )
    assert (await dev.account_linking.get(copy.skill_id)).client_id == config.client_id


async def test_a_conditional_update_is_not_repeated_once_it_may_have_acted(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """Had the 500's attempt landed, its repeat would answer 412 for a write that was made."""
    amazon.on("PUT", URL, reply(500, {"message": "oops"}), reply(204, headers={"ETag": '"2"'}))
    with pytest.raises(InternalServerError):
        await either.run(lambda c: c.account_linking.update(SKILL, BODY, if_match='"1"'), auth="Atza|dev")
    sent = amazon.calls(URL.removeprefix(BASE))
    assert len(sent) == 1
    assert sent[0].headers["If-Match"] == '"1"'
    assert json.loads(sent[0].content) == {"accountLinkingRequest": BODY}


async def test_a_conditional_update_is_retried_when_the_server_cannot_have_acted(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("PUT", URL, reply(429, {"message": "slow down"}), reply(204, headers={"ETag": '"2"'}))
    etag = await either.run(lambda c: c.account_linking.update(SKILL, BODY, if_match='"1"'), auth="Atza|dev")
    assert etag == '"2"'
    assert len(amazon.calls(URL.removeprefix(BASE))) == 2


async def test_an_unconditional_update_is_retried_as_any_put(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("PUT", URL, reply(500, {"message": "oops"}), reply(204, headers={"ETag": '"2"'}))
    assert await either.run(lambda c: c.account_linking.update(SKILL, BODY), auth="Atza|dev") == '"2"'
    sent = amazon.calls(URL.removeprefix(BASE))
    assert len(sent) == 2
    assert "If-Match" not in sent[1].headers


async def test_an_update_answered_without_an_etag_is_none(either: Either, amazon: FakeAmazon) -> None:
    """localexa always sends the new version; Amazon documents none for the PUT's 204. Both
    clients answer None then (no version known: `get` reads it), never an empty string."""
    amazon.on("PUT", URL, reply(204))
    assert await either.run(lambda c: c.account_linking.update(SKILL, BODY), auth="Atza|dev") is None
    assert (
        await either.run(lambda c: c.account_linking.update(SKILL, BODY, if_match='"1"'), auth="Atza|dev")
        is None
    )


async def test_a_delete_whose_retry_finds_nothing_is_done(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on(
        "DELETE", URL, reply(500, {"message": "oops"}), reply(404, {"code": "NOT_FOUND", "message": "no"})
    )
    assert await either.run(lambda c: c.account_linking.delete(SKILL), auth="Atza|dev") is None
    assert len(amazon.calls(URL.removeprefix(BASE))) == 2


@pytest.mark.parametrize("if_match", ['"1"\r\nX-Evil: 1', "", " "])
async def test_a_bad_if_match_is_refused_before_any_request(
    if_match: str, either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="if_match"):
        await either.run(lambda c: c.account_linking.update(SKILL, BODY, if_match=if_match), auth="Atza|dev")
    assert amazon.requests == []


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"accountLinkingResponse": BODY}, id="amazon"),
        pytest.param(BODY, id="ask-smapi-model"),
        pytest.param({**BODY, "accountLinkingResponse": BODY}, id="localexa"),
    ],
)
async def test_get_reads_the_fields_wherever_the_answer_holds_them(
    answer: dict[str, object], either: Either, amazon: FakeAmazon
) -> None:
    """Amazon answers the fields under `accountLinkingResponse`, ask-smapi-model reads them at the
    top level and localexa sends both; a get, edit, update round trip sends only the fields."""
    amazon.on("GET", URL, reply(200, answer, headers={"ETag": '"1"'}))
    amazon.on("PUT", URL, reply(204, headers={"ETag": '"2"'}))
    config = await either.run(lambda c: c.account_linking.get(SKILL), auth="Atza|dev")
    assert (config.client_id, config.access_token_url, config.etag) == ("c", BODY["accessTokenUrl"], '"1"')
    assert config.model_extra == {}
    await either.run(lambda c: c.account_linking.update(SKILL, config), auth="Atza|dev")
    [put] = [r for r in amazon.calls(URL.removeprefix(BASE)) if r.method == "PUT"]
    assert "accountLinkingResponse" not in json.loads(put.content)["accountLinkingRequest"]


async def test_get_reads_a_compressed_wrapped_answer(either: Either, amazon: FakeAmazon) -> None:
    """Amazon's wrapped answer, or localexa's behind a compressing proxy, sent gzip'd: the fields
    taken from under `accountLinkingResponse` are not decoded a second time (review of 2026-12-07:
    httpx.DecodingError)."""
    body = gzip.compress(json.dumps({**BODY, "accountLinkingResponse": BODY}).encode())
    amazon.on(
        "GET",
        URL,
        httpx.Response(200, content=body, headers={"Content-Encoding": "gzip", "ETag": '"1"'}),
    )
    config = await either.run(lambda c: c.account_linking.get(SKILL), auth="Atza|dev")
    assert (config.client_id, config.etag) == ("c", '"1"')
