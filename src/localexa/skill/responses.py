"""Answers to directives (Alexa.Response docs, spec §4): Response, StateReport, DeferredResponse,
Discover.Response and AcceptGrant.Response.

Every answer carries a fresh `messageId`, `payloadVersion` "3" (an interface's own ErrorResponse
its interface's version, `payload_version`), the directive's
`correlationToken` and (for endpoint directives) its `endpointId`. `scope_token` adds
`endpoint.scope`, which asynchronous answers sent to the event gateway need. A directive that is
no object at all (a list, a string) raises DirectiveError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from localexa.skill.clock import new_message_id
from localexa.skill.directives import DirectiveError
from localexa.skill.messages import Directive
from localexa.skill.messages.envelope import ENDPOINT_ID_PATTERN, payload_version
from localexa.skill.problems import Problem

DirectiveLike = Directive | Mapping[str, Any] | None
Message = dict[str, Any]
_ENDPOINT_ID = re.compile(ENDPOINT_ID_PATTERN)


def origin(directive: DirectiveLike) -> tuple[str | None, str | None]:
    """(correlationToken, endpointId) of a directive model, or of a raw dict as best we can read it."""
    if directive is None:
        return None, None
    if isinstance(directive, Directive):
        return directive.header.correlation_token, directive.endpoint_id
    if not isinstance(directive, Mapping):
        problem = Problem("directive", f"expected a directive object, got {type(directive).__name__}")
        raise DirectiveError([problem], None)
    inner = directive.get("directive", directive)
    header = inner.get("header") if isinstance(inner, Mapping) else None
    endpoint = inner.get("endpoint") if isinstance(inner, Mapping) else None
    token = header.get("correlationToken") if isinstance(header, Mapping) else None
    endpoint_id = endpoint.get("endpointId") if isinstance(endpoint, Mapping) else None
    return (
        token if isinstance(token, str) and token else None,
        # Echoed only when valid: an endpointId that breaks the schema would break the answer too.
        endpoint_id if isinstance(endpoint_id, str) and _ENDPOINT_ID.fullmatch(endpoint_id) else None,
    )


def event_header(namespace: str, name: str, correlation_token: str | None = None) -> dict[str, Any]:
    header = {
        "namespace": namespace,
        "name": name,
        "payloadVersion": payload_version(namespace, name),
        "messageId": new_message_id(),
    }
    if correlation_token:
        header["correlationToken"] = correlation_token
    return header


def event_endpoint(endpoint_id: str, scope_token: str | None = None) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"endpointId": endpoint_id}
    if scope_token:
        endpoint["scope"] = {"type": "BearerToken", "token": scope_token}
    return endpoint


def reply(
    directive: DirectiveLike,
    namespace: str,
    name: str,
    payload: Mapping[str, Any] | None = None,
    *,
    properties: Iterable[Mapping[str, Any]] | None = None,
    scope_token: str | None = None,
) -> Message:
    """The generic answer the named builders use; `properties` become `context.properties`."""
    correlation_token, endpoint_id = origin(directive)
    event: dict[str, Any] = {"header": event_header(namespace, name, correlation_token)}
    if endpoint_id:
        event["endpoint"] = event_endpoint(endpoint_id, scope_token)
    event["payload"] = dict(payload or {})
    message: Message = {"event": event}
    if properties is not None:
        message["context"] = {"properties": [dict(p) for p in properties]}
    return message


def response(
    directive: DirectiveLike,
    properties: Iterable[Mapping[str, Any]] | None = None,
    *,
    payload: Mapping[str, Any] | None = None,
    scope_token: str | None = None,
) -> Message:
    """`Alexa.Response`: the directive succeeded; `properties` report the endpoint's new state."""
    props = list(properties) if properties is not None else None
    return reply(directive, "Alexa", "Response", payload, properties=props or None, scope_token=scope_token)


def state_report(
    directive: DirectiveLike, properties: Iterable[Mapping[str, Any]], *, scope_token: str | None = None
) -> Message:
    """`Alexa.StateReport`: the answer to `Alexa.ReportState`, every retrievable property."""
    return reply(directive, "Alexa", "StateReport", properties=list(properties), scope_token=scope_token)


def deferred_response(directive: DirectiveLike, estimated_deferral_seconds: int | None = None) -> Message:
    """`Alexa.DeferredResponse`: the real answer will follow through the event gateway.
    `estimated_deferral_seconds` is an integer of 0 or more (ValueError otherwise, as
    `validate_response` would refuse the answer)."""
    if estimated_deferral_seconds is not None and (
        type(estimated_deferral_seconds) is not int or estimated_deferral_seconds < 0
    ):
        raise ValueError(
            f"estimatedDeferralInSeconds must be an integer of 0 or more, not {estimated_deferral_seconds!r}"
        )
    correlation_token, _ = origin(directive)
    payload = (
        {}
        if estimated_deferral_seconds is None
        else {"estimatedDeferralInSeconds": estimated_deferral_seconds}
    )
    return {
        "event": {"header": event_header("Alexa", "DeferredResponse", correlation_token), "payload": payload}
    }


def discover_response(directive: DirectiveLike, endpoints: Iterable[Mapping[str, Any]]) -> Message:
    """`Alexa.Discovery.Discover.Response` listing the user's endpoints."""
    return reply(
        directive, "Alexa.Discovery", "Discover.Response", {"endpoints": [dict(e) for e in endpoints]}
    )


def accept_grant_response(directive: DirectiveLike) -> Message:
    """`Alexa.Authorization.AcceptGrant.Response`: the grant code was exchanged and stored."""
    return reply(directive, "Alexa.Authorization", "AcceptGrant.Response")
