"""Amazon's Python ask-smapi-sdk, unchanged, against the in-process app (spec §6): what the slow
real-client tests (test_real_clients.py, tests/tls/test_amazon_sdk.py) do not cover. The account
linking calls (spec §5), and the SDK reading their error bodies (spec §1.3) into its models.

The SDK's `DefaultApiClient` refuses plain HTTP, so an `ApiClient` of its own (the SDK's extension
point) hands each request to the test's httpx client on the event loop: everything else, the
LWA refresh, serialization, headers, status-to-model mapping, is the SDK's own code.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from ask_sdk_model_runtime import (
    ApiClient,
    ApiClientRequest,
    ApiClientResponse,
    ApiConfiguration,
    ApiResponse,
    AuthenticationConfiguration,
    DefaultSerializer,
    ServiceException,
)
from ask_sdk_model_runtime.lwa import LwaClient
from ask_smapi_model.services.skill_management import SkillManagementServiceClient
from ask_smapi_model.v1.bad_request_error import BadRequestError
from ask_smapi_model.v1.skill.account_linking import (
    AccessTokenSchemeType,
    AccountLinkingPlatformAuthorizationUrl,
    AccountLinkingRequest,
    AccountLinkingRequestPayload,
    AccountLinkingResponse,
    AccountLinkingType,
    PlatformType,
    VoiceForwardAccountLinkingStatus,
)
from ask_smapi_model.v1.skill.standardized_error import StandardizedError

from tests.enablement.helpers import READWRITE, REDIRECT, customer_token, link, new_code
from tests.enablement.token_server import CLIENT_ID, CLIENT_SECRET, TokenServer
from tests.factories import Admin

BASE = "http://localexa.test"


class _LoopBridge(ApiClient):
    """The SDK's transport: each request is sent by the test's client on the test's loop."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        headers = dict(request.headers or [])
        body = request.body
        # As DefaultApiClient.invoke sends it: JSON bodies dumped, others (LWA's form) as they are.
        if body and "json" in headers.get("Content-type", ""):
            body = json.dumps(body)
        call = self.client.request(request.method, request.url, headers=headers, content=body or None)
        response = asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=30)
        return ApiClientResponse(
            headers=list(response.headers.items()), status_code=response.status_code, body=response.text
        )


async def _smapi(client: httpx.AsyncClient, admin: Admin, developer_id: str) -> SkillManagementServiceClient:
    client_id, client_secret = await admin.lwa_client()
    refresh = (await admin.tokens(client_id, developer_id, [READWRITE]))["refresh_token"]
    bridge, serializer = _LoopBridge(client, asyncio.get_running_loop()), DefaultSerializer()
    auth = AuthenticationConfiguration(
        client_id=client_id, client_secret=client_secret, refresh_token=refresh
    )
    config = ApiConfiguration(serializer=serializer, api_client=bridge, api_endpoint=BASE)
    lwa = LwaClient(config, auth, grant_type="refresh_token")
    return SkillManagementServiceClient(config, auth, lwa_client=lwa)


def _payload(token_server: TokenServer, **changes: Any) -> AccountLinkingRequest:
    fields: dict[str, Any] = {
        "object_type": AccountLinkingType.AUTH_CODE,
        "authorization_url": "https://skill.example.com/authorize",
        "domains": ["skill.example.com"],
        "client_id": CLIENT_ID,
        "scopes": ["lights"],
        "access_token_url": token_server.url("ok"),
        "client_secret": CLIENT_SECRET,
        "access_token_scheme": AccessTokenSchemeType.HTTP_BASIC,
        "default_token_expiration_in_seconds": 3600,
        "redirect_urls": [REDIRECT],
        "authorization_urls_by_platform": [
            AccountLinkingPlatformAuthorizationUrl(
                platform_type=PlatformType.iOS, platform_authorization_url="https://skill.example.com/ios"
            )
        ],
        "skip_on_enablement": False,
        "voice_forward_account_linking": VoiceForwardAccountLinkingStatus.DISABLED,
    }
    fields.update(changes)
    return AccountLinkingRequest(account_linking_request=AccountLinkingRequestPayload(**fields))


