"""`SkillHandler`: route directives to your functions, with the token checked first.

    skill = SkillHandler(validator)

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message: ...

    handler = skill  # Lambda style: handler(event, context) -> dict

Order of work (seed "Validate and Use Access Tokens in Skill Code", spec §4): parse the
directive (malformed → INVALID_DIRECTIVE), check the bearer token with the validator (EXPIRED /
INVALID → the matching ErrorResponse), find the handler (none → INVALID_DIRECTIVE), run it (a
`SkillError` → its ErrorResponse, anything else → INTERNAL_ERROR). AcceptGrant only ever fails
with ACCEPT_GRANT_FAILED.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from localexa.skill.directives import (
    ACCEPT_GRANT,
    DirectiveError,
    bearer_token,
    inner_directive,
    parse_directive,
)
from localexa.skill.errors import (
    AcceptGrantFailed,
    InternalError,
    InvalidAuthorizationCredential,
    InvalidDirective,
    SkillError,
)
from localexa.skill.messages import Directive
from localexa.skill.responses import Message
from localexa.skill.tokens import TokenCheck, TokenValidationError, TokenValidator, credential_error

log = logging.getLogger("localexa.skill")


class _TokenCheckRaised(Exception):
    """The validator raised something other than TokenValidationError (its cause): `handle` logs
    it as the token check's failure, not the directive handler's."""


T = TypeVar("T")


@dataclass(frozen=True)
class SkillRequest:
    """What a handler gets: the parsed directive, the raw event, the token and whom it identifies."""

    directive: Directive
    event: Mapping[str, Any] = field(repr=False)
    token: str | None = field(repr=False)
    identity: TokenCheck | None

    @property
    def endpoint_id(self) -> str | None:
        return self.directive.endpoint_id

    @property
    def payload(self) -> dict[str, Any]:
        return self.directive.payload

    @property
    def user(self) -> str | None:
        """The device cloud's user id for the token (None without a validator)."""
        return self.identity.subject if self.identity else None


DirectiveFunction = Callable[[SkillRequest], Message | Awaitable[Message]]


class SkillHandler:
    def __init__(self, validator: TokenValidator | None = None) -> None:
        self.validator = validator
        self._routes: dict[tuple[str, str], DirectiveFunction] = {}

    @property
    def directives(self) -> list[tuple[str, str]]:
        """(namespace, name) pairs this skill answers."""
        return sorted(self._routes)

    def add(self, namespace: str, name: str, function: DirectiveFunction) -> None:
        self._routes[(namespace, name)] = function

    def on(self, namespace: str, name: str) -> Callable[[DirectiveFunction], DirectiveFunction]:
        """Decorator form of `add`."""

        def register(function: DirectiveFunction) -> DirectiveFunction:
            self.add(namespace, name, function)
            return function

        return register

    async def handle(self, event: Mapping[str, Any]) -> Message:
        """The answer to one directive event; never raises."""
        try:
            directive = parse_directive(event)
        except DirectiveError as error:
            raw = error.raw
            header = raw.get("header") if raw else None
            if isinstance(header, Mapping) and (header.get("namespace"), header.get("name")) == ACCEPT_GRANT:
                return AcceptGrantFailed().response(raw)
            return InvalidDirective(f"The directive is malformed: {error}"[:500]).response(raw)
        key = (directive.namespace, directive.name)
        try:
            return await self._dispatch(directive, event)
        except SkillError as error:
            if key == ACCEPT_GRANT and not isinstance(error, AcceptGrantFailed):
                error = AcceptGrantFailed()
            try:
                return error.response(directive)
            except ValueError as invalid:  # its extra fields break the schema (a percentage of 150)
                log.warning("%s.%s raised %s that is not valid: %s", *key, type(error).__name__, invalid)
                return InternalError().response(directive)
        except TokenValidationError as error:
            log.warning("token check failed for %s.%s: %s", *key, error)
            failure: SkillError = AcceptGrantFailed() if key == ACCEPT_GRANT else InternalError()
            return failure.response(directive)
        except _TokenCheckRaised as raised:
            # The token check's failure (its user database down, say), with its traceback: it was
            # logged as "handler for … raised", blaming a directive handler that never ran.
            log.error("token check for %s.%s raised", *key, exc_info=raised.__cause__)
            return (AcceptGrantFailed() if key == ACCEPT_GRANT else InternalError()).response(directive)
        except Exception:
            log.exception("handler for %s.%s raised", *key)
            return (AcceptGrantFailed() if key == ACCEPT_GRANT else InternalError()).response(directive)

    async def _dispatch(self, directive: Directive, event: Mapping[str, Any]) -> Message:
        token = bearer_token(directive)
        identity: TokenCheck | None = None
        if self.validator is not None:
            if token is None:
                raise InvalidAuthorizationCredential("The directive carries no access token.")
            try:
                identity = await self.validator.validate(token)
            except (SkillError, TokenValidationError):
                raise  # a check's own verdict or failure, answered and logged as such by handle
            except Exception as error:
                raise _TokenCheckRaised from error
            failure = credential_error(identity)
            if failure is not None:
                raise failure
        function = self._routes.get((directive.namespace, directive.name))
        if function is None:
            raise InvalidDirective(f"This skill does not support {directive.namespace}.{directive.name}.")
        result = function(SkillRequest(directive, event, token, identity))
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, dict):
            raise TypeError(f"the handler returned {type(result).__name__}, not a dict")
        return result

    def __call__(self, event: Mapping[str, Any], context: object = None) -> Message:
        """Lambda-style entry (`python:package.module:handler`): synchronous, returns the answer."""
        return run_sync(self.handle(inner_directive_event(event)))


def inner_directive_event(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """Lambda hands the envelope as is; tolerate a bare directive too."""
    if (
        isinstance(event, Mapping)
        and inner_directive(event) is None
        and isinstance(event.get("header"), Mapping)
    ):
        return {"directive": event}
    return event


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running event loop
    (an async host calling a sync handler): then it runs on a worker thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        # Run outside the `except`: inside it, every exception the skill's code raised would carry
        # "no running event loop" as its context, and each logged traceback (CloudWatch's, for a
        # Lambda) would open with that unrelated error.
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="localexa-skill") as pool:
        return pool.submit(asyncio.run, coroutine).result()
