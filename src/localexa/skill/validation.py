"""Is a skill's answer right? Pure checks shared by skills' tests and localexa's server.

`validate_response(directive, response)` checks an answer against the directive it answers
(spec §4): the envelope schema, the expected header names, the echoed `correlationToken` and
`endpointId`, ErrorResponse types and their extra fields, Discover.Response endpoints, and the
values of reported properties. `validate_event(event)` checks an event sent to the gateway: only
the events the gateway takes (`GATEWAY_EVENTS`, and ErrorResponse) pass. Both refuse a
`timeOfSample` further ahead of the receiver's clock (`now`) than `MAX_SAMPLE_AHEAD`. Neither
does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from localexa.skill.clock import Now, timestamp, utc_now
from localexa.skill.directives import ACCEPT_GRANT, DISCOVER, DirectiveError, parse_directive
from localexa.skill.messages import (
    AddOrUpdateReportPayload,
    ChangeReportPayload,
    DeleteReportPayload,
    Directive,
    DiscoverResponsePayload,
    DoorbellPressPayload,
    ErrorPayload,
    EventEnvelope,
    SceneStartedPayload,
    WakeUpPayload,
)
from localexa.skill.messages.envelope import UtcTimestamp
from localexa.skill.messages.errors import ErrorType, misplaced
from localexa.skill.problems import Problem, from_validation_error
from localexa.skill.property_rules import check_property

WAKE_UP = ("Alexa.WakeOnLANController", "WakeUp")

# Answers named after the directive's own interface (interface docs); everything else is Alexa.Response.
_SPECIFIC_ANSWERS: dict[tuple[str, str], tuple[str, str]] = {
    DISCOVER: ("Alexa.Discovery", "Discover.Response"),
    ACCEPT_GRANT: ("Alexa.Authorization", "AcceptGrant.Response"),
    ("Alexa", "ReportState"): ("Alexa", "StateReport"),
    ("Alexa.SceneController", "Activate"): ("Alexa.SceneController", "ActivationStarted"),
    ("Alexa.SceneController", "Deactivate"): ("Alexa.SceneController", "DeactivationStarted"),
    ("Alexa.CameraStreamController", "InitializeCameraStreams"): ("Alexa.CameraStreamController", "Response"),
}

# The reports a skill sends on its own (docs "state reporting", "discovery"), with their payloads.
_EVENT_PAYLOADS: dict[tuple[str, str], type[BaseModel]] = {
    ("Alexa", "ChangeReport"): ChangeReportPayload,
    ("Alexa.Discovery", "AddOrUpdateReport"): AddOrUpdateReportPayload,
    ("Alexa.Discovery", "DeleteReport"): DeleteReportPayload,
    ("Alexa.DoorbellEventSource", "DoorbellPress"): DoorbellPressPayload,
    # After a DeferredResponse to TurnOn: Alexa wakes the endpoint over the LAN (docs:
    # Alexa.WakeOnLANController); it echoes TurnOn's correlationToken, as an answer does.
    WAKE_UP: WakeUpPayload,
}
_SCENE_ANSWERS = (
    ("Alexa.SceneController", "ActivationStarted"),
    ("Alexa.SceneController", "DeactivationStarted"),
)

# Answers a skill may send later, through the gateway, instead of in line (docs "asynchronous
# responses"): Alexa.Response, Alexa.StateReport and the scene answers. The gateway used to take any
# name of an Alexa namespace ("Alexa.Bogus", a Discover.Response) with 202, and applied its
# context.properties to the endpoint.
ASYNC_ANSWERS: frozenset[tuple[str, str]] = frozenset(
    {
        ("Alexa", "Response"),
        ("Alexa", "StateReport"),
        ("Alexa.SceneController", "ActivationStarted"),
        ("Alexa.SceneController", "DeactivationStarted"),
    }
)

# Answers that exist only as the reply to the directive itself: the gateway's refusal says so.
_SYNCHRONOUS_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        ("Alexa.Discovery", "Discover.Response"),
        ("Alexa.Authorization", "AcceptGrant.Response"),
        ("Alexa", "DeferredResponse"),  # announces that the real answer follows through the gateway
    }
)

#: Every event `POST /v3/events` takes besides an ErrorResponse (in `Alexa` or an interface's own
#: ErrorResponse namespace, errors.py; `misplaced` says where a misplaced one belongs).
GATEWAY_EVENTS: frozenset[tuple[str, str]] = frozenset(_EVENT_PAYLOADS) | ASYNC_ANSWERS


# A device cloud's clock and Alexa's differ by a few seconds, sometimes minutes (a drifting
# device, NTP not yet synced): five minutes ahead still passes. Anything further is no sample of
# the present; accepted, it would also outrank every later report of the property for good,
# since an older `timeOfSample` never overwrites a newer one (server/directives/endpoints.py).
MAX_SAMPLE_AHEAD = timedelta(minutes=5)

_SAMPLE_TIME: TypeAdapter[datetime] = TypeAdapter(UtcTimestamp)


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
    def valid(self) -> bool:
        """`ok` under the name a directive result's verdict uses (`client.admin.directives.send`),
        so code that checks either kind of verdict reads the same."""
        return self.ok

    @property
    def is_error(self) -> bool:
        return self.error_type is not None


def expected_answer(directive: Directive) -> tuple[str, str]:
    """(namespace, name) of the success answer to this directive."""
    return _SPECIFIC_ANSWERS.get((directive.namespace, directive.name), ("Alexa", "Response"))


def validate_response(
    directive: Directive | Mapping[str, Any], response: Any, *, now: Now = utc_now
) -> Verdict:
    """Check `response` as the synchronous answer to `directive` (either may be the envelope; the
    directive may be the model `parse_directive` returned, as the builders take it).

    `now` is the receiver's clock: a server that moves its clock passes its own."""
    if isinstance(directive, Directive):
        parsed = directive
    else:
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
    problems += _check_payload(envelope, error_type, answers_accept_grant=answers_accept_grant, now=now())
    problems += _check_state_report(envelope)
    return Verdict(tuple(problems), name, error_type)