async def test_account_linking_info_round_trip(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    skill = await admin.skill(stages=["development", "live"])
    smapi = await _smapi(client, admin, skill.developer.user_id)
    sid = skill.skill_id

    with pytest.raises(ServiceException) as missing:
        await asyncio.to_thread(smapi.get_account_linking_info_v1, sid, "development")
    assert missing.value.status_code == 404
    assert isinstance(missing.value.body, StandardizedError)
    assert missing.value.body.code == "NOT_FOUND"

    created = await asyncio.to_thread(
        smapi.update_account_linking_info_v1, sid, "development", _payload(token_server), full_response=True
    )
    assert isinstance(created, ApiResponse), created
    assert created.status_code == 204
    etag = dict(created.headers)["etag"]

    shown = await asyncio.to_thread(smapi.get_account_linking_info_v1, sid, "live")
    assert isinstance(shown, AccountLinkingResponse), shown
    assert shown.object_type == AccountLinkingType.AUTH_CODE
    assert shown.access_token_url == token_server.url("ok")
    assert shown.access_token_scheme == AccessTokenSchemeType.HTTP_BASIC
    assert shown.default_token_expiration_in_seconds == 3600
    assert shown.redirect_urls == [REDIRECT]
    [platform] = shown.authorization_urls_by_platform or []
    assert platform.platform_type == PlatformType.iOS
    assert shown.voice_forward_account_linking == VoiceForwardAccountLinkingStatus.DISABLED

    # What the SDK stored is what account linking uses: a customer links through it.
    code = new_code()
    linked = await link(client, await customer_token(admin, await admin.customer()), sid, code)
    assert linked.status_code == 201, linked.text
    assert token_server.calls_with("code", code)

    with pytest.raises(ServiceException) as stale:
        await asyncio.to_thread(
            smapi.update_account_linking_info_v1, sid, "development", _payload(token_server), if_match='"0"'
        )
    assert stale.value.status_code == 412
    assert isinstance(stale.value.body, StandardizedError)
    await asyncio.to_thread(
        smapi.update_account_linking_info_v1,
        sid,
        "development",
        _payload(token_server, client_secret=None),
        if_match=etag,
    )

    with pytest.raises(ServiceException) as bad_stage:
        await asyncio.to_thread(smapi.get_account_linking_info_v1, sid, "beta")
    assert bad_stage.value.status_code == 404
    assert isinstance(bad_stage.value.body, StandardizedError)  # GET lists no 400 in the SDK

    with pytest.raises(ServiceException) as invalid:
        await asyncio.to_thread(
            smapi.update_account_linking_info_v1,
            sid,
            "development",
            _payload(token_server, authorization_url="x"),
        )
    assert invalid.value.status_code == 400
    bad = invalid.value.body
    assert isinstance(bad, BadRequestError), bad  # 400: message + violations
    assert bad.message
    assert [str(v.message).split(":")[0] for v in bad.violations or []] == [
        "accountLinkingRequest.authorizationUrl"
    ]

    with pytest.raises(ServiceException) as read_only:
        await asyncio.to_thread(smapi.delete_account_linking_info_v1, sid, "live")
    assert read_only.value.status_code == 403
    body = read_only.value.body
    assert isinstance(body, BadRequestError), body  # 403 is a BadRequestError for SMAPI
    assert body.violations
    assert body.violations[0].message

    await asyncio.to_thread(smapi.delete_account_linking_info_v1, sid, "development")
    with pytest.raises(ServiceException) as gone:
        await asyncio.to_thread(smapi.get_account_linking_info_v1, sid, "development")
    assert gone.value.status_code == 404
