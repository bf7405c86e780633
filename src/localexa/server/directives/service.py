"""Sending smart home directives to a customer's skill, as Alexa does (DESIGN.md "Directives").

`send_directive(runtime, DirectiveRequest(...))` is the one entry point (the admin API, the
after-link flow and the capability evaluation all use it):

1. Resolve the customer's enablement and take the linked access token; the enablement area
   refreshes it at the skill's `accessTokenUrl` when localexa's clock says it has expired.
2. Build the v3 envelope (envelope.py): a directive to an endpoint carries the token in
   `endpoint.scope` and the cookie the skill gave at discovery; Discover carries it in
   `payload.scope`; AcceptGrant carries a fresh one-time grant code and the token as grantee.
3. Deliver it (invoker.py). An `EXPIRED_AUTHORIZATION_CREDENTIAL` answer makes localexa refresh
   the token once and send the directive again; `INVALID_AUTHORIZATION_CREDENTIAL` marks the
   link NEEDS_RELINK (the customer must link again), as the token-validation seed describes.
4. Check the answer with the skill kit's `validate_response` and record directive and answer
   (redacted, also of the token or grant code wherever the answer echoes them: scrub.py) in
   `skill_messages`; a Discover.Response refreshes the discovered endpoints and an answer's
   `context.properties` the endpoint's known state (from the answer as given).

No transaction is open while the skill is called (runtime.py says why).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.crypto import NotOpened
from localexa.server.core.errors import BadRequest, LocalexaError, NotFound, ServiceUnavailable
from localexa.server.core.message_parts import Parts, named
from localexa.server.directives import envelope
from localexa.server.directives.credential_answers import EXPIRED, INVALID, error_type, learn_invalid
from localexa.server.directives.in_flight import InFlightDirectives
from localexa.server.directives.invoker import Invocation
from localexa.server.directives.recording import Attempt, judged, record_exchange
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.scrub import redact_message, sent_secrets
from localexa.server.enablement.links import (
    LinkUnavailable,
    RefreshDue,
    linked_access_token,
    refresh_outside_transaction,
)
from localexa.server.lwa.grants import mint_grant_code
from localexa.server.lwa.key_confirmation import CANNOT_OPEN_UNDER_ANOTHER_KEY, SealedUnderAnotherKey
from localexa.server.lwa.repository import LwaRepository
from localexa.server.observe.behalf import acting_for, in_region
from localexa.server.skills.repository import SkillRepository
from localexa.skill.clock import Now
from localexa.skill.directives import ACCEPT_GRANT, DISCOVER
from localexa.skill.problems import Problem
from localexa.skill.validation import validate_response

ASYNC_EVENT_PERMISSION = "alexa::async_event:write"


class StopSending(Exception):
    """The sender's process is stopping and sends no directive more (`DirectiveRequest.may_send`):
    the after-link follow-up leaves its step PENDING for another process or the restart to take
    over (after_link_runner.py)."""


@dataclass(frozen=True)
class DirectiveRequest:
    user_id: str
    skill_id: str
    namespace: str
    name: str
    endpoint_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    payload_version: str = "3"
    cookie: dict[str, Any] | None = None
    correlation_token: str | None = None
    instance: str | None = None
    #: Asked in the transaction that records the answer: False keeps what the answer tells
    #: (discovered endpoints, their state) out, the exchange itself is still recorded. The
    #: after-link follow-up passes one, so that a follow-up a relink has superseded (perhaps in
    #: another process) cannot store what the previous link's account discovered.
    still_current: Callable[[AsyncSession], Awaitable[bool]] | None = field(default=None, compare=False)
    #: Told each message as it is sent (the first, and again after a token refresh), redacted as
    #: the result's `directive` is (no token, no grant code): a caller that gives up waiting (the
    #: evaluation's case time limit) can still say what it sent.
    on_sent: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)
    #: Asked right before each message goes out (after the token was read, and refreshed if need
    #: be, which may take up to the token exchange timeout): False raises `StopSending` instead.
    #: The after-link follow-up of a stopping process passes its window for sending.
    may_send: Callable[[], bool] | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass(frozen=True)
class DirectiveResult:
    """What happened. `directive` and `response` are redacted (no token, no grant code)."""

    exchange_id: str
    directive: dict[str, Any]
    response: dict[str, Any] | None
    verdict: dict[str, Any]
    latency_ms: float
    error: dict[str, str] | None
    attempts: int
    notes: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return bool(self.verdict["valid"])

    @property
    def error_type(self) -> str | None:
        value = self.verdict.get("errorType")
        return value if isinstance(value, str) else None

    def wire(self) -> dict[str, Any]:
        return {
            "exchangeId": self.exchange_id,
            "directive": self.directive,
            "response": self.response,
            "verdict": self.verdict,
            "latencyMs": self.latency_ms,
            "error": self.error,
            "attempts": self.attempts,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Target:
    endpoint: str
    token: str
    cookie: dict[str, Any]
    grant_code: str | None


async def send_directive(runtime: Runtime, request: DirectiveRequest) -> DirectiveResult:
    """Send one directive to the customer's skill and return its checked answer.

    Raises NotFound (unknown customer or skill, skill not enabled) and BadRequest (no usable
    link, a directive that needs an endpointId without one); a skill that fails to answer is a
    result with `error`, not an exception.

    The calls it makes (the token refresh, the skill's endpoint) are journaled as made for the
    directive's customer and skill, whoever asked: the admin API (whose call names them only in
    its body), the after-link follow-up, the evaluation worker (which runs in no call).
    """
    with acting_for(request.user_id, request.skill_id):
        return await _send(runtime, request)


async def _send(runtime: Runtime, request: DirectiveRequest) -> DirectiveResult:
    if request.key not in (DISCOVER, ACCEPT_GRANT) and not request.endpoint_id:
        raise BadRequest(f"{request.namespace}.{request.name} needs an endpointId.")
    # Token expiry is judged by the shared clock. AcceptGrant mints a 5-minute code: its stamp
    # must not be an advance through another process behind (it would arrive expired).
    await runtime.refresh_clock(force=request.key == ACCEPT_GRANT)
    target = await _target(runtime, request)
    message = _build(request, target)
    # Until its exchange is recorded, an answer the skill posts to the gateway is judged against
    # it there (directives/in_flight.py).
    in_flight = runtime.in_flight or InFlightDirectives()
    async with in_flight.sending(request.user_id, request.skill_id, message):
        return await _deliver(runtime, request, target, message)


async def _deliver(
    runtime: Runtime, request: DirectiveRequest, target: _Target, message: dict[str, Any]
) -> DirectiveResult:
    notes: list[str] = []
    invoker = runtime.invoker()
    _still_may_send(request)
    if request.on_sent is not None:
        request.on_sent(redact_message(message, ()))
    first = await invoker.invoke(target.endpoint, message)
    attempts = [Attempt(message, first)]
    sent_token = target.token
    expired = error_type(first) == EXPIRED and request.key != ACCEPT_GRANT
    if expired and not _verdict(message, first, runtime.clock.now)["valid"]:
        # Nothing is learned from an invalid answer (as with INVALID_AUTHORIZATION_CREDENTIAL
        # below): one echoing another correlationToken refreshed the token and sent it again.
        notes.append(f"The skill answered {EXPIRED} in an invalid answer; the token was not refreshed.")
    elif expired:
        try:
            fresh = await _target(runtime, request, expired_token=target.token)
        except LocalexaError as exc:
            # The directive was delivered and answered: that answer is returned and recorded. The
            # refresh's failure (the token server's 503, the link gone meanwhile) was raised as
            # the call's own, a 503 "try again" for a directive sent (review of 2026-12-07).
            notes.append(f"The skill answered {EXPIRED}; refreshing the token failed: {exc.message}")
        else:
            message = envelope.with_new_message_id(message, fresh.token)
            sent_token = fresh.token
            _still_may_send(request)
            if request.on_sent is not None:
                request.on_sent(redact_message(message, ()))
            attempts.append(Attempt(message, await invoker.invoke(target.endpoint, message)))
            notes.append(
                f"The skill answered {EXPIRED}; the token was refreshed and the directive sent again."
            )
    last = attempts[-1].invocation
    verdict = _verdict(message, last, runtime.clock.now)
    if error_type(last) == INVALID:
        notes.append(
            await learn_invalid(
                runtime,
                customer_id=request.user_id,
                skill_id=request.skill_id,
                token=sent_token,
                valid=verdict["valid"],
            )
        )
    secrets = sent_secrets(attempt.message for attempt in attempts)
    exchange_id = str(uuid.uuid4())
    async with runtime.transaction() as session:
        await record_exchange(
            session,
            runtime.clock.now(),
            customer_id=request.user_id,
            skill_id=request.skill_id,
            exchange_id=exchange_id,
            attempts=attempts,
            verdicts=[_verdict(a.message, a.invocation, runtime.clock.now) for a in attempts[:-1]]
            + [verdict],
            learn=request.still_current is None or await request.still_current(session),
        )
    return DirectiveResult(
        exchange_id=exchange_id,
        directive=redact_message(message, ()),
        response=redact_message(last.answer, secrets) if last.answer is not None else None,
        # The verdict and the failure quote the skill's text: the journal's redaction too (an
        # `Atza|…` token it echoes that localexa never sent it stayed in clear until 2026-12-06).
        verdict=redact_message(verdict, secrets),
        latency_ms=last.latency_ms,
        error=redact_message(last.error.wire(), secrets) if last.error else None,
        attempts=len(attempts),
        notes=tuple(notes),
    )


def _still_may_send(request: DirectiveRequest) -> None:
    """Checked after the token refresh, not only before it: a refresh at a slow token URL once let
    a stopping process send Discover a second after its window had closed (QA of 2026-12-06)."""
    if request.may_send is not None and not request.may_send():
        raise StopSending


#: Reads of the link around refreshes made outside the transaction (SQLite) before giving up: a
#: token server answering tokens that are expired already would otherwise loop for ever.
_REFRESH_PASSES = 3


async def _target(
    runtime: Runtime, request: DirectiveRequest, *, expired_token: str | None = None
) -> _Target:
    """Everything needed to send, read (and the token refreshed) in one short transaction; on
    SQLite the refresh runs between two such transactions (enablement/links.py `RefreshDue`)."""
    inline = runtime.engine is None or runtime.engine.dialect.name != "sqlite"
    for _ in range(_REFRESH_PASSES):
        try:
            return await _read_target(runtime, request, expired_token=expired_token, refresh_inline=inline)
        except RefreshDue as due:
            try:
                await refresh_outside_transaction(
                    runtime.transaction,
                    runtime.box,
                    runtime.clock,
                    runtime.outbound,
                    runtime.settings,
                    customer_id=request.user_id,
                    skill_id=request.skill_id,
                    due=due,
                )
            except LinkUnavailable as failure:
                _raise_link_failure(failure)
            expired_token = None  # refreshed (or by another task meanwhile): read it
    raise ServiceUnavailable(
        "The skill's token server answered tokens that had expired already; try again later.",
        code="TOKEN_REFRESH_FAILED",
    )


async def _read_target(
    runtime: Runtime, request: DirectiveRequest, *, expired_token: str | None, refresh_inline: bool
) -> _Target:
    failure: LinkUnavailable | None = None
    grant_code: str | None = None
    token = ""
    async with runtime.transaction() as session:
        customer = await LwaRepository(session).customer(request.user_id)
        if customer is None:
            raise NotFound(Parts.of("No customer ", *named(request.user_id), "."))
        in_region(customer.region)  # the journal's region of the calls it makes
        skill = await SkillRepository(session).skill(request.skill_id)
        if skill is None:
            raise NotFound(Parts.of("No skill ", *named(request.skill_id), "."))
        if request.key == ACCEPT_GRANT and ASYNC_EVENT_PERMISSION not in skill.permissions:
            raise BadRequest(f"The skill does not have the permission {ASYNC_EVENT_PERMISSION}.")
        try:
            token = await linked_access_token(
                session,
                runtime.box,
                runtime.clock,
                runtime.outbound,
                runtime.settings,
                customer_id=request.user_id,
                skill_id=request.skill_id,
                expired_token=expired_token,
                refresh_inline=refresh_inline,
            )
        except LinkUnavailable as exc:
            # Leave the block normally so what the enablement area marked (NEEDS_RELINK) commits.
            failure = exc
        except NotOpened:
            # The linked tokens were sealed by a process under the database's key, and this one
            # started under another while the database could not tell (lwa/key_check.py): 409 in
            # the words of its refused writes, not a 500 saying "Retry" (QA of the night of
            # 2026-12-06); only a restart under the database's key opens them.
            raise SealedUnderAnotherKey(CANNOT_OPEN_UNDER_ANOTHER_KEY) from None
        else:
            if request.key == ACCEPT_GRANT:
                grant_code = await mint_grant_code(
                    session,
                    runtime.box,
                    runtime.clock,
                    client_id=skill.messaging_client_id,
                    user_id=request.user_id,
                    skill_id=request.skill_id,
                    scopes=[ASYNC_EVENT_PERMISSION],
                )
        cookie = request.cookie
        if cookie is None and request.endpoint_id:
            known = await DirectiveRepository(session).endpoint(
                request.user_id, request.skill_id, request.endpoint_id
            )
            cookie = dict(known.cookie) if known is not None else {}
        endpoint = skill.endpoint_for(customer.region)
    if failure is not None:
        _raise_link_failure(failure)
    return _Target(endpoint=endpoint, token=token, cookie=cookie or {}, grant_code=grant_code)


def _raise_link_failure(failure: LinkUnavailable) -> NoReturn:
    if failure.code == "SKILL_NOT_ENABLED":
        raise NotFound(failure.message, code=failure.code) from failure
    if failure.code == "TOKEN_REFRESH_FAILED":
        # The skill's token server failed for now (5xx, timeout, garbage): nothing the caller
        # sent is wrong and the link is kept, so not a 400; try again later.
        raise ServiceUnavailable(failure.message, code=failure.code) from failure
    raise failure


def _build(request: DirectiveRequest, target: _Target) -> dict[str, Any]:
    if request.key == DISCOVER:
        return envelope.discover_directive(target.token, payload_version=request.payload_version)
    if request.key == ACCEPT_GRANT:
        assert target.grant_code is not None
        return envelope.accept_grant_directive(target.grant_code, target.token)
    assert request.endpoint_id is not None
    return envelope.endpoint_directive(
        request.namespace,
        request.name,
        token=target.token,
        endpoint_id=request.endpoint_id,
        cookie=target.cookie,
        payload=request.payload,
        payload_version=request.payload_version,
        correlation_token=request.correlation_token,
        instance=request.instance,
    )


def _verdict(message: dict[str, Any], invocation: Invocation, now: Now) -> dict[str, Any]:
    """The answer judged by the skill kit, on localexa's clock (a travelled clock included: a
    sample is "ahead" against the time Alexa believes it is)."""
    if invocation.answer is None:
        reason = invocation.error.message if invocation.error else "no answer"
        return {**judged([Problem(path="", message=reason)]), "name": None, "errorType": None}
    verdict = validate_response(message, invocation.answer, now=now)
    return {**judged(verdict.problems), "name": verdict.name, "errorType": verdict.error_type}
