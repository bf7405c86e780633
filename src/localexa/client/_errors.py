"""The client's exception tree, and the parser of every Alexa API family's error body.

    LocalexaClientError               anything this package raises on purpose
    ├── ConfigurationError            a call the client cannot make as asked (admin API on Amazon, id "..")
    ├── ClientClosedError             a call on a client whose connections are closed (also a RuntimeError)
    ├── EventLoopError                an AsyncClient called in an event loop not its first (a RuntimeError)
    └── APIError                      something went wrong talking to an API
        ├── APIConnectionError        no response (DNS, refused, TLS, reset)
        │   └── APITimeoutError       no response in time
        ├── APIResponseValidationError  a 2xx body that does not match its model
        └── APIStatusError            a 3xx/4xx/5xx answer: status_code, code, message, body, request_id
            ├── BadRequestError           400
            ├── AuthenticationError       401
            ├── PermissionDeniedError     403
            ├── NotFoundError             404
            ├── ConflictError             409
            ├── PreconditionFailedError   412 (an If-Match that names an old version)
            ├── RateLimitError            429 (retry_after)
            ├── InternalServerError       500 (and other 5xx but 503)
            └── ServiceUnavailableError   503 (retry_after)

Error bodies differ per API family (spec alexa-api-surface.md §1.3, §1.2, §3, §4, §7); `parse_error_body`
reads them all by shape, so the client needs no table of which path speaks which family:

- SMAPI StandardizedError `{"code","message"}` and BadRequestError `{"message","violations":[...]}`
- customer API `{"message"}` (sometimes with `"type"`)
- LWA (RFC 6749 §5.2) `{"error","error_description"}`
- event gateway `{"header":{...},"payload":{"code","description"}}` (some clients read `type`/`message`)
- Credential Locker `{"code","message"}`
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

from localexa.error_pickling import reduce_error

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "EventLoopError",
    "InternalServerError",
    "LocalexaClientError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "Violation",
]

REQUEST_ID_HEADER = "X-Amzn-RequestId"


class LocalexaClientError(Exception):
    """Base of every error the client raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without calling __init__, which may take more than the message (error_pickling.py).
        return reduce_error(self)


class ConfigurationError(LocalexaClientError, ValueError):
    """The client was asked for something it cannot do: a call its configuration cannot make, a
    base URL that is not an http(s) URL, an id that cannot be a URL path segment ("", ".",
    "..", text that is not UTF-8), a token HTTP cannot carry, or any other bad argument (a region
    but NA, EU or FE, `base_url=` with `endpoints=`). Also a `ValueError`, as a bad argument is, so
    `except ValueError` written before these were ConfigurationErrors still catches them."""


class ClientClosedError(LocalexaClientError, RuntimeError):
    """A call on a client whose connections are closed: after `close()` / `aclose()` or the end of
    its `with` block, or of the client (or `http_client=`) whose connections it shares.

    Not a ConfigurationError: nothing about the call's arguments or the client's options is wrong,
    the client's lifetime is over. Not an APIError either: no request was attempted, and retrying
    cannot help. Also a `RuntimeError`, the type httpx raised for this before, so code that caught
    that keeps working."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "The client is closed (close()/aclose() was called or its `with` block ended, or that "
            "of the client or httpx client whose connections it shares): create a new client."
        )


class EventLoopError(LocalexaClientError, RuntimeError):
    """A call of an `AsyncClient` in an event loop other than the one it was first used in (a
    second `asyncio.run`, a thread with a loop of its own, a test whose loop is not the one of a
    wider-scoped fixture's client). Its connections belong to that first loop: httpx failed with a
    bare "Event loop is closed" and left the socket open (until 2026-12-06). Raised before the
    connection pool is touched; make one AsyncClient per event loop. A `RuntimeError` too, as the
    error it replaces."""

    def __init__(self, *, first_loop_closed: bool) -> None:
        state = "closed now" if first_loop_closed else "still open"
        super().__init__(
            f"This AsyncClient was first used in another event loop ({state}): its connections "
            "belong to that loop. Create one AsyncClient per event loop "
            "(inside the coroutine asyncio.run runs, or in a fixture of the same loop scope as the "
            "tests that use it)."
        )


class APIError(LocalexaClientError):
    """A call failed: no response, a response in error, or a body that does not parse.

    Every APIError has `status_code`, `code` and `request_id`, None when there is none (no
    response arrived), so `except APIError as e: log(e.status_code, e.request_id)` always works.
    """

    status_code: int | None = None
    code: str | None = None
    request_id: str | None = None

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No response arrived (connection refused, DNS, TLS verification, reset).

    `sent` is False when no connection was made, so the request cannot have reached the server
    (refused, connect timeout); True when it may have (a read timeout, a reset after sending).
    """

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None, sent: bool = True
    ) -> None:
        super().__init__(message, request=request)
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """No response arrived within the timeout."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx.Request | None = None, sent: bool = True
    ) -> None:
        super().__init__(message, request=request, sent=sent)


class APIResponseValidationError(APIError):
    """A successful response whose body is not what the API promises."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get(REQUEST_ID_HEADER)


