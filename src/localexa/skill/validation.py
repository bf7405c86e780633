"""Is a skill's answer right? Pure checks shared by skills' tests and localexa's server.

`validate_response(directive, response)` checks an answer against the directive it answers
(spec §4): the envelope schema, the expected header names, the echoed `correlationToken` and
`endpointId`, ErrorResponse types and their extra fields, Discover.Response endpoints, and the
values of reported properties. `validate_event(event)` checks an event sent to the gateway
(ChangeReport, AddOrUpdateReport, DeleteReport, asynchronous answers). Neither does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from localexa.skill.directives import ACCEPT_GRANT, DISCOVER, DirectiveError, parse_directive
from localexa.skill.messages import (
    AddOrUpdateReportPayload,
    ChangeReportPayload,
    DeleteReportPayload,
    Directive,
    DiscoverResponsePayload,
    ErrorPayload,
    EventEnvelope,
)
from localexa.skill.messages.errors import ErrorType, accepted_namespaces
from localexa.skill.problems import Problem, from_validation_error
from localexa.skill.property_rules import check_value

# Answers named after the directive's own interface (interface docs); everything else is Alexa.Response.
_SPECIFIC_ANSWERS: dict[tuple[str, str], tuple[str, str]] = {
    DISCOVER: ("Alexa.Discovery", "Discover.Response"),
    ACCEPT_GRANT: ("Alexa.Authorization", "AcceptGrant.Response"),
    ("Alexa", "ReportState"): ("Alexa", "StateReport"),
    ("Alexa.SceneController", "Activate"): ("Alexa.SceneController", "ActivationStarted"),
    ("Alexa.SceneController", "Deactivate"): ("Alexa.SceneController", "DeactivationStarted"),
    ("Alexa.CameraStreamController", "InitializeCameraStreams"): ("Alexa.CameraStreamController", "Response"),
}

_EVENT_PAYLOADS: dict[tuple[str, str], type[BaseModel]] = {
    ("Alexa", "ChangeReport"): ChangeReportPayload,
    ("Alexa.Discovery", "AddOrUpdateReport"): AddOrUpdateReportPayload,
    ("Alexa.Discovery", "DeleteReport"): DeleteReportPayload,
}


@dataclass(frozen=True)
class Verdict:
    """The outcome: `ok` when no problem was found; `name` is `namespace.name` of the answer."""

    problems: tuple[Problem, ...] = ()
    name: str | None = None
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def is_error(self) -> bool:
        return self.error_type is not None


def expected_answer(directive: Directive) -> tuple[str, str]:
    """(namespace, name) of the success answer to this directive."""
    return _SPECIFIC_ANSWERS.get((directive.namespace, directive.name), ("Alexa", "Response"))


def validate_response(directive: Mapping[str, Any], response: Any) -> Verdict:
    """Check `response` as the synchronous answer to `directive` (either may be the envelope)."""
    try:
        wrapped = isinstance(directive, Mapping) and "directive" in directive
        parsed = parse_directive(directive if wrapped else {"directive": directive})
    except DirectiveError as error:
        return Verdict((Problem("directive", f"not a valid directive ({error})"),))
    envelope, problems = _parse_envelope(response)
    if envelope is None:
        return Verdict(tuple(problems))
    header = envelope.event.header
    name = f"{header.namespace}.{header.name}"
    error_type = _error_type(envelope)
    problems += _check_names(parsed, header.namespace, header.name, error_type)
    if parsed.header.correlation_token and header.correlation_token != parsed.header.correlation_token:
        problems.append(Problem("event.header.correlationToken", "does not match the directive's"))
    deferred = (header.namespace, header.name) == ("Alexa", "DeferredResponse")
    if parsed.endpoint_id and not deferred:
        if envelope.event.endpoint is None:
            problems.append(Problem("event.endpoint", f"missing; expected endpointId {parsed.endpoint_id}"))
        elif envelope.event.endpoint.endpoint_id != parsed.endpoint_id:
            problems.append(Problem("event.endpoint.endpointId", "does not match the directive's"))
    answers_accept_grant = (parsed.namespace, parsed.name) == ACCEPT_GRANT
    problems += _check_payload(envelope, error_type, answers_accept_grant=answers_accept_grant)
    if (header.namespace, header.name) == ("Alexa", "StateReport") and not (
        envelope.context and envelope.context.properties
    ):
        problems.append(Problem("context.properties", "a StateReport must report the endpoint's properties"))
    return Verdict(tuple(problems), name, error_type)


def validate_event(event: Any) -> Verdict:
    """Check an event posted to the gateway (`POST /v3/events`, spec §4)."""
    envelope, problems = _parse_envelope(event)
    if envelope is None:
        return Verdict(tuple(problems))
    header = envelope.event.header
    key = (header.namespace, header.name)
    error_type = _error_type(envelope)
    foreign = key[0] != "Alexa" and not key[0].startswith("Alexa.")
    if foreign:
        # Every smart home interface is `Alexa` or `Alexa.*`; the gateway took "Foo.Bar" with 202.
        problems.append(Problem("event.header.namespace", f"{key[0]} is not an Alexa smart home interface"))
    if key[0] != "Alexa.Discovery":
        endpoint = envelope.event.endpoint
        if endpoint is None or endpoint.scope is None:
            problems.append(
                Problem("event.endpoint.scope", "events sent to the gateway must carry the token")
            )
        # Only an Alexa event can be told to be an asynchronous answer: "Foo.ChangeReport" was
        # also told to echo a correlationToken, which would not have made it right.
        if not foreign and key != ("Alexa", "ChangeReport") and not header.correlation_token:
            problems.append(Problem("event.header.correlationToken", "an asynchronous answer must echo it"))
    # AcceptGrant is only ever answered synchronously: ACCEPT_GRANT_FAILED is no event.
    problems += _check_payload(envelope, error_type, answers_accept_grant=False)
    if key in _EVENT_PAYLOADS:
        problems += _check_model(_EVENT_PAYLOADS[key], envelope.event.payload, "event.payload")
    if key == ("Alexa", "ChangeReport"):
        change = envelope.event.payload.get("change")
        changed = change.get("properties") if isinstance(change, Mapping) else None
        problems += _check_values(
            changed if isinstance(changed, list) else [], "event.payload.change.properties"
        )
    return Verdict(tuple(problems), f"{header.namespace}.{header.name}", error_type)


def _parse_envelope(message: Any) -> tuple[EventEnvelope | None, list[Problem]]:
    if not isinstance(message, Mapping):
        return None, [Problem("", "the answer is not a JSON object")]
    try:
        return EventEnvelope.model_validate(message), []
    except ValidationError as error:
        return None, from_validation_error(error, "")


def _error_type(envelope: EventEnvelope) -> str | None:
    if envelope.event.header.name != "ErrorResponse":
        return None
    value = envelope.event.payload.get("type")
    return value if isinstance(value, str) else ""


def _check_names(directive: Directive, namespace: str, name: str, error_type: str | None) -> list[Problem]:
    expected = expected_answer(directive)
    if error_type is not None:
        if (directive.namespace, directive.name) == ACCEPT_GRANT:
            allowed = frozenset({"Alexa.Authorization"})
        elif error_type in ErrorType.__members__:
            allowed = accepted_namespaces(ErrorType(error_type))
        else:
            return []  # the payload check reports the unknown type
        if namespace not in allowed:
            return [
                Problem(
                    "event.header.namespace", f"ErrorResponse of {error_type} belongs in {sorted(allowed)}"
                )
            ]
        return []
    if (namespace, name) == ("Alexa", "DeferredResponse") and directive.endpoint is not None:
        return []
    if (namespace, name) != expected:
        return [
            Problem("event.header", f"expected {'.'.join(expected)} or ErrorResponse, got {namespace}.{name}")
        ]
    return []


def _check_payload(
    envelope: EventEnvelope, error_type: str | None, *, answers_accept_grant: bool
) -> list[Problem]:
    header, payload = envelope.event.header, envelope.event.payload
    problems: list[Problem] = []
    if error_type is not None:
        problems += _check_model(ErrorPayload, payload, "event.payload")
        if header.namespace == "Alexa.Authorization" and error_type != ErrorType.ACCEPT_GRANT_FAILED:
            problems.append(
                Problem("event.payload.type", "an AcceptGrant failure must be ACCEPT_GRANT_FAILED")
            )
        if error_type == ErrorType.ACCEPT_GRANT_FAILED and not answers_accept_grant:
            problems.append(
                Problem(
                    "event.payload.type",
                    "ACCEPT_GRANT_FAILED answers only AcceptGrant; it is not an Alexa.ErrorResponse type",
                )
            )
    elif (header.namespace, header.name) == ("Alexa.Discovery", "Discover.Response"):
        problems += _check_model(DiscoverResponsePayload, payload, "event.payload")
    elif (header.namespace, header.name) == ("Alexa", "DeferredResponse"):
        seconds = payload.get("estimatedDeferralInSeconds")
        if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0):
            problems.append(
                Problem("event.payload.estimatedDeferralInSeconds", "must be a non-negative integer")
            )
    if envelope.context is not None:
        problems += _check_values([p.wire() for p in envelope.context.properties], "context.properties")
    return problems


def _check_model(model: type[BaseModel], value: Any, path: str) -> list[Problem]:
    try:
        model.model_validate(value)
    except ValidationError as error:
        return from_validation_error(error, path)
    return []


def _check_values(properties: list[Any], path: str) -> list[Problem]:
    problems = []
    for index, prop in enumerate(properties):
        if not isinstance(prop, Mapping):
            continue  # the schema check reports it
        namespace, name = prop.get("namespace"), prop.get("name")
        if isinstance(namespace, str) and isinstance(name, str):
            reason = check_value(namespace, name, prop.get("value"))
            if reason:
                problems.append(Problem(f"{path}.{index}.value", f"{namespace}.{name} {reason}"))
    return problems
