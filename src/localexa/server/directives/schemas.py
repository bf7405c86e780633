"""Wire shapes of the directives admin API (camelCase, admin-api.md conventions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from localexa.server.core.null_fields import NullMeansAbsent
from localexa.server.core.openapi_any_of import AsComponent, whole_branches
from localexa.server.directives.invoker import MAX_ANSWER_DEPTH, too_deep
from localexa.server.observe.redaction import redact_json
from localexa.skill.directives import ACCEPT_GRANT, DISCOVER
from localexa.skill.messages import ENDPOINT_ID_PATTERN


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _without_endpoint(title: str, namespace: str, name: str) -> dict[str, Any]:
    return {
        "title": title,
        "required": ["namespace", "name"],
        "properties": {"namespace": {"const": namespace}, "name": {"const": name}},
    }


#: Every directive names its endpoint but Discover and AcceptGrant, which go to the skill as a
#: whole (directives/service.py refuses the others without one): said in the document too, each
#: branch the whole body (core/openapi_any_of.py).
_NAMES_ITS_ENDPOINT = whole_branches(
    [
        {
            "title": "EndpointDirectiveIn",
            "required": ["endpointId"],
            "properties": {"endpointId": {"type": "string"}},
        },
        _without_endpoint("DiscoverDirectiveIn", *DISCOVER),
        _without_endpoint("AcceptGrantDirectiveIn", *ACCEPT_GRANT),
    ]
)


#: Components, not written out in each branch (core/openapi_any_of.py: a generator dropped them).
DirectivePayload = Annotated[dict[str, Any], AsComponent("DirectivePayload")]
DirectiveCookie = Annotated[dict[str, Any], AsComponent("DirectiveCookie")]


class DirectiveIn(NullMeansAbsent, CamelModel):
    """`POST /_localexa/directives`: any directive to one of a customer's endpoints."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", json_schema_extra=_NAMES_ITS_ENDPOINT
    )

    user_id: str = Field(min_length=1, max_length=128)
    skill_id: str = Field(min_length=1, max_length=255)
    namespace: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    # The v3 envelope's rule (spec §4), so localexa never sends a directive it would itself refuse.
    # Kept as given, also one the journal's rules would read as a secret field (`lamp?code=1`,
    # directives/scrub.py): refused until the night of 2026-12-06, as it was kept redacted.
    endpoint_id: str | None = Field(default=None, min_length=1, max_length=256, pattern=ENDPOINT_ID_PATTERN)
    payload: DirectivePayload = Field(default_factory=dict)
    payload_version: Literal["3"] = "3"
    cookie: DirectiveCookie | None = None
    correlation_token: str | None = Field(default=None, min_length=1, max_length=4096)
    instance: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("payload", "cookie")
    @classmethod
    def _not_too_deep(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Refused before anything is sent: a payload ~300 deep went to the skill, then its
        `DirectiveOut` could not be serialized (a 500 saying "Retry", for a directive delivered)."""
        if value is not None and too_deep(value):
            raise ValueError(f"nests objects and arrays more than {MAX_ANSWER_DEPTH} levels deep")
        return value

    @field_validator("correlation_token")
    @classmethod
    def _kept_as_given(cls, value: str | None) -> str | None:
        """Refused when localexa would keep it redacted (an `Atza|…`-shaped value, say): the
        directive and the skill's answers are kept and shown redacted (observe/redaction.py), so an
        event the skill posts before its DeferredResponse never joined the directive, and a later
        answer was judged against `Atza|[redacted]` (QA of 2026-12-06). localexa's own tokens are
        base64, which nothing redacts. The value is not echoed: it may be a customer's token."""
        _refuse_if_redacted(value, "Choose another value, or leave it out for a new one.")
        return value


def _refuse_if_redacted(value: str | None, advice: str) -> None:
    """ValueError (a 400 naming the field) when localexa would keep `value` other than as given,
    saying what it would be kept as; the value itself is not echoed."""
    if value is None:
        return
    kept = redact_json(value)
    if kept != value:
        raise ValueError(
            f"would be kept and shown as {kept!r}: localexa hides LWA tokens (`Atza|…`, "
            "`Atzr|…`, `Atc|…`) and secret fields wherever it keeps or shows a message, so the "
            f"skill's answer could not be matched to this directive. {advice}"
        )


class Problem(CamelModel):
    path: str
    message: str


class VerdictOut(CamelModel):
    valid: bool
    problems: list[Problem]
    #: `namespace.name` of the answer, and the ErrorResponse type when it is one.
    name: str | None = None
    error_type: str | None = None


class InvocationErrorOut(CamelModel):
    type: str
    message: str


class DirectiveOut(CamelModel):
    exchange_id: str
    directive: dict[str, Any]
    response: dict[str, Any] | None
    verdict: VerdictOut
    latency_ms: float
    #: Set when the skill gave no usable answer (TIMEOUT, UNREACHABLE, HANDLER_ERROR, …).
    error: InvocationErrorOut | None = None
    attempts: int
    notes: list[str]


class FollowUp(CamelModel):
    status: str
    message: str | None = None
    at: str | None = None


class EndpointOut(CamelModel):
    endpoint_id: str
    friendly_name: str
    description: str | None
    manufacturer_name: str | None
    display_categories: list[str]
    capabilities: list[dict[str, Any]]
    cookie: dict[str, Any]
    #: Last known properties, keyed `namespace.name` (`namespace:instance.name` with an instance).
    state: dict[str, Any]
    discovered_at: str
    state_updated_at: str | None


class EndpointsOut(CamelModel):
    user_id: str
    skill_id: str
    discovery: FollowUp | None
    accept_grant: FollowUp | None
    endpoints: list[EndpointOut]


class MessageOut(CamelModel):
    id: int
    at: str
    direction: str
    exchange_id: str
    namespace: str | None
    name: str | None
    endpoint_id: str | None
    body: dict[str, Any] | None
    verdict: dict[str, Any] | None
    error: dict[str, Any] | None
    latency_ms: float | None


class MessagesOut(CamelModel):
    messages: list[MessageOut]
    next_token: str | None = None
