"""Pure-ASGI middleware that injects faults before routing, so a faulted call changes no state.

It runs inside RegionMiddleware (faults may match a region) and inside the journal middleware
(so a faulted call is journaled and carries its request id). The answer takes the matched API's
own error shape (core.errors.render_error with the app's FamilyRouter), adds `Retry-After` for
429, 413 and 5xx (faults.retry_after_sent) and names the fault in `X-Localexa-Fault`. It reads
the call's body first (up to the journal's cap, for at most a second), so the journal entry
shows what the faulted call sent.

Customer and skill are looked up only when a matching fault asks for them: the customer is the
user of the call's bearer token (hashed and checked by the LWA verifier, like any API would);
the skill is the `amzn1.ask.skill.…` segment of the path, else the skill whose messaging client
owns the token. The control plane (faults, journal, reset, snapshot, restore, health, ready,
`/metrics`, the console) is never faulted, so a fault cannot lock its user out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import cast

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from localexa.server.core.auth import Principal, extract_bearer
from localexa.server.core.errors import (
    ApiFamily,
    BadRequest,
    Conflict,
    Forbidden,
    LocalexaError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    render_error,
)
from localexa.server.core.families import FamilyRouter
from localexa.server.core.log_throttle import LogThrottle
from localexa.server.evaluation.routes import BAD_REQUEST_SHAPED, EvaluationRoute
from localexa.server.observe.exchange import skill_in_path
from localexa.server.observe.faults import FaultRule, FaultStore, retry_after_sent
from localexa.server.observe.middleware import BODY_CAP

logger = logging.getLogger("localexa.faults")

_EXEMPT_PATHS = frozenset(
    {
        "/_localexa/reset",
        "/_localexa/snapshot",
        "/_localexa/restore",
        "/_localexa/health",
        "/_localexa/ready",
        "/metrics",
    }
)
_EXEMPT_PREFIXES = ("/_localexa/faults", "/_localexa/journal", "/console")
FAULT_HEADER = "X-Localexa-Fault"
#: Seconds a faulted call's body is waited for (for its journal entry) before the fault answers.
_BODY_WAIT = 1.0

_MESSAGES = {
    429: "Rate exceeded.",
    500: "An internal error occurred. Retry the request.",
    503: "Service Unavailable. Retry the request.",
}
_ERROR_TYPES: dict[int, type[LocalexaError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    503: ServiceUnavailable,
}


def is_exempt(path: str) -> bool:
    return path in _EXEMPT_PATHS or path.startswith(_EXEMPT_PREFIXES)


@functools.cache
def _error_type(status: int) -> type[LocalexaError]:
    """An error class answering `status` (for statuses the core tree does not name). Its code
    (SMAPI's and the Credential Locker's `code`) says whose it is to fix, as the other families
    answer such a fault: a 4xx (418, 402) is INVALID_REQUEST, as LWA's `invalid_request` and the
    gateway's INVALID_REQUEST_EXCEPTION; it was INTERNAL_ERROR, a server's code on a client error
    (QA of 2026-12-07). A 5xx keeps INTERNAL_ERROR."""
    known = _ERROR_TYPES.get(status)
    if known is not None:
        return known
    code = BadRequest.default_code if status < 500 else LocalexaError.default_code
    attributes = {"status": status, "default_code": code}
    return cast(type[LocalexaError], type(f"InjectedError{status}", (LocalexaError,), attributes))


#: The codes a family's own routes answer a status with, where they are not core's (the
#: Credential Locker's 401 and 409 said UNAUTHORIZED and CONFLICT, which it never sends).
_OWN_CODES: dict[tuple[ApiFamily, int], str] = {
    (ApiFamily.CREDENTIAL_LOCKER, 401): "INVALID_TOKEN",
    (ApiFamily.CREDENTIAL_LOCKER, 409): "ALREADY_EXISTS",
}


def fault_error(rule: FaultRule, route: object = None, family: ApiFamily | None = None) -> LocalexaError:
    """The error a fault answers with, as the matched route itself would raise it (`route`: the
    route that would have answered the call, if any; `family`: the API the path is of)."""
    status = rule.status or 500
    message = _MESSAGES.get(status, f"The request failed with status {status}.")
    retry_after = retry_after_sent(status, rule.retry_after)
    if status == 429:
        error: LocalexaError = TooManyRequests(message, retry_after=retry_after or 1)
    else:
        error = _error_type(status)(message)
        if retry_after is not None:
            error.headers["Retry-After"] = str(retry_after)
    if family is not None and (own := _OWN_CODES.get((family, status))) is not None:
        error.code = own
    if isinstance(route, EvaluationRoute) and status in BAD_REQUEST_SHAPED:
        # The evaluation API answers these with BadRequestError, as its route class makes every
        # error raised under it (a fault's 401, 404 or 429 there was a StandardizedError).
        error.violations = [{"code": error.code, "message": error.message}]  # type: ignore[attr-defined]
    return error


class _Caller:
    """Lazy lookups of the call's customer and skill, done at most once per request."""

    def __init__(self, scope: Scope, store: FaultStore) -> None:
        self._scope = scope
        self._store = store
        self._principal: Principal | None = None
        self._looked_up = False
        self._skill: str | None = None
        self._skill_known = False

    async def principal(self) -> Principal | None:
        if not self._looked_up:
            self._looked_up = True
            request = Request(self._scope)
            try:
                token = extract_bearer(request, allow_query=True)
            except LocalexaError:  # two tokens: the call names no customer or skill (the route 400s)
                token = None
            if token is not None:
                try:
                    verifier = self._scope["app"].state.token_verifier
                    self._principal = await verifier.verify_access_token(request, token)
                except LocalexaError:
                    self._principal = None
        return self._principal

    async def customer(self) -> str | None:
        principal = await self.principal()
        return principal.user_id if principal else None

    async def skill(self) -> str | None:
        if not self._skill_known:
            self._skill_known = True
            self._skill = skill_in_path(self._scope["path"])
            if self._skill is None:
                principal = await self.principal()
                if principal is not None:
                    self._skill = await self._store.skill_of_client(principal.client_id)
        return self._skill