def validate_event(event: Any, *, now: Now = utc_now) -> Verdict:
    """Check an event posted to the gateway (`POST /v3/events`, spec §4).

    `now` is the gateway's clock: localexa's server passes its own (it can travel in time)."""
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
    # An ErrorResponse in any Alexa namespace is an answer: one in a namespace without ErrorResponse
    # of its own (Alexa.PowerController) is told where it belongs (`misplaced`).
    is_answer = key in ASYNC_ANSWERS or (error_type is not None and not foreign)
    if not foreign and not is_answer and key not in _EVENT_PAYLOADS:
        problems.append(Problem("event.header", _not_a_gateway_event(header.namespace, header.name)))
    if key[0] != "Alexa.Discovery":
        endpoint = envelope.event.endpoint
        if endpoint is None or endpoint.scope is None:
            problems.append(
                Problem("event.endpoint.scope", "events sent to the gateway must carry the token")
            )
        # Only an answer the gateway takes is told to echo a correlationToken: "Foo.ChangeReport"
        # or "Alexa.Bogus" would not have been right with one either.
        if (is_answer or key == WAKE_UP) and not header.correlation_token:
            problems.append(Problem("event.header.correlationToken", _echo_missing(key)))
    if error_type is not None and error_type in ErrorType.__members__ and not foreign:
        wrong = misplaced(ErrorType(error_type), key[0])
        if wrong:
            problems.append(Problem("event.header.namespace", wrong))
    moment = now()
    # AcceptGrant is only ever answered synchronously: ACCEPT_GRANT_FAILED is no event.
    problems += _check_payload(envelope, error_type, answers_accept_grant=False, now=moment)
    if key in _EVENT_PAYLOADS:
        problems += _check_model(_EVENT_PAYLOADS[key], envelope.event.payload, "event.payload")
    if key == ("Alexa", "ChangeReport"):
        change = envelope.event.payload.get("change")
        changed = change.get("properties") if isinstance(change, Mapping) else None
        changed_list = changed if isinstance(changed, list) else []
        path = "event.payload.change.properties"
        problems += _check_values(changed_list, path)
        problems += _check_sample_times(changed_list, path, moment)
    problems += _check_state_report(envelope)
    return Verdict(tuple(problems), f"{header.namespace}.{header.name}", error_type)


def _echo_missing(key: tuple[str, str]) -> str:
    """A WakeUp is no answer, but wakes the endpoint for a TurnOn (docs: Alexa.WakeOnLANController):
    it was told "an asynchronous answer must echo it" (until 2026-12-06)."""
    if key == WAKE_UP:
        return "a WakeUp must carry the correlationToken of the TurnOn it wakes the endpoint for"
    return "an asynchronous answer must echo it"


def _not_a_gateway_event(namespace: str, name: str) -> str:
    accepted = ", ".join(sorted(f"{ns}.{n}" for ns, n in GATEWAY_EVENTS))
    reason = f"{namespace}.{name} is not an event the gateway accepts"
    if (namespace, name) in _SYNCHRONOUS_ONLY:
        reason += " (it is only ever a synchronous answer to a directive)"
    return f"{reason}; it takes {accepted} and ErrorResponse"


