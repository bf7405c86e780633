"""Wire shapes of the skill registry (the admin contract's skill body, admin-api.md)."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from localexa.server.core.fields import SCOPE_TOKEN, Name, RegionField, not_blank
from localexa.server.core.null_fields import NullMeansAbsent
from localexa.server.core.openapi import PYTHON_SPACE
from localexa.server.lwa.schemas import REDIRECT_URI_ITEMS, check_redirect_uri
from localexa.server.skills.permissions import KNOWN_PERMISSIONS, unknown_permission_message

Stage = Literal["development", "live"]
STAGES: tuple[Stage, ...] = ("development", "live")


def _default_stages() -> list[Stage]:
    return ["development"]


#: `python:package.module:function`: dotted identifiers, no empty part (`a..b` was taken).
_PYTHON_ENDPOINT = re.compile(r"^python:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$", re.ASCII)
#: White space is Python's, spelled out (core/openapi.py PYTHON_SPACE): written `\s` and `\S`, the
#: document's pattern let "http://a\u00a0b" through and this validator refused it.
#: The scheme in any case (RFC 3986 §3.1: `HTTP://` is the same URL); spelt out, as JSON Schema's
#: patterns have no flags.
_HTTP_URL = re.compile(rf"^[Hh][Tt][Tt][Pp][Ss]?://[^{PYTHON_SPACE}/]+(/[^{PYTHON_SPACE}]*)?$")
#: What the validators below accept, for the OpenAPI document (they keep their own messages).
_ENDPOINT_PATTERN = "|".join(f"(?:{rule.pattern})" for rule in (_HTTP_URL, _PYTHON_ENDPOINT))
_HTTP_URL_DOC = {"pattern": _HTTP_URL.pattern}
_SCOPE_ITEMS = {"type": "string", "pattern": f"^{SCOPE_TOKEN.pattern}$"}


def check_http_url(value: str, field: str) -> str:
    try:
        parts = urlsplit(value)
        usable = _HTTP_URL.fullmatch(value) is not None and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port past 65535 or not a number, an unbalanced IPv6 bracket
        usable = False
    if not usable:
        # `http://127.0.0.1:99999/x` and `:0` were taken, and failed at the first call.
        raise ValueError(f"{field} must be an http:// or https:// URL with a host (and a port in 1-65535)")
    return value


def check_endpoint(value: str) -> str:
    """A skill endpoint: an http(s) URL with a host, or `python:package.module:function`."""
    if _PYTHON_ENDPOINT.fullmatch(value):
        return value
    if not _HTTP_URL.fullmatch(value):
        raise ValueError("endpoint must be an http(s):// URL or python:package.module:function")
    return check_http_url(value, "endpoint")


SkillEndpoint = Annotated[
    str,
    Field(min_length=1, max_length=2048, json_schema_extra={"pattern": _ENDPOINT_PATTERN}),
    AfterValidator(check_endpoint),
]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PlatformAuthorizationUrl(CamelModel):
    """ask-smapi-model `AccountLinkingPlatformAuthorizationUrl` (both fields required there)."""

    platform_type: Literal["iOS", "Android"]
    platform_authorization_url: Annotated[str, Field(json_schema_extra=_HTTP_URL_DOC)]

    @field_validator("platform_authorization_url")
    @classmethod
    def _platform_url(cls, value: str) -> str:
        return check_http_url(value, "authorizationUrlsByPlatform.platformAuthorizationUrl")


class AccountLinkingSpec(NullMeansAbsent, CamelModel):
    """The account-linking fields of spec §5 (ask-smapi-model `AccountLinkingRequestPayload`).
    localexa acts on the token fields; the others are kept and shown back, as SMAPI does."""

    type: Literal["AUTH_CODE", "IMPLICIT"] = "AUTH_CODE"
    authorization_url: Annotated[str, Field(json_schema_extra=_HTTP_URL_DOC)]
    access_token_url: Annotated[str, Field(json_schema_extra=_HTTP_URL_DOC)] | None = None
    client_id: Annotated[str, Field(min_length=1, max_length=512), AfterValidator(not_blank)]
    # Left out, a PUT keeps the stored secret; an empty one would be kept silently too, so it is
    # refused (QA of 2026-12-05).
    client_secret: str | None = Field(default=None, min_length=1, max_length=4096)
    access_token_scheme: Literal["HTTP_BASIC", "REQUEST_BODY_CREDENTIALS"] = "HTTP_BASIC"
    scopes: list[str] = Field(
        default_factory=list,
        json_schema_extra={"items": {"type": "string", "pattern": f"^{SCOPE_TOKEN.pattern}$"}},
    )
    # The redirect URIs of the skill's Alexa client too (app-to-app account linking): held to the
    # rules of any client's (lwa/schemas.py), or /ap/oa would redirect a code to them.
    redirect_urls: list[str] = Field(
        default_factory=list, max_length=100, json_schema_extra={"items": REDIRECT_URI_ITEMS}
    )
    domains: list[str] = Field(default_factory=list)
    # Below 10**9 s (~31 years), the bound a token server's own `expires_in` gets: a token's
    # expiry is now + this, and a larger one overflowed the date (a 500 at enable-and-link).
    # Strict, as every integer localexa takes: 3600.0 is refused, which JSON Schema cannot say.
    default_token_expiration_in_seconds: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        lt=10**9,
        description="Seconds, as a JSON integer without a fraction or exponent (`3600`, not `3600.0`).",
    )

    # Kept and shown back only: localexa has no reciprocal grant, companion app or voice linking.
    reciprocal_access_token_url: Annotated[str, Field(json_schema_extra=_HTTP_URL_DOC)] | None = None
    authorization_urls_by_platform: list[PlatformAuthorizationUrl] | None = None
    skip_on_enablement: bool | None = Field(default=None, strict=True)  # 0 and "true" are no booleans
    voice_forward_account_linking: Literal["ENABLED", "DISABLED"] | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        # Sent to the skill's OAuth server space-separated: "" or "a b" would be no scope or two.
        for scope in value:
            if not SCOPE_TOKEN.fullmatch(scope):
                raise ValueError(
                    f"accountLinking.scopes entry {scope!r} is not an OAuth scope (RFC 6749 §3.3)"
                )
        return value

    @field_validator("reciprocal_access_token_url")
    @classmethod
    def _reciprocal_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, "accountLinking.reciprocalAccessTokenUrl")

    @field_validator("redirect_urls")
    @classmethod
    def _redirect_urls(cls, value: list[str]) -> list[str]:
        return [check_redirect_uri(uri, "accountLinking.redirectUrls") for uri in value]

    @field_validator("authorization_url")
    @classmethod
    def _authorization_url(cls, value: str) -> str:
        return check_http_url(value, "accountLinking.authorizationUrl")

    @field_validator("access_token_url")
    @classmethod
    def _access_token_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, "accountLinking.accessTokenUrl")

    @model_validator(mode="after")
    def _code_grant_has_a_token_url(self) -> AccountLinkingSpec:
        # Without one, every enable-and-link was refused as "does not use account linking with
        # authorization codes" for a skill whose type said AUTH_CODE (QA of 2026-12-05).
        if self.type == "AUTH_CODE" and self.access_token_url is None:
            raise ValueError("accountLinking.accessTokenUrl is required when type is AUTH_CODE")
        return self

    def public(self) -> dict[str, object]:
        """The stored form: everything but the client secret. An implicit grant's token scheme only
        when it was given: the default means nothing without a token URL, and SMAPI's GET showed
        `"accessTokenScheme": "HTTP_BASIC"` for a config that never set it (QA of 2026-12-06)."""
        left_out = {"client_secret"}
        if self.type == "IMPLICIT" and "access_token_scheme" not in self.model_fields_set:
            left_out.add("access_token_scheme")
        return self.model_dump(by_alias=True, exclude=left_out, exclude_none=True)


class AdminPlatformAuthorizationUrl(PlatformAuthorizationUrl):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class AdminAccountLinkingSpec(AccountLinkingSpec):
    """The admin skill body's `accountLinking`: the same fields, and one it does not know is a 400
    (SMAPI's `PUT` stays lenient: Amazon's clients may send fields of a newer model)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    authorization_urls_by_platform: list[AdminPlatformAuthorizationUrl] | None = None  # type: ignore[assignment]