async def _attribute(scope: Scope, caller: _Caller, families: FamilyRouter) -> None:
    """What routing and authentication would have told the journal of a call a fault answers
    instead: its caller and customer (the `customer=` filter finds it), route and path parameters."""
    state = scope.setdefault("state", {})
    try:
        principal = await caller.principal()
    except Exception as exc:  # attribution must never fail the faulted answer
        logger.warning("could not attribute a faulted call: %s", type(exc).__name__)
        principal = None
    if principal is not None:
        state["principal"] = principal
    found = families.route_for(scope["method"], scope["path"])
    if found is not None:
        scope["route"], scope["path_params"] = found


async def _read_for_journal(receive: Receive) -> None:
    """Read the body of a call a fault answers, so its journal entry shows what was sent (the
    journal keeps what passes through `receive`; a fault used to answer unread, and the entry of
    a faulted POST had no request body). At most the journal's cap, for at most _BODY_WAIT
    seconds: a fault's answer never waits on a slow or endless body."""
    seen = 0
    try:
        async with asyncio.timeout(_BODY_WAIT):
            while seen <= BODY_CAP:
                message = await receive()
                if message["type"] != "http.request":
                    return
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


class FaultMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # With the database out of reach every call fails to load the faults: a warning per call
        # flooded the log (QA of 2026-12-06); once per 30 s now, and once when they load again.
        self._unavailable = LogThrottle(logger, "the faults' store")
        self._matching = LogThrottle(logger, "fault matching")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        store: FaultStore | None = getattr(state, "faults", None)
        if store is None:
            await self.app(scope, receive, send)
            return
        try:
            rules = await store.active()
        except Exception as exc:  # a fault store problem must not fail real calls
            self._unavailable.failed("faults unavailable: %s", type(exc).__name__)
            rules = []
        else:
            self._unavailable.succeeded()
        region = scope.get("state", {}).get("region")
        method: str = scope["method"]
        candidates = [
            r
            for r in rules
            if r.matches_request(method, scope["path"], str(region) if region is not None else None)
        ]
        if not candidates:
            await self.app(scope, receive, send)
            return
        caller = _Caller(scope, store)
        try:
            answer, delay_ms, fired_id = await self._decide(scope, store, candidates, caller)
        except Exception as exc:
            self._matching.failed("fault matching failed: %s", type(exc).__name__)
            answer, delay_ms, fired_id = None, 0, None
        else:
            self._matching.succeeded()
        if fired_id is not None:
            scope.setdefault("state", {})["fault_id"] = fired_id
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if answer is None:
            await self.app(scope, receive, send)
            return
        await _attribute(scope, caller, state.families)
        await _read_for_journal(receive)
        request_id = scope.get("state", {}).get("request_id", "-")
        family = state.families.family_for(scope["path"])
        error = fault_error(answer, scope.get("route"), family)
        # A 401 gets its family's challenge from render_error, as the route's own 401 does.
        response = render_error(error, family, request_id)
        response.headers[FAULT_HEADER] = answer.id
        await response(scope, receive, send)

    async def _decide(
        self, scope: Scope, store: FaultStore, candidates: list[FaultRule], caller: _Caller
    ) -> tuple[FaultRule | None, int, str | None]:
        """The oldest firing fault with a status answers; delays of every firing fault add up.

        Every fault the call matches counts it (`matched`, and the draw of a seeded probability),
        the newer ones too: a newer fault with a status only counts it, as the call has its answer.
        """
        metrics = getattr(scope["app"].state, "metrics", None)
        delay_ms = 0
        fired_id: str | None = None
        answer: FaultRule | None = None
        for rule in candidates:
            if rule.customer is not None and rule.customer != await caller.customer():
                continue
            if rule.skill is not None and rule.skill != await caller.skill():
                continue
            if answer is not None and rule.status is not None:
                await store.count_match(rule)
                continue
            if not await store.fire(rule):
                continue
            fired_id = fired_id or rule.id
            if metrics is not None:
                metrics.faults.labels(str(rule.status or 0)).inc()
            delay_ms += rule.delay_ms
            if rule.status is not None:
                answer = rule
        return answer, delay_ms, answer.id if answer is not None else fired_id
