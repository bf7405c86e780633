"""Wire shapes of the admin API (../shared/spec/admin-api.md): camelCase JSON."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from localexa.server.core.fields import Name, RegionField
from localexa.server.core.null_fields import NullMeansAbsent
from localexa.server.core.openapi import PYTHON_SPACE
from localexa.server.lwa.schemas import REDIRECT_URI_ITEMS, check_redirect_uri

#: One @, a dot after it, no white space. White space is Python's (`str.isspace`), spelled out so
#: the document's pattern means the same to every reader (core/openapi.py PYTHON_SPACE): written
#: `\s`, it let U+00A0 or U+001C through the document and the validator refused them.
_EMAIL = re.compile(rf"^[^@{PYTHON_SPACE}]+@[^@{PYTHON_SPACE}]+\.[^@{PYTHON_SPACE}]+$")
EMAIL_MAX_LENGTH = 320
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class AdminBody(NullMeansAbsent, CamelModel):
    """A body the admin API reads: a field it does not know is a 400 naming it, as for faults and
    directives (a misspelt `permisions` or `Region` was dropped without a word: an NA customer,
    a skill without permissions)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CustomerIn(AdminBody):
    name: Name
    # The validator below checks it (and lowercases); the pattern only documents the rule.
    email: str = Field(
        min_length=3,
        max_length=EMAIL_MAX_LENGTH,
        description=(
            "An e-mail address: one `@`, a `.` after it, no white space (any Unicode space). "
            "Stored in lower case, which must fit 320 characters too (İ lowers to two); a second "
            "customer with the same address is a 409."
        ),
        json_schema_extra={"pattern": _EMAIL.pattern},
    )
    password: str = Field(min_length=1, max_length=1024)
    region: RegionField = "NA"
    postal_code: str | None = Field(default=None, max_length=32)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value):
            raise ValueError("email is not an email address")
        lower = value.lower()
        # Stored in lower case, in at most 320 characters; "İ" lowers to two ("i̇"): an address of
        # 200 of them fitted maxLength and was a 500 on PostgreSQL (varchar(320)), a 201 on SQLite.
        if len(lower) > EMAIL_MAX_LENGTH:
            raise ValueError(f"email is over {EMAIL_MAX_LENGTH} characters in lower case")
        return lower


class CustomerOut(CamelModel):
    user_id: str
    name: str
    email: str
    region: str
    # A localexa addition to the contract's answer: present only when the customer has one.
    postal_code: str | None = None


class VendorIn(AdminBody):
    name: Name
    owner_user_id: str = Field(min_length=1, max_length=128)


class VendorOut(CamelModel):
    vendor_id: str
    name: str | None = None
    owner_user_id: str | None = None


class LwaClientIn(AdminBody):
    name: Name
    redirect_uris: list[str] = Field(
        default_factory=list,
        max_length=100,
        json_schema_extra={"items": REDIRECT_URI_ITEMS},
    )

    @field_validator("redirect_uris")
    @classmethod
    def _uris(cls, value: list[str]) -> list[str]:
        return [check_redirect_uri(uri, "redirectUris") for uri in value]


class LwaClientOut(CamelModel):
    client_id: str
    client_secret: str


class LwaClientView(CamelModel):
    client_id: str
    name: str
    redirect_uris: list[str]
    skill_id: str | None


class TokensIn(AdminBody):
    client_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(
        min_length=1,
        max_length=50,
        json_schema_extra={"items": {"type": "string", "pattern": _SCOPE.pattern}},
    )

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        for scope in value:
            if not _SCOPE.fullmatch(scope):
                raise ValueError(f"scope {scope!r} is not a scope token")
        return value


class TokensOut(BaseModel):
    """`POST /_localexa/tokens`' 201 (admin-api.md): the pair, as LWA's token endpoint sends it
    (lwa/tokens.py `IssuedTokens.as_response`), in its field order, so the bytes stay LWA's. The
    document said only "an object" until 2026-12-06."""

    access_token: str = Field(examples=["Atza|IwEB…"])
    token_type: Literal["bearer"]
    expires_in: int = Field(examples=[3600], description="Seconds until the access token expires.")
    refresh_token: str = Field(examples=["Atzr|IwEB…"])


class ClockIn(AdminBody):
    # Strict: JSON `false` or "60" is not a number (lax pydantic took them as 0 and 60).
    # A number, not an integer: the contract says N and the client and the testing kit send a
    # float (`advance_clock(seconds: float)`), so `60.0` and `0.5` stay accepted.
    # Finite: NaN and Infinity were refused as "must be ≤ 315360000", which misled.
    advance_seconds: float = Field(strict=True, ge=0, le=10 * 365 * 86400, allow_inf_nan=False)


class ClockOut(BaseModel):
    now: str
