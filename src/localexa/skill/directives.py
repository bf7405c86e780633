"""Reading a directive: `parse_directive` checks the envelope, `bearer_token` finds the user's token.

The token sits in three places (seed "Validate and Use Access Tokens in Skill Code", spec §4):
`endpoint.scope.token` for directives aimed at an endpoint, `payload.scope.token` for
`Alexa.Discovery.Discover`, and `payload.grantee.token` for `Alexa.Authorization.AcceptGrant`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from localexa.skill.messages import AcceptGrantPayload, Directive, DirectiveEnvelope, DiscoverPayload
from localexa.skill.problems import Problem, from_validation_error

DISCOVER = ("Alexa.Discovery", "Discover")
ACCEPT_GRANT = ("Alexa.Authorization", "AcceptGrant")

# Directives whose payload has a shape the kit relies on (it reads the token from it).
_PAYLOADS: dict[tuple[str, str], type[BaseModel]] = {
    DISCOVER: DiscoverPayload,
    ACCEPT_GRANT: AcceptGrantPayload,
}


class DirectiveError(ValueError):
    """The event is not a valid smart home v3 directive. Answer it with INVALID_DIRECTIVE."""

    def __init__(self, problems: list[Problem], raw: Mapping[str, Any] | None) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.raw = raw  # the inner directive dict as received, to echo correlationToken and endpoint


def inner_directive(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`event["directive"]` when it is an object, else None."""
    inner = event.get("directive") if isinstance(event, Mapping) else None
    return inner if isinstance(inner, Mapping) else None


def parse_directive(event: Mapping[str, Any]) -> Directive:
    """Validate `{"directive": {header, endpoint?, payload}}` and return the directive model.

    Raises DirectiveError listing every problem found.
    """
    raw = inner_directive(event)
    try:
        directive = DirectiveEnvelope.model_validate(event).directive
    except ValidationError as error:
        raise DirectiveError(from_validation_error(error, ""), raw) from None
    payload_model = _PAYLOADS.get((directive.namespace, directive.name))
    if payload_model is not None:
        try:
            payload_model.model_validate(directive.payload)
        except ValidationError as error:
            raise DirectiveError(from_validation_error(error, "directive.payload"), raw) from None
    elif directive.endpoint is None:
        problem = Problem("directive.endpoint", f"{directive.namespace}.{directive.name} needs an endpoint")
        raise DirectiveError([problem], raw)
    return directive


def bearer_token(directive: Directive | Mapping[str, Any]) -> str | None:
    """The user's access token carried by the directive, or None when it carries none.

    Takes the parsed directive, or the event as received (parsed first: DirectiveError)."""
    if not isinstance(directive, Directive):
        event = (
            directive
            if isinstance(directive, Mapping) and "directive" in directive
            else {"directive": directive}
        )
        directive = parse_directive(event)
    key = (directive.namespace, directive.name)
    if key == DISCOVER:
        return _token_at(directive.payload, "scope")
    if key == ACCEPT_GRANT:
        return _token_at(directive.payload, "grantee")
    return directive.endpoint.scope.token if directive.endpoint else None


def _token_at(payload: Mapping[str, Any], key: str) -> str | None:
    scope = payload.get(key)
    token = scope.get("token") if isinstance(scope, Mapping) else None
    return token if isinstance(token, str) and token else None
