"""How an exception raised while answering becomes an answer in the request's API shape.

`install_error_handlers` registers one handler per kind: localexa's own errors (core/errors.py
renders them), FastAPI's validation errors (400, naming each field), Starlette's HTTP errors (404,
405 with `Allow`), database refusals that are the request's fault or a race (400, 409, 404, 503,
no stack trace), a database out of reach (503 with `Retry-After`, logged once per outage:
db/outage.py) and, last, anything else (500, logged with its trace). Nothing leaks a stack
trace to the client.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from localexa.server.core.auth import require_admin_key
from localexa.server.core.cut_answer import AnswerCut, quiet_uvicorn_on_cut_answers
from localexa.server.core.errors import (
    EVALUATION_PATH,
    LWA_FAMILIES,
    ApiFamily,
    BadRequest,
    Conflict,
    Forbidden,
    LocalexaError,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    Parts,
    PayloadTooLarge,
    Sent,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    refused_in_shape,
    render_error,
)
from localexa.server.core.message_parts import Part, named
from localexa.server.core.public_admin_paths import admin_key_first
from localexa.server.core.request_guard import RequestRefused
from localexa.server.core.strict_json import NonFiniteNumber
from localexa.server.db.integrity import Violation, violation
from localexa.server.db.outage import outage_answer

if TYPE_CHECKING:
    from localexa.server.core.families import FamilyRouter


# The logger keeps its name: operators' log filters match "localexa.errors".
logger = logging.getLogger("localexa.errors")


def _request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return rid if isinstance(rid, str) else str(uuid.uuid4())


def _describe_validation(exc: RequestValidationError) -> tuple[Parts, list[dict[str, str]]]:
    """The first violation's message as parts, and every violation (their messages as text).

    Parts, so LWA's error_description keeps what the request sent as sent: the field's place
    (`regions.XX`: a key the request named is as much the request's as a value) and pydantic's
    words, which quote the input (a UUID's "found `…` at 0"), are `Sent`; a message of localexa's own
    validators is its own text, unless the validator raised it as parts
    (`ValueError(Parts.of(…, Sent(value), …))`), which are kept."""
    messages: list[Parts] = []
    for err in exc.errors():
        parts = list(err.get("loc", ()))
        # Only the first part says where (body, query, ...): a field named `path` (a fault's)
        # further on lost its name, and `{"status": 503}` was just "Field required".
        if parts and parts[0] in ("body", "query", "path", "header"):
            parts = parts[1:]
        # pydantic marks a dict key that failed with "[key]": `regions.XX.[key]` says no more than
        # `regions.XX` (re-verification of 2026-12-06).
        parts = [part for part in parts if part != "[key]"]
        loc = ".".join(str(part) for part in parts)
        said = _violation(err)
        if err.get("type") == "json_invalid":
            said = ("The request body is not valid JSON.",)
            loc = ""
        messages.append(Parts.of(Sent(loc), ": ", *said) if loc else Parts(said))
    violations = [{"code": "INVALID_REQUEST_PARAMETER", "message": str(message)} for message in messages]
    return (messages[0] if messages else Parts.of("The request is not valid.")), violations


def _violation(err: Mapping[str, Any]) -> tuple[Part, ...]:
    """What one violation says, without its place."""
    msg = str(err.get("msg", "invalid value"))
    if err.get("type") == "value_error":
        # Raised by localexa's own validators: their words, or their parts.
        raised = (err.get("ctx") or {}).get("error")
        told = raised.args[0] if isinstance(raised, ValueError) and len(raised.args) == 1 else None
        return told.parts if isinstance(told, Parts) else (msg.removeprefix("Value error, "),)
    if err.get("type") == "assertion_error":  # localexa's own words too
        return (msg,)
    return (Sent(msg),)


#: How much of an unknown path a 404 or 405 names (the longest route's path with its ids is ~150).
PATH_SHOWN = 300

_STATUS_ERRORS: dict[int, type[LocalexaError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    503: ServiceUnavailable,
}


#: PostgreSQL refusing a character: U+0000 in text (22021), one the encoding lacks (22P05).
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def install_error_handlers(app: FastAPI, families: FamilyRouter) -> None:
    """Every error leaves the server in its API's shape; nothing leaks a stack trace."""

    async def on_localexa_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LocalexaError)
        if isinstance(exc, RequestRefused):  # a body too large or too slow, read by a route
            exc = refused_in_shape(exc, request.url.path)
        return render_error(exc, families.family_for(request.url.path), _request_id(request))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, violations = _describe_validation(exc)
        family = families.family_for(request.url.path)
        error: LocalexaError = ValidationFailed(message, violations)
        if family in LWA_FAMILIES:
            error = OAuthError("invalid_request", message)
        return render_error(error, family, _request_id(request))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405) and admin_key_first(request.url.path):
            # "Every call under /_localexa/ except health needs the header" (admin-api.md): a
            # caller without the key told the admin routes that exist by their 405 from the 404
            # of the others (QA of 2026-12-06). The key first, as on every admin route.
            try:
                await require_admin_key(request)
            except LocalexaError as refused:
                return render_error(refused, families.family_for(request.url.path), _request_id(request))
        error_type = _STATUS_ERRORS.get(exc.status_code, LocalexaError)
        detail: str | Parts = exc.detail if isinstance(exc.detail, str) else "Request failed."
        # The path as parts (`Sent`): LWA's error_description keeps its `§`, `…`, `±` as sent; they
        # read as localexa's own words (`/auth/o2/asection 1`, revn QA of 2026-12-06).
        # At most PATH_SHOWN characters of it: whole, a 60 KB path came back in the answer.
        path = named(request.url.path, PATH_SHOWN)
        if exc.status_code == 404 and detail == "Not Found":
            detail = Parts.of(f"No resource at {request.method} ", *path, ".")
        headers = exc.headers
        if exc.status_code == 405:
            detail = Parts.of(f"{request.method} is not allowed on ", *path, ".")
            # A 405 must list the methods in `Allow` (RFC 9110 §15.5.6).
            allowed = families.allowed_methods(request.url.path)
            if allowed:  # a route that raised 405 itself keeps its own headers
                headers = {**(headers or {}), "Allow": allowed}
        error = error_type(detail, headers=headers)
        family = families.family_for(request.url.path)
        if (
            exc.status_code in (404, 405)
            and family is ApiFamily.SMAPI
            and EVALUATION_PATH.match(request.url.path)
        ):
            # As the API's own 404s (an unknown run or skill): until 2026-12-06 an unknown path
            # under it, and then a wrong method (`DELETE …/capabilityEvaluations`), answered
            # StandardizedError, without `violations`.
            error.violations = [{"code": error.code, "message": error.message}]  # type: ignore[attr-defined]
        response = render_error(error, family, _request_id(request))
        if exc.status_code not in _STATUS_ERRORS:
            response.status_code = exc.status_code
        return response

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        error: LocalexaError
        if isinstance(exc, AnswerCut):
            # A streamed answer failed after its first bytes and said so in one line already: this
            # answer is never sent (one had begun); the connection ends (core/cut_answer.py).
            return Response(status_code=500)
        if isinstance(exc, StatementError) and isinstance(exc.orig, NonFiniteNumber):
            logger.warning("refused %s %s: a number that is not finite", request.method, request.url.path)
            error = BadRequest(
                "A number of this request, or of data it brought in, is not finite (NaN, Infinity, "
                "or beyond ±1.8e308 such as 1e400); nothing of it was stored."
            )
        elif isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _UNSTORABLE_TEXT:
            # The request guard refuses NUL at the door; this is one that came in another way
            # (a skill's answer, say). The request's transaction rolls back: nothing of it is kept.
            logger.warning("refused %s %s: PostgreSQL cannot store a value", request.method, request.url.path)
            error = BadRequest(
                "A value of this request, or one it brought in, holds a character PostgreSQL cannot "
                "store (U+0000); nothing of it was stored."
            )
        elif isinstance(exc, IntegrityError) and (broken := violation(exc)) is not None:
            # A race no repository caught itself (db/integrity.py): the request's transaction
            # rolls back, so nothing of it is kept.
            logger.warning("refused %s %s: %s violation", request.method, request.url.path, broken.value)
            if broken is Violation.UNIQUE:
                error = Conflict(
                    "A concurrent request stored the same thing first; nothing of this one was stored."
                )
            else:
                error = NotFound(
                    "Something this request refers to was deleted while it ran (by a reset, a restore "
                    "or another call); nothing of it was stored."
                )
        elif (outage := outage_answer(exc, getattr(request.app.state, "engine", None))) is not None:
            # The database went away under this request (restart, failover) or cannot be reached:
            # nothing was committed, the pool reconnects, and a retry succeeds once it answers.
            # Not a bug, so no stack trace; the engine logs it once per outage (db/outage.py).
            error = outage
        else:
            logger.exception("unhandled error on %s %s", request.method, request.url.path)
            error = LocalexaError("An internal error occurred. Retry the request.")
        return render_error(error, families.family_for(request.url.path), _request_id(request))

    async def on_attribute_error(request: Request, exc: Exception) -> Response:
        # What the lifespan puts on app.state (engine, keys, clock) is missing until it has run:
        # an app driven by httpx.ASGITransport, which does not run lifespans, met a 500 and a
        # stack trace for every call that needed it.
        if hasattr(request.app.state, "settings"):
            return await on_unexpected(request, exc)
        logger.error(
            "answered %s %s with 503: the app's lifespan has not run", request.method, request.url.path
        )
        error = ServiceUnavailable(
            "localexa has not started: its lifespan has not run. In process, enter "
            "`app.router.lifespan_context(app)` first (httpx.ASGITransport does not run it)."
        )
        return render_error(error, families.family_for(request.url.path), _request_id(request))

    app.add_exception_handler(LocalexaError, on_localexa_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # Database errors get the same answers, registered apart: Starlette re-raises whatever reaches
    # the `Exception` handler once it has answered (uvicorn then logs "Exception in ASGI
    # application" with a stack trace), which is right for a bug, not for a refused value or a
    # lost connection.
    app.add_exception_handler(StatementError, on_unexpected)
    app.add_exception_handler(AttributeError, on_attribute_error)
    app.add_exception_handler(Exception, on_unexpected)
    quiet_uvicorn_on_cut_answers()
