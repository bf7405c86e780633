"""Wire shapes of the Skill Enablement API (skill-enablement seed; spec §1.2): camelCase JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from localexa.server.core.json_body import inline_defs, smapi_model
from localexa.server.enablement.models import LINKED, NEEDS_RELINK, NOT_LINKED

Stage = Literal["development", "live"]
STAGES: tuple[str, ...] = ("development", "live")


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class AccountLinkRequest(CamelModel):
    """The account-linking half of "Enable skill and account link" (seed; spec §1.2)."""

    redirect_uri: str = Field(min_length=1, max_length=2048)
    auth_code: str = Field(min_length=1, max_length=4096)
    type: Literal["AUTH_CODE"]
    #: PKCE (RFC 7636 §4.1 allows 43-128 characters; the skill's server judges it).
    code_verifier: str | None = Field(default=None, min_length=1, max_length=256)


class EnableAndLinkRequest(CamelModel):
    stage: Stage
    account_link_request: AccountLinkRequest


_BODY_SHAPE = '{"stage": "development", "accountLinkRequest": {...}}'


def parse_enable_and_link(raw: bytes) -> EnableAndLinkRequest:
    """The customer POST body, read by the route itself after the token and the rate limit (so
    a caller without a valid token gets 401 whatever it sent, as from Amazon's gateway, and a
    refused call costs no parsing; core/json_body.py), and parsed by the service after the
    region and the skill (403 and 404 first). 400 names what is wrong."""
    return smapi_model(EnableAndLinkRequest, raw, shape=_BODY_SHAPE)


def enable_and_link_openapi() -> dict[str, Any]:
    """The POST request body for the OpenAPI document (the route reads the raw body itself)."""
    schema = inline_defs(EnableAndLinkRequest.model_json_schema(by_alias=True))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class SkillRef(CamelModel):
    id: str
    stage: str


class UserRef(CamelModel):
    id: str


class AccountLink(CamelModel):
    # A str, not a Literal: the document names the values (since 2026-12-06) while the answer
    # still sends whatever the row holds, so a value the list lacks is never a 500 here.
    status: str = Field(json_schema_extra={"enum": [LINKED, NOT_LINKED, NEEDS_RELINK]})


class EnablementStatus(CamelModel):
    """POST (201) and GET (200) answer of the customer API."""

    skill: SkillRef
    user: UserRef
    #: Present only for skills that use account linking (spec §1.2, from the ASP analog).
    account_link: AccountLink | None = None
    status: Literal["ENABLING", "ENABLED"] = "ENABLED"


class ApiEndpoints(CamelModel):
    #: Bare host names (with a port for localexa's own listeners), no scheme (spec §1.2).
    endpoints: list[str]
