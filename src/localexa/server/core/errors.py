"""One exception tree for every API, and one renderer per API family.

Services raise these; they never build HTTP responses. The handlers (core/error_handlers.py)
find the family of the request's path (`ApiFamily`) and renders the error in that family's own
wire shape (../shared/spec/alexa-api-surface.md §1.3, §3, §4):

    LocalexaError                 status, message, code
    ├── BadRequest                400  (invalid_request for LWA)
    │   └── ValidationFailed      400  with violations (SMAPI BadRequestError)
    ├── Unauthorized              401  (invalid_token for LWA; invalid_client at its token endpoint)
    ├── Forbidden                 403
    ├── NotFound                  404
    ├── MethodNotAllowed          405
    ├── Conflict                  409
    ├── PayloadTooLarge           413
    ├── UnsupportedMediaType      415
    ├── TooManyRequests           429  (+ Retry-After)
    ├── ServiceUnavailable        503
    └── OAuthError                LWA's RFC 6749 §5.2 errors (error, error_description)

Nothing here knows an area: areas register which path prefixes and routes speak which family
(core/families.py), and the pages of the families that answer in HTML (`ERROR_PAGES`).
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from starlette.responses import JSONResponse, Response

# Re-exported: LWA's errors (lwa/oauth_errors.py) and their tests import them from here.
from localexa.server.core.message_parts import Parts as Parts
from localexa.server.core.message_parts import Sent as Sent
from localexa.server.core.message_parts import description_text as description_text
from localexa.server.core.no_store import NO_STORE

#: The name LWA's messages as parts had before core/message_parts.py (tests/conformance use it).
Described = Parts


class ApiFamily(enum.StrEnum):
    """Each family of Amazon APIs has its own error body."""

    SMAPI = "smapi"  # {"code","message"} / {"message","violations"}
    CUSTOMER = "customer"  # {"message"}
    LWA = "lwa"  # {"error","error_description"}; a bare 401 is RFC 6750's invalid_token
    LWA_TOKEN = "lwa_token"  # LWA's token endpoint: a bare 401 is RFC 6749 §5.2's invalid_client
    EVENTS = "events"  # {"header":{namespace,name,messageId},"payload":{code,description}}
    CREDENTIAL_LOCKER = "credential_locker"  # {"code","message"}
    ADMIN = "admin"  # {"message"}
    PAGE = "page"  # the console: its HTML message page (ERROR_PAGES)
    LWA_PAGE = "lwa_page"  # LWA's sign-in pages: the area's HTML error page (ERROR_PAGES)


class LocalexaError(Exception):
    """Base of every error a service may raise. `code` is the machine-readable name."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str | Parts,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        #: The message as parts when it names code or quotes the request (LWA's error_description
        #: keeps the request's values as sent, the console's page shows its code as code:
        #: core/message_parts.py); None for a message of localexa's words alone.
        self.message_parts = message if isinstance(message, Parts) else None
        self.code = code or self.default_code
        self.headers: dict[str, str] = dict(headers or {})


class BadRequest(LocalexaError):
    status = 400
    default_code = "INVALID_REQUEST"