def _check_state_report(envelope: EventEnvelope) -> list[Problem]:
    """A StateReport, synchronous or not, reports the endpoint's properties (docs: ReportState)."""
    header = envelope.event.header
    if (header.namespace, header.name) == ("Alexa", "StateReport") and not (
        envelope.context and envelope.context.properties
    ):
        return [Problem("context.properties", "a StateReport must report the endpoint's properties")]
    return []


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
            wrong = _accept_grant_namespace(namespace, error_type)
        elif error_type in ErrorType.__members__:
            wrong = misplaced(ErrorType(error_type), namespace)
        else:
            return []  # the payload check reports the unknown type
        return [Problem("event.header.namespace", wrong)] if wrong else []
    if (namespace, name) == ("Alexa", "DeferredResponse") and directive.endpoint is not None:
        return []
    if (namespace, name) != expected:
        return [
            Problem("event.header", f"expected {'.'.join(expected)} or ErrorResponse, got {namespace}.{name}")
        ]
    return []


def _accept_grant_namespace(namespace: str, error_type: str) -> str | None:
    """What is wrong with the namespace of an AcceptGrant failure, and what is right, in one
    problem: for another type it said "ErrorResponse of INTERNAL_ERROR belongs in namespace
    Alexa.Authorization", as if the type were right there, and the type's own problem showed only
    once the namespace was right (QA of 2026-12-07)."""
    if namespace == "Alexa.Authorization":
        return None  # the payload check says whether the type is ACCEPT_GRANT_FAILED
    if error_type == ErrorType.ACCEPT_GRANT_FAILED:
        return f"ErrorResponse of {error_type} belongs in namespace Alexa.Authorization"
    return (
        "an AcceptGrant failure is an ErrorResponse of ACCEPT_GRANT_FAILED in namespace"
        f" Alexa.Authorization, not of {error_type} in namespace {namespace}"
    )


def _check_payload(
    envelope: EventEnvelope, error_type: str | None, *, answers_accept_grant: bool, now: datetime
) -> list[Problem]:
    header, payload = envelope.event.header, envelope.event.payload
    problems: list[Problem] = []
    if error_type is not None:
        problems += _check_model(ErrorPayload, payload, "event.payload", {"namespace": header.namespace})
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
    elif (header.namespace, header.name) in _SCENE_ANSWERS:
        problems += _check_model(SceneStartedPayload, payload, "event.payload")
    elif (header.namespace, header.name) == ("Alexa", "DeferredResponse"):
        seconds = payload.get("estimatedDeferralInSeconds")
        if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0):
            problems.append(
                Problem("event.payload.estimatedDeferralInSeconds", "must be a non-negative integer")
            )
    if envelope.context is not None:
        reported = [p.wire() for p in envelope.context.properties]
        problems += _check_values(reported, "context.properties")
        problems += _check_sample_times(reported, "context.properties", now)
    return problems


def _check_model(
    model: type[BaseModel], value: Any, path: str, context: dict[str, Any] | None = None
) -> list[Problem]:
    try:
        model.model_validate(value, context=context)
    except ValidationError as error:
        return from_validation_error(error, path)
    return []


def _check_values(properties: list[Any], path: str) -> list[Problem]:
    problems = []
    for index, prop in enumerate(properties):
        if not isinstance(prop, Mapping):
            continue  # the schema check reports it
        found = check_property(prop)
        if found:
            problems.append(Problem(f"{path}.{index}.{found[0]}", found[1]))
    return problems


def _check_sample_times(properties: list[Any], path: str, now: datetime) -> list[Problem]:
    """A `timeOfSample` more than MAX_SAMPLE_AHEAD ahead of `now` is no sample of the present."""
    if now.tzinfo is None:  # a naive clock reading is taken as UTC, as Alexa's times are
        now = now.replace(tzinfo=UTC)
    problems = []
    for index, prop in enumerate(properties):
        if not isinstance(prop, Mapping):
            continue  # the schema check reports it
        raw = prop.get("timeOfSample")
        try:
            sampled = _SAMPLE_TIME.validate_python(raw)
        except ValidationError:
            continue  # the schema check reports it
        ahead = sampled - now
        if ahead > MAX_SAMPLE_AHEAD:
            problems.append(
                Problem(
                    f"{path}.{index}.timeOfSample",
                    f"{_property_name(prop)} was sampled at {raw}, {_how_long(ahead)} ahead of Alexa's "
                    f"clock ({timestamp(now)}); at most {_how_long(MAX_SAMPLE_AHEAD)} of clock skew "
                    "is allowed",
                )
            )
    return problems


def _property_name(prop: Mapping[str, Any]) -> str:
    namespace, name, instance = prop.get("namespace"), prop.get("name"), prop.get("instance")
    return f"{namespace}:{instance}.{name}" if instance else f"{namespace}.{name}"


def _how_long(span: timedelta) -> str:
    """`3 days 4 h 20 s`: the span to the second, its zero parts left out; a span of years in
    years and days (`about 73 years (26603 days)`), where hours no longer tell anything."""
    seconds = span // timedelta(seconds=1)  # exact: total_seconds() rounds spans of millennia up
    days, rest = divmod(seconds, 86400)
    if days >= 365:
        return f"about {days // 365} years ({days} days)"
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "days" if days != 1 else "day"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value) or "0 s"
