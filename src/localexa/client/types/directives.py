"""Wire models of localexa's directive admin calls: talk to a skill as Alexa does (spec §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localexa.client.types._base import WireModel

__all__ = [
    "DirectiveResult",
    "DiscoveredEndpoint",
    "FollowUp",
    "InvocationError",
    "SkillEndpoints",
    "SkillMessage",
    "SkillMessageList",
    "Verdict",
    "VerdictProblem",
]


class VerdictProblem(WireModel):
    path: str
    message: str


class Verdict(WireModel):
    """Whether the skill's answer is a valid smart home message, and which one it is."""

    valid: bool
    problems: list[VerdictProblem] = []
    #: `namespace.name` of the answer.
    name: str | None = None
    #: The `Alexa.ErrorResponse` type when the answer is one.
    error_type: str | None = None


class InvocationError(WireModel):
    """Why the skill gave no usable answer (TIMEOUT, UNREACHABLE, HANDLER_ERROR, ...)."""

    type: str
    message: str


class DirectiveResult(WireModel):
    """`POST /_localexa/directives` (and discover / accept-grant): the directive, answer and verdict."""

    exchange_id: str
    directive: dict[str, Any]
    response: dict[str, Any] | None = None
    verdict: Verdict
    latency_ms: float | None = None
    error: InvocationError | None = None
    attempts: int = 1
    notes: list[str] = []


class FollowUp(WireModel):
    """How Discover or AcceptGrant went after the account was linked."""

    status: str
    message: str | None = None
    at: datetime | None = None


class DiscoveredEndpoint(WireModel):
    endpoint_id: str
    friendly_name: str | None = None
    description: str | None = None
    manufacturer_name: str | None = None
    display_categories: list[str] = []
    capabilities: list[dict[str, Any]] = []
    cookie: dict[str, Any] = {}
    #: Last known properties, keyed `namespace.name` (`namespace:instance.name` with an instance).
    state: dict[str, Any] = {}
    discovered_at: datetime | None = None
    state_updated_at: datetime | None = None


class SkillEndpoints(WireModel):
    """`GET /_localexa/customers/{userId}/skills/{skillId}/endpoints`."""

    user_id: str
    skill_id: str
    discovery: FollowUp | None = None
    accept_grant: FollowUp | None = None
    endpoints: list[DiscoveredEndpoint] = []


class SkillMessage(WireModel):
    """A directive, answer or event between Alexa and the skill."""

    id: int
    at: datetime | None = None
    direction: str | None = None
    exchange_id: str | None = None
    namespace: str | None = None
    name: str | None = None
    endpoint_id: str | None = None
    body: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    latency_ms: float | None = None


class SkillMessageList(WireModel):
    messages: list[SkillMessage] = []
    next_token: str | None = None