@dataclass(frozen=True)
class Violation:
    """One entry of SMAPI BadRequestError `violations`."""

    code: str | None
    message: str


class APIStatusError(APIError):
    """The API answered 4xx or 5xx (or a 3xx: the client follows no redirects). `code` is the
    family's machine-readable error name."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any,
        code: str | None = None,
        violations: list[Violation] | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.code = code
        self.violations = violations or []
        self.request_id: str | None = response.headers.get(REQUEST_ID_HEADER)
        self.retry_after: float | None = parse_retry_after(response.headers.get("Retry-After"))

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status_code}{code}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class PreconditionFailedError(APIStatusError):
    """412: a write's `If-Match` names a version that is no longer the current one (someone else
    changed it since you read it). Read it again, reapply your change, and send the new ETag."""

    status_code = 412


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    status_code = 500


class ServiceUnavailableError(APIStatusError):
    status_code = 503


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    429: RateLimitError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return InternalServerError
    return APIStatusError


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):  # Overflow: a year of 12 digits
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):  # "inf", "nan", "1e400" are no delay-seconds
        return None
    return max(0.0, seconds)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_error_body(body: Any) -> tuple[str | None, str | None, list[Violation]]:
    """(code, message, violations) from any family's error body; Nones when it is none of them."""
    if not isinstance(body, dict):
        return None, None, []
    if _text(body.get("error")):  # LWA: RFC 6749 §5.2
        return body["error"], _text(body.get("error_description")) or body["error"], []
    payload = body.get("payload")
    if isinstance(payload, dict) and ("header" in body or "code" in payload):  # event gateway
        code = _text(payload.get("code")) or _text(payload.get("type"))
        return code, _text(payload.get("description")) or _text(payload.get("message")), []
    listed = body.get("violations")
    violations = [
        Violation(code=_text(v.get("code")), message=_text(v.get("message")) or "")
        for v in (listed if isinstance(listed, list) else [])
        if isinstance(v, dict)
    ]
    code = _text(body.get("code")) or _text(body.get("type"))
    if code is None and violations:
        code = violations[0].code
    return code, _text(body.get("message")), violations


def _redirect_message(response: httpx.Response) -> str:
    """A 3xx is an error: a call that "succeeds" with a redirect did nothing (an http:// URL a
    proxy sends to https://, a captive portal). Only the target's origin is named: a Location
    may repeat the request's query, and a token with it (`tokeninfo?access_token=`)."""
    target = ""
    location = response.headers.get("Location")
    if location:
        try:
            url = response.request.url.join(location)
            target = f" to {url.scheme}://{url.netloc.decode('ascii', 'replace')}"
        except (httpx.InvalidURL, RuntimeError, UnicodeError):  # RuntimeError: no request
            target = ""
    return (
        f"redirected{target}; the client follows no redirects: point base_url or endpoints= at "
        "the server that answers"
    )


def status_error_from_response(response: httpx.Response) -> APIStatusError:
    """The typed error for a response that is not 2xx, whatever the API family."""
    try:
        text = response.text
    except ValueError:  # bytes its charset cannot decode even leniently (UTF-16 of an odd length)
        text = response.content.decode("utf-8", "replace")
    body: Any
    try:
        body = json.loads(text) if text else None
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
        body = text
    code, message, violations = parse_error_body(body)
    if 300 <= response.status_code < 400:
        message = _redirect_message(response)
    if message is None:
        snippet = text.strip()[:200] if isinstance(body, str) else ""
        message = snippet or response.reason_phrase or f"HTTP {response.status_code}"
    cls = status_error_class(response.status_code)
    return cls(message, response=response, body=body, code=code, violations=violations)


class CaFileError(ConfigurationError):
    """`ca_file=` (or a path as `verify=`) names no file, or one holding no certificate: said with
    the file's name (ssl raised a bare `FileNotFoundError` or `SSLError: [X509: NO_CERTIFICATE_OR_CRL_FOUND]`
    naming neither the file nor the argument; QA of 2026-12-06)."""

    def __init__(self, ca_file: str, reason: str) -> None:
        super().__init__(f"cannot trust {ca_file} as a CA: {reason}")
        self.ca_file = ca_file
        self.reason = reason