class RegionalEndpoint(CamelModel):
    """`regions.<region>` of the admin skill body: that region's endpoint."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    endpoint: SkillEndpoint


class SkillSpec(NullMeansAbsent, CamelModel):
    """The admin API's skill body (admin-api.md): a field it does not know is a 400."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    vendor_id: str = Field(min_length=1, max_length=64)
    name: Name
    stages: list[Stage] = Field(
        default_factory=_default_stages, min_length=1, json_schema_extra={"uniqueItems": True}
    )
    endpoint: SkillEndpoint
    #: Amazon's smart home manifest may give each region its own endpoint
    #: (`apis.smartHome.regions.<region>.endpoint.uri`): directives for a customer of that region
    #: go there, which is how a skill learns which event gateway a customer's events go to.
    #: A region left out uses `endpoint`.
    regions: dict[RegionField, RegionalEndpoint] = Field(default_factory=dict)
    #: Names of Amazon's skill manifest (skills/permissions.py); another is a 400 naming it.
    permissions: list[str] = Field(
        default_factory=list, json_schema_extra={"items": {"type": "string", "enum": list(KNOWN_PERMISSIONS)}}
    )
    account_linking: AdminAccountLinkingSpec | None = None

    @field_validator("regions", mode="before")
    @classmethod
    def _regions_once(cls, value: object) -> object:
        if isinstance(value, dict):
            seen: set[str] = set()
            for key in value:
                upper = key.upper() if isinstance(key, str) else key
                if upper in seen:  # "eu" and "EU": one would silently win
                    raise ValueError(f"region {upper} is given twice")
                seen.add(upper)
        return value

    def regional_endpoints(self) -> dict[str, str] | None:
        """What the skills table keeps: region → endpoint, None for a skill without any."""
        return {region: spec.endpoint for region, spec in sorted(self.regions.items())} or None

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: list[Stage]) -> list[Stage]:
        if len(set(value)) != len(value):
            raise ValueError("stages must not repeat")
        return value

    @field_validator("permissions")
    @classmethod
    def _permissions(cls, value: list[str]) -> list[str]:
        for permission in value:
            problem = unknown_permission_message(permission)
            if problem is not None:  # a misspelt one was stored, and failed later without a word
                raise ValueError(problem)
        return sorted(set(value))


