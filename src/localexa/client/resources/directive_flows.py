"""localexa's directive admin calls as flows: send directives to a skill as Alexa, and read what
the skill discovered and said (`/_localexa/directives`, `/_localexa/customers/{userId}/skills/...`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localexa.client._core import Flow, call, parse_model, segment
from localexa.client._pagination import Page, Paged
from localexa.client.resources.admin_flows import admin_request
from localexa.client.types.directives import DirectiveResult, SkillEndpoints, SkillMessage, SkillMessageList


def _skill_path(user_id: str, skill_id: str, tail: str) -> str:
    return f"/customers/{segment(user_id)}/skills/{segment(skill_id)}/{tail}"


def send(
    *,
    user_id: str,
    skill_id: str,
    namespace: str,
    name: str,
    endpoint_id: str | None = None,
    payload: Mapping[str, Any] | None = None,
    cookie: Mapping[str, Any] | None = None,
    correlation_token: str | None = None,
    instance: str | None = None,
) -> Flow[DirectiveResult]:
    """`POST /_localexa/directives`: send `namespace.name` to the customer's endpoint, with the
    linked token in `endpoint.scope`, and get the skill's answer and its verdict."""
    body: dict[str, Any] = {
        "userId": user_id,
        "skillId": skill_id,
        "namespace": namespace,
        "name": name,
        "payload": dict(payload or {}),
    }
    optional = {
        "endpointId": endpoint_id,
        "cookie": dict(cookie) if cookie is not None else None,
        "correlationToken": correlation_token,
        "instance": instance,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    response = yield from call(admin_request("POST", "/directives", json=body))
    return parse_model(response, DirectiveResult)


def endpoints(user_id: str, skill_id: str, *, wait_seconds: float | None = None) -> Flow[SkillEndpoints]:
    """The customer's discovered endpoints with their last known state; `wait_seconds` waits for
    the Discover and AcceptGrant that follow a link."""
    params = {"waitSeconds": wait_seconds} if wait_seconds else None
    response = yield from call(
        admin_request("GET", _skill_path(user_id, skill_id, "endpoints"), params=params)
    )
    return parse_model(response, SkillEndpoints)


def messages(
    user_id: str, skill_id: str, *, max_results: int | None = None, next_token: str | None = None
) -> Paged[SkillMessage]:
    """Directives, answers and events between Alexa and the skill for this customer."""

    def fetch(token: str | None) -> Flow[Page[SkillMessage]]:
        params = {"maxResults": max_results, "nextToken": token}
        response = yield from call(
            admin_request("GET", _skill_path(user_id, skill_id, "messages"), params=params)
        )
        page = parse_model(response, SkillMessageList)
        return Page(items=page.messages, next_token=page.next_token)

    return Paged(fetch, start=next_token)


def discover(user_id: str, skill_id: str) -> Flow[DirectiveResult]:
    """Run `Alexa.Discovery.Discover` again."""
    response = yield from call(admin_request("POST", _skill_path(user_id, skill_id, "discover")))
    return parse_model(response, DirectiveResult)


def accept_grant(user_id: str, skill_id: str) -> Flow[DirectiveResult]:
    """Send `Alexa.Authorization.AcceptGrant` again (a fresh grant code)."""
    response = yield from call(admin_request("POST", _skill_path(user_id, skill_id, "accept-grant")))
    return parse_model(response, DirectiveResult)