class ValidationFailed(BadRequest):
    """A request whose fields break the rules; `violations` names each one."""

    def __init__(self, message: str | Parts, violations: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.violations = violations or [{"code": "INVALID_REQUEST", "message": self.message}]


class Unauthorized(LocalexaError):
    status = 401
    default_code = "UNAUTHORIZED"


class Forbidden(LocalexaError):
    status = 403
    default_code = "FORBIDDEN"


class NotFound(LocalexaError):
    status = 404
    default_code = "NOT_FOUND"


class MethodNotAllowed(LocalexaError):
    status = 405
    default_code = "METHOD_NOT_ALLOWED"


class Conflict(LocalexaError):
    status = 409
    default_code = "CONFLICT"


class PayloadTooLarge(LocalexaError):
    status = 413
    default_code = "REQUEST_ENTITY_TOO_LARGE"


class UnsupportedMediaType(LocalexaError):
    status = 415
    default_code = "UNSUPPORTED_MEDIA_TYPE"


class TooManyRequests(LocalexaError):
    status = 429
    default_code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, *, retry_after: int = 1, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class ServiceUnavailable(LocalexaError):
    status = 503
    default_code = "SERVICE_UNAVAILABLE"


class OAuthError(LocalexaError):
    """RFC 6749 §5.2 token endpoint errors; `code` is the `error` value."""

    status = 400
    default_code = "invalid_request"

    def __init__(self, code: str, description: str | Parts, *, status: int = 400) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="localexa"'} if status == 401 else None
        super().__init__(description, code=code, headers=headers)
        self.instance_status = status


#: The event gateway's documented codes (spec §4 "Event gateway"): nothing else leaves /v3/events,
#: so a client can switch on `payload.code` (the OpenAPI document lists them as its enum).
EVENT_GATEWAY_CODES: tuple[str, ...] = (
    "INVALID_REQUEST_EXCEPTION",
    "INVALID_ACCESS_TOKEN_EXCEPTION",
    "SKILL_DISABLED_EXCEPTION",
    "INSUFFICIENT_PERMISSION_EXCEPTION",
    "SKILL_NOT_FOUND_EXCEPTION",
    "REQUEST_ENTITY_TOO_LARGE_EXCEPTION",
    "THROTTLING_EXCEPTION",
    "INTERNAL_SERVICE_EXCEPTION",
    "SERVICE_UNAVAILABLE_EXCEPTION",
)
#: Alexa.Discovery interface limits: "Maximum payload size for AddOrUpdateReport event — 256 KB".
MAX_EVENT_BYTES = 256 * 1024
#: The one thing a too-large event is told, by the gateway (events/service.py) and by the guards
#: that refuse a body past LOCALEXA_MAX_BODY_BYTES before it (refused_in_shape): the second said
#: "larger than 1048576 bytes", a limit the gateway does not have.
EVENT_TOO_LARGE_MESSAGE = (
    f"The event is larger than the gateway accepts: at most {MAX_EVENT_BYTES} bytes (256 KB)."
)
EVENTS_PREFIX = "/v3/"
# Gateway codes by status, for errors that reach /v3/events without one of the gateway's own
# codes (an unknown path, the wire's refusals, an injected fault). A 404 is not
# SKILL_NOT_FOUND_EXCEPTION: that names a failed lookup of the token's skill (events/service.py
# raises it itself), and no documented code names a missing resource, so a 404 and any other 4xx
# the table lacks (409, 402, ...) get the gateway's catch-all for a request it cannot serve.
_EVENT_CODES: dict[int, str] = {
    401: "INVALID_ACCESS_TOKEN_EXCEPTION",
    403: "INSUFFICIENT_PERMISSION_EXCEPTION",
    413: "REQUEST_ENTITY_TOO_LARGE_EXCEPTION",
    429: "THROTTLING_EXCEPTION",
    501: "INVALID_REQUEST_EXCEPTION",  # a method the wire does not know: the request is at fault
    505: "INVALID_REQUEST_EXCEPTION",  # an HTTP version other than 1.x (cli/wire_request_line.py)
    503: "SERVICE_UNAVAILABLE_EXCEPTION",
}


def event_code(status: int) -> str:
    """The gateway code for an error of `status` that carries none of the gateway's own."""
    known = _EVENT_CODES.get(status)
    if known is not None:
        return known
    return "INVALID_REQUEST_EXCEPTION" if 400 <= status < 500 else "INTERNAL_SERVICE_EXCEPTION"


# LWA `error` values by status for errors that were not raised as OAuthError.
_LWA_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "invalid_token",
    403: "insufficient_scope",
    404: "invalid_request",
    405: "invalid_request",
    408: "invalid_request",  # the wire's refusals (cli/wire.py, core/request_guard.py)
    413: "invalid_request",
    414: "invalid_request",
    415: "invalid_request",
    431: "invalid_request",
    501: "invalid_request",
    505: "invalid_request",
    429: "slow_down",
    500: "server_error",
    503: "temporarily_unavailable",
}
# The token endpoint authenticates clients, not tokens (RFC 6749 §5.2 has no invalid_token).
_LWA_TOKEN_CODES = {**_LWA_CODES, 401: "invalid_client"}
LWA_FAMILIES = frozenset({ApiFamily.LWA, ApiFamily.LWA_TOKEN})
#: Every `error` an LWA JSON answer may carry: RFC 6749 §5.2's (lwa/oauth_errors.py), RFC 6750
#: §3.1's, and the statuses' fallbacks above (the OpenAPI document lists them as its enum).
LWA_ERROR_CODES: tuple[str, ...] = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_token",
    "insufficient_scope",
    "slow_down",
    "server_error",
    "temporarily_unavailable",
)
#: The realm of localexa's challenges (RFC 6750 §3, RFC 9110 §11.6.1).
BEARER_CHALLENGE = 'Bearer realm="localexa"'
#: A Bearer challenge for a token that was sent and refused (RFC 6750 §3.1); a request with no
#: token at all gets BEARER_CHALLENGE, without an error code (core.auth sets it).
INVALID_TOKEN_CHALLENGE = f'{BEARER_CHALLENGE}, error="invalid_token"'
#: The families whose resources take an LWA bearer token: each 401 carries a Bearer challenge
#: (RFC 6750 §3; SMAPI's spec.json lists `WWW-Authenticate` on its 401s). The admin API's key is
#: no HTTP authentication scheme, and the token endpoint answers Basic (invalid_client).
_BEARER_FAMILIES = frozenset(
    {ApiFamily.SMAPI, ApiFamily.CUSTOMER, ApiFamily.EVENTS, ApiFamily.CREDENTIAL_LOCKER, ApiFamily.LWA}
)
#: The families whose errors are HTML pages, (status, message, headers) → page: set by the area
#: that owns the pages (core holds no template).
ERROR_PAGES: dict[ApiFamily, Callable[[int, str | Parts, dict[str, str]], Response]] = {}


