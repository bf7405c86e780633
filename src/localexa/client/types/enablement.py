"""Skill Enablement wire models (skill-enablement-rest-api-reference; spec alexa-api-surface.md §1.2)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from localexa.client.types._base import WireModel

__all__ = [
    "AccountLinkRequest",
    "AccountLinkStatus",
    "AlexaApiEndpoints",
    "CustomerEnablement",
    "EnableAndLinkRequest",
    "EnablementSkill",
    "EnablementUser",
    "Stage",
]

#: Skill stages a caller may name (`development` until the skill is published).
Stage = Literal["development", "live"]


class AccountLinkRequest(WireModel):
    type: Literal["AUTH_CODE"] = "AUTH_CODE"
    auth_code: str = Field(repr=False)
    redirect_uri: str
    #: PKCE verifier for the skill's own authorization server (RFC 7636), when it issued the code with one.
    code_verifier: str | None = Field(default=None, repr=False)


class EnableAndLinkRequest(WireModel):
    """`POST /v1/users/~current/skills/{skillId}/enablement` body."""

    stage: Stage = "development"
    account_link_request: AccountLinkRequest


class EnablementSkill(WireModel):
    id: str
    stage: str


class EnablementUser(WireModel):
    id: str


class AccountLinkStatus(WireModel):
    #: `LINKED` or `NOT_LINKED`.
    status: str


class CustomerEnablement(WireModel):
    """The customer's enablement record: 201 from enable-and-link, 200 from get."""

    skill: EnablementSkill
    user: EnablementUser
    #: Present for skills that use account linking.
    account_link: AccountLinkStatus | None = None
    #: `ENABLING` or `ENABLED`.
    status: str


class AlexaApiEndpoints(WireModel):
    """`GET /v1/alexaApiEndpoint`: bare host names (Amazon) or `host:port` (localexa), no scheme."""

    endpoints: list[str]
