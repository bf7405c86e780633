"""SMAPI account-linking configuration wire models
(`/v1/skills/{skillId}/stages/{stage}/accountLinkingClient`, spec alexa-api-surface.md §5;
ask-smapi-model `AccountLinkingRequestPayload` / `AccountLinkingResponse`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from localexa.client.types._base import WireModel
from localexa.client.types.admin import AccountLinking

__all__ = ["AccountLinkingConfig", "LinkingStage", "PlatformAuthorizationUrl"]

#: SMAPI's `stageV2`: `certified` exists on Amazon between certification and publication.
LinkingStage = Literal["development", "certified", "live"]


class PlatformAuthorizationUrl(WireModel):
    """ask-smapi-model `AccountLinkingPlatformAuthorizationUrl`."""

    platform_type: Literal["iOS", "Android"]
    platform_authorization_url: str


class AccountLinkingConfig(AccountLinking):
    """A skill stage's account-linking configuration: what `account_linking.get` answers and
    `account_linking.update` sends.

    An `AccountLinking` (the admin API's skill field) with SMAPI's remaining fields, so either
    goes where the other does. `client_secret` is write-only: GET never shows it, and an update
    without one keeps the stored secret, so a get, edit, update round trip keeps it too.
    `etag` is no wire field: the version GET answered in its `ETag` header, for `if_match=`.
    """

    reciprocal_access_token_url: str | None = None
    authorization_urls_by_platform: list[PlatformAuthorizationUrl] | None = None
    skip_on_enablement: bool | None = None
    voice_forward_account_linking: Literal["ENABLED", "DISABLED"] | None = None
    etag: str | None = Field(default=None, exclude=True)
