"""Wire shapes of the Skill Enablement API (skill-enablement seed; spec §1.2): camelCase JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from localexa.server.core import strict_json
from localexa.server.core.errors import ValidationFailed
from localexa.server.core.request_guard import SURROGATE_MESSAGE, holds_nul, nul_message

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
    refused call costs no parsing). JSON is read whatever the Content-Type says, as the
    Credential Locker does: `curl -d '{...}'` sends it as a form. 400 names what is wrong."""
    if not raw.strip():
        raise ValidationFailed(f"The request body is required: {_BODY_SHAPE}.")
    # The request guard checks JSON bodies for these only when they say they are JSON.
    if holds_nul(raw, form=False):
        raise ValidationFailed(nul_message("body"))
    try:
        body = strict_json.loads(raw)
    except strict_json.LoneSurrogate:
        raise ValidationFailed(SURROGATE_MESSAGE) from None
    except ValueError:  # UnicodeDecodeError, NaN, too deep: ValueErrors all
        raise ValidationFailed("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ValidationFailed(f"The request body must be a JSON object: {_BODY_SHAPE}.")
    try:
        return EnableAndLinkRequest.model_validate(body)
    except ValidationError as exc:
        violations = []
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"])
            message = f"{where}: {err['msg']}" if where else err["msg"]
            violations.append({"code": "INVALID_REQUEST_PARAMETER", "message": message})
        raise ValidationFailed(violations[0]["message"], violations) from None


def enable_and_link_openapi() -> dict[str, Any]:
    """The POST request body for the OpenAPI document (the route reads the raw body itself),
    with the nested models inlined: `$defs` would not resolve inside `paths`."""
    schema = EnableAndLinkRequest.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


class SkillRef(CamelModel):
    id: str
    stage: str


class UserRef(CamelModel):
    id: str


class AccountLink(CamelModel):
    status: str  # LINKED | NOT_LINKED | NEEDS_RELINK


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