class SkillMessagingCredentials(CamelModel):
    client_id: str
    client_secret: str


class AlexaClientCredentials(CamelModel):
    """A skill's Alexa client for app-to-app account linking ("Alexa Client Id" and "Alexa Client
    Secret" in Amazon's console): the client of the customer tokens that enable and link it."""

    client_id: str
    client_secret: str


class SkillCreated(CamelModel):
    skill_id: str
    skill_messaging_credentials: SkillMessagingCredentials
    # A localexa addition to the contract's answer (admin-api.md allows more fields).
    alexa_client_credentials: AlexaClientCredentials


class RegionalEndpointView(CamelModel):
    endpoint: str


class SkillView(CamelModel):
    skill_id: str
    vendor_id: str
    name: str
    stages: list[str]
    endpoint: str
    #: Each region's own endpoint, as given (`{}`: every region uses `endpoint`).
    regions: dict[str, RegionalEndpointView]
    permissions: list[str]
    account_linking: dict[str, object] | None
    messaging_client_id: str
    #: None for a skill made before localexa gave skills an Alexa client (revision 0006).
    alexa_client_id: str | None
    created_at: str


class SkillDetail(SkillView):
    """`GET /_localexa/skills/{id}`: the skill, with its Alexa client's secret too."""

    #: None for a skill made before localexa gave skills an Alexa client (revision 0006).
    alexa_client_credentials: AlexaClientCredentials | None
