"""Wire shapes of the observe-and-steer admin calls (journal, faults, reset, snapshots)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from localexa.server.core.fields import RegionField
from localexa.server.core.null_fields import NullMeansAbsent
from localexa.server.core.openapi import PYTHON_SPACE
from localexa.server.core.openapi_any_of import whole_branches

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _spelled(word: str) -> str:
    """A pattern of `word` (upper-case ASCII) in any case."""
    return "".join(f"[{char}{char.lower()}]" for char in word)


def method_pattern() -> str:
    """What `FaultIn.method` accepts, as a pattern for the document: one of `_METHODS` in any
    ASCII case, or `*` or nothing (any method), with white space around (as `str.strip` takes it).
    Spelled out, since a JSON Schema pattern has no flags."""
    words = "|".join(_spelled(method) for method in sorted(_METHODS))
    space = f"[{PYTHON_SPACE}]*"
    return f"^{space}(?:\\*|{words})?{space}$"


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


#: JSON Schema counts 19.0 as an integer and cannot tell it from 19; localexa takes a number
#: written without a fraction or exponent only, in every body (as the Credential Locker's
#: channelNumber, thread/fields.py), so the document says it in words.
_INTEGER = "A JSON integer written without a fraction or exponent (`500`, not `500.0`)."

#: A fault acts: it fails the call (`status`) or slows it (`delayMs` above 0), or both. Each
#: branch is the whole body (core/openapi_any_of.py).
_ACTS = whole_branches(
    [
        {"title": "FailingFaultIn", "required": ["status"], "properties": {"status": {"type": "integer"}}},
        {"title": "DelayingFaultIn", "required": ["delayMs"], "properties": {"delayMs": {"minimum": 1}}},
    ]
)


class FaultFields(CamelModel):
    """A fault's fields and rules, without `FaultIn`'s null-as-absent: what the console's form
    (`model_validate_strings`: a model `mode="before"` validator makes pydantic stop parsing the
    form's "503" as a number) and a restored row (whose null stays a null) are held to."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", json_schema_extra=_ACTS
    )

    # Numbers are strict: JSON `true` or "60" is not a number (lax pydantic took them as 1 and 60).
    # The console's form validates with `model_validate_strings`, which parses its text.
    method: str | None = Field(
        default=None,
        max_length=16,
        description=(
            "GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS in any case, or `*`, empty or null for "
            "any method; white space around it is ignored."
        ),
        json_schema_extra={"pattern": method_pattern()},
    )
    path: str = Field(
        min_length=1,
        max_length=2048,
        description="The request path the fault matches; starts with `/`.",
        json_schema_extra={"pattern": "^/"},  # the validator below checks it, with its own message
    )
    status: int | None = Field(strict=True, default=None, ge=400, le=599, description=_INTEGER)
    delay_ms: int = Field(strict=True, default=0, ge=0, le=60_000, description=_INTEGER)
    probability: float = Field(strict=True, default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(strict=True, default=None, ge=1, le=1_000_000_000, description=_INTEGER)
    retry_after: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=86_400,
        description=(
            "Seconds for `Retry-After` on a 429 (default 1), a 413 or a 5xx; a fault with another "
            "status sends none (and lists `retryAfter` as null). " + _INTEGER
        ),
    )
    customer: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=(
            "Only calls whose bearer token belongs to this customer: the `userId` of an existing "
            "customer (`amzn1.account.…`); an id no customer has is a 400."
        ),
    )
    skill: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=(
            "Only calls about this skill (its id in the path, or a token of its messaging client): "
            "the `skillId` of an existing skill (`amzn1.ask.skill.…`); an id no skill has is a 400."
        ),
    )
    region: RegionField | None = None
    seed: int | None = Field(strict=True, default=None, ge=-(2**63), le=2**63 - 1, description=_INTEGER)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str | None) -> str | None:
        if value is None or value.strip() in ("", "*"):
            return None
        # ASCII only: `str.upper` also makes "POST" of "poſt" (U+017F), which no client means.
        upper = value.strip().upper() if value.strip().isascii() else ""
        if upper not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(sorted(_METHODS))} or *")
        return upper

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path must start with /")
        return value

    @model_validator(mode="after")
    def _acts(self) -> FaultFields:
        if self.status is None and self.delay_ms == 0:
            raise ValueError("a fault needs a status, a delayMs, or both")
        return self


class FaultIn(NullMeansAbsent, FaultFields):
    """`POST /_localexa/faults`: fail or slow matching calls (README: Observe and steer). A
    defaulted field's `null` is the field left out (core/null_fields.py), since 2026-12-06."""


class FaultCreated(CamelModel):
    fault_id: str


class FaultOut(CamelModel):
    fault_id: str
    method: str | None
    path: str
    status: int | None
    delay_ms: int
    probability: float
    count: int | None
    remaining: int | None
    retry_after: int | None
    customer: str | None
    skill: str | None
    region: str | None
    seed: int | None
    matched: int
    fired: int
    active: bool
    created_at: str


class JournalEntryOut(CamelModel):
    id: int
    time: str
    direction: str
    method: str
    path: str
    query: str | None
    url: str | None
    route: str | None
    status: int | None
    latency_ms: float
    request_id: str | None
    caller: str | None
    customer: str | None
    skill: str | None
    region: str | None
    request_headers: dict[str, Any]
    request_body: str | None
    response_headers: dict[str, Any]
    response_body: str | None
    error: str | None
    fault_id: str | None


class JournalPage(CamelModel):
    entries: list[JournalEntryOut]
    next_cursor: str | None


class Ready(BaseModel):
    """`GET /_localexa/ready`'s 200: the database answered `SELECT 1`."""

    status: Literal["ready"]
    database: Literal["ok"]


class NotReady(BaseModel):
    """`GET /_localexa/ready`'s 503: the database did not answer."""

    status: Literal["unavailable"]
    database: Literal["unreachable"]


class ResetOut(CamelModel):
    reset: bool
    now: str


class RestoreOut(CamelModel):
    restored: dict[str, int]