#: The Smart Home Capability Evaluation API's paths (evaluation/routes.py), where every error
#: but the run's 409 is a BadRequestError, with `violations`, also for a path no route has.
EVALUATION_PATH = re.compile(r"/v1/skills/[^/]*/smartHome/testing(?:/|$)")


def refused_in_shape(error: LocalexaError, path: str) -> LocalexaError:
    """`error`, a refusal before any handler (the request guard's 413, 415 and 501, a body too
    large or too slow, the wire guard's), with its violation when `path` is under the evaluation
    API, as the API's own errors: until 2026-12-06 (rev3 QA) they lacked `violations` there, so a
    generated client's BadRequestError saw two shapes. Under the event gateway a body too large
    is told the gateway's own limit."""
    if path.startswith(EVENTS_PREFIX) and status_of(error) == 413:
        error.message = EVENT_TOO_LARGE_MESSAGE
    if EVALUATION_PATH.match(path) and getattr(error, "violations", None) is None:
        error.violations = [{"code": error.code, "message": error.message}]  # type: ignore[attr-defined]
    return error


def message_parts(error: LocalexaError) -> str | Parts:
    """`error`'s message as parts when it was given so and not replaced since (refused_in_shape),
    else its text: all localexa's own words."""
    parts = error.message_parts
    return parts if parts is not None and str(parts) == error.message else error.message


def status_of(error: LocalexaError) -> int:
    if isinstance(error, OAuthError):
        return error.instance_status
    return error.status


def render_error(error: LocalexaError, family: ApiFamily, request_id: str) -> Response:
    """Build the response for `error` in `family`'s wire shape."""
    status = status_of(error)
    headers = dict(error.headers)
    headers["X-Amzn-RequestId"] = request_id
    if status == 401 and family in _BEARER_FAMILIES:
        # A route's own refusal (a bad token) and a fault standing in for it alike.
        headers.setdefault("WWW-Authenticate", INVALID_TOKEN_CHALLENGE)
    if family is ApiFamily.ADMIN:
        # As its answers (core/no_store.py): a cache keeps a 404 by heuristics, and a skill made
        # next stayed missing behind it (readme37a F3).
        for name, value in NO_STORE.items():
            headers.setdefault(name, value)
    page = ERROR_PAGES.get(family)
    if page is not None:
        return page(status, message_parts(error), headers)
    body: dict[str, Any]
    if family in LWA_FAMILIES:
        codes = _LWA_TOKEN_CODES if family is ApiFamily.LWA_TOKEN else _LWA_CODES
        # A status the table lacks (a 402 or 409 fault, say): invalid_request for a 4xx, which is
        # the client's to fix, server_error for a 5xx.
        fallback = "invalid_request" if status < 500 else "server_error"
        code = error.code if isinstance(error, OAuthError) else codes.get(status, fallback)
        if code == "invalid_client":  # a 401 of the token endpoint (an injected fault, say)
            headers.setdefault("WWW-Authenticate", 'Basic realm="localexa"')
        body = {"error": code, "error_description": description_text(message_parts(error))}
    elif family is ApiFamily.EVENTS:
        code = error.code if error.code in EVENT_GATEWAY_CODES else event_code(status)
        body = {
            "header": {"namespace": "System", "name": "Exception", "messageId": str(uuid.uuid4())},
            "payload": {"code": code, "description": error.message},
        }
    elif family is ApiFamily.SMAPI:
        # SMAPI answers 400 and 403 with BadRequestError, the rest with StandardizedError (§1.3);
        # an error that carries violations is a BadRequestError whatever its status (evaluation §2).
        if status in (400, 403) or getattr(error, "violations", None) is not None:
            violations = getattr(error, "violations", None) or [
                {"code": error.code, "message": error.message}
            ]
            # `code` too: the seeds' own 400 examples carry it (skill-credentials seed).
            body = {"code": error.code, "message": error.message, "violations": violations}
        else:
            body = {"code": error.code, "message": error.message}
    elif family is ApiFamily.CREDENTIAL_LOCKER:
        body = {"code": error.code, "message": error.message}
    else:
        body = {"message": error.message}
    if family in LWA_FAMILIES:
        # As on LWA's successes (RFC 6749 §5.1): an HTTP/1.0 cache reads only Pragma.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return JSONResponse(body, status_code=status, headers=headers)
