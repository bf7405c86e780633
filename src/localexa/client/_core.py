"""The sans-I/O core shared by `Client` and `AsyncClient`.

Every API call is written once, as a *flow*: a generator that yields `ApiRequest`s and receives
`httpx.Response`s (2xx only: a 3xx/4xx/5xx is thrown into the flow as an `APIStatusError`, so a
flow can catch it, as the customer region fallback does). The flow parses responses itself and returns the
result. `Core` turns an `ApiRequest` into an `httpx.Request` and decides about retries; the sync and
async runners (`_sync.py`, `_async.py`) only do the I/O and the sleeping.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from localexa import __version__
from localexa.client._body_sink import BodySink
from localexa.client._endpoints import Endpoints, Region, Service
from localexa.client._errors import (
    REQUEST_ID_HEADER,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    ConfigurationError,
    status_error_from_response,
)
from localexa.client._retry import RetryPolicy
from localexa.client._send_errors import unsendable
from localexa.client.auth import BearerAuth
from localexa.client.messages import redact
from localexa.httpx_userinfo import userinfo_as_auth

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

#: What every API call is: yields requests, receives their (successful) responses, returns T.
Flow = Generator["ApiRequest", httpx.Response, T]

ADMIN_KEY_HEADER = "X-Localexa-Admin-Key"
USER_AGENT = f"localexa-client/{__version__}"


class AuthMode(enum.Enum):
    CLIENT = "client"  # the client's `auth` (or the call's own `token`)
    NONE = "none"  # LWA grants carry client credentials in the form
    ADMIN = "admin"  # X-Localexa-Admin-Key


Params = Mapping[str, str | int | float | None]


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request, before it knows its host."""

    method: str
    path: str
    service: Service = Service.ALEXA
    region: Region = Region.NA
    #: An explicit base: a full URL, or a bare `host[:port]` from `/v1/alexaApiEndpoint`.
    endpoint: str | None = None
    params: Params | None = field(default=None, repr=False)
    json: Any = field(default=None, repr=False)
    form: Params | None = field(default=None, repr=False)
    #: Headers of this call only (`If-Match`), over the client's own.
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    auth: AuthMode = AuthMode.CLIENT
    #: A bearer token for this call only (customer tokens, event-gateway tokens).
    token: str | None = field(default=None, repr=False)
    #: Safe to repeat? None lets the method decide (see RetryPolicy.is_safe).
    idempotent: bool | None = None
    #: A DELETE of one thing on one host: a 404 answering a retry, after an attempt that may have
    #: deleted it, means the deletion is done (see `Core.answer`).
    gone_is_done: bool = False
    #: Where a 2xx answer's body goes as it arrives, instead of `response.content` (_body_sink.py).
    into: BodySink | None = field(default=None, repr=False, compare=False)


def method_signature(flow: Callable[..., Any], returns: str) -> inspect.Signature:
    """The signature a resource method shows (help(), IDEs, CLI introspection): `self` and the
    flow's parameters, returning `returns` with the flow's result type put in for `{}`.

    `functools.wraps` alone would make `inspect.signature` report the flow's own signature, whose
    first parameter a bound method would then drop.
    """
    signature = inspect.signature(flow)
    annotation = signature.return_annotation
    inner = (
        annotation[annotation.index("[") + 1 : -1]
        if isinstance(annotation, str) and "[" in annotation
        else "Any"
    )
    this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    return signature.replace(
        parameters=[this, *signature.parameters.values()], return_annotation=returns.format(inner)
    )


def call(request: ApiRequest) -> Flow[httpx.Response]:
    """`response = yield from call(request)`: a typed single step of a flow."""
    response = yield request
    return response


def segment(value: str) -> str:
    """A path parameter, percent-encoded so an id can never change the route. "", "." and ".."
    cannot be one: URLs drop or resolve them (`customers/..` is `/_localexa`, `customers/` a
    redirect), so they are refused before any request."""
    if value in ("", ".", ".."):
        raise ConfigurationError(f"{value!r} is not an id: it cannot be a segment of a URL path.")
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:  # a lone surrogate (e.g. from argv bytes that are not UTF-8)
        raise ConfigurationError(f"{value!r} is not an id: it is not UTF-8 text.") from None


class ResourceBase:
    """What sync and async resources share: the core, for helpers that need no I/O."""

    _core: Core


def _clean(values: Params | None) -> dict[str, str] | None:
    if values is None:
        return None
    return {k: str(v) for k, v in values.items() if v is not None}


class Core:
    """Builds requests, maps errors and decides retries; owns no connection."""

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        auth: httpx.Auth | None,
        admin_key: str | None,
        retry: RetryPolicy,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.auth = auth
        self.admin_key = admin_key
        self.retry = retry
        #: A `with_options(timeout=)` twin's own timeout; None: its httpx client's.
        self.timeout = timeout
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}

    def base_url(self, request: ApiRequest) -> str:
        if request.endpoint is not None:
            return self.endpoints.resolve_alexa_endpoint(request.endpoint)
        base = self.endpoints.base(request.service, request.region)
        if base is None:
            raise ConfigurationError(
                "The admin API exists only on a localexa server: pass base_url= or endpoints=."
            )
        return base

    def build(self, request: ApiRequest) -> tuple[httpx.Request, httpx.Auth | None]:
        url = self.base_url(request) + request.path
        headers = {**self.headers, **(request.headers or {})}
        auth: httpx.Auth | None = None
        if request.auth is AuthMode.ADMIN:
            if not self.admin_key:
                raise ConfigurationError("The admin API needs admin_key= (X-Localexa-Admin-Key).")
            headers[ADMIN_KEY_HEADER] = self.admin_key
        elif request.auth is AuthMode.CLIENT:
            auth = BearerAuth(request.token) if request.token is not None else self.auth
        # Errors are raised after the `except`, not in it: `from None` hides the httpx or Unicode
        # error from tracebacks but keeps it as __context__, and a UnicodeEncodeError's repr holds
        # the whole value (the admin key, a token).
        failure: ConfigurationError
        try:
            http_request = httpx.Request(
                request.method,
                url,
                params=_clean(request.params),
                json=request.json,
                data=_clean(request.form),
                headers=headers,
                # httpx puts in its client's timeout only where a request has none of its own.
                extensions={} if self.timeout is None else {"timeout": self.timeout.as_dict()},
            )
        except UnicodeEncodeError:
            failure = unsendable()
        except httpx.InvalidURL:
            failure = ConfigurationError(
                f"{redact(self.base_url(request))!r} is not a URL a request can go to (an endpoint= or "
                "base_url that is not http(s)://host[:port])."
            )
        except ValueError:  # after UnicodeEncodeError, one too: json.dumps refusing NaN or Infinity
            failure = ConfigurationError(
                "The request could not be sent: its JSON body holds NaN or Infinity, which JSON cannot "
                "carry (a float argument such as clock.advance(seconds), or a payload or event)."
            )
        else:
            # Its user info as basic auth, out of the URL httpx logs at INFO (httpx_userinfo.py).
            http_request.url, auth = userinfo_as_auth(http_request.url, auth)
            return http_request, auth
        raise failure

    def is_safe(self, request: ApiRequest) -> bool:
        return self.retry.is_safe(request.method, request.idempotent)

    def answer(
        self, request: ApiRequest, response: httpx.Response, *, maybe_done: bool
    ) -> httpx.Response | APIStatusError:
        """What the flow gets for `response`: itself when 2xx, else its APIStatusError, but for a
        404 answering a retry of a `gone_is_done` DELETE after an attempt that may have deleted
        (`maybe_done`): that attempt's answer was lost, and the 404 says the thing is gone, which is
        what the call asked for (RFC 9110 §9.2.2: a repeated DELETE has the same effect, not the
        same answer). The flow gets a bodiless 204 in its place, keeping the request id."""
        if response.is_success:  # a 3xx too is an error: no redirect is followed
            return response
        if maybe_done and request.gone_is_done and response.status_code == 404:
            headers = {k: v for k, v in response.headers.items() if k.lower() == REQUEST_ID_HEADER.lower()}
            return httpx.Response(204, headers=headers, request=response.request)
        return status_error_from_response(response)

    @staticmethod
    def may_have_acted(error: APIError) -> bool:
        """Whether the server may have carried out an attempt that failed with `error`: its answer
        was lost after the request left (a read timeout, a reset), or a 500, or a gateway's 502/504
        (the gateway may have passed it on). A 429, a 503 or no connection made mean it did not."""
        if isinstance(error, APIStatusError):
            return error.status_code in (500, 502, 504)
        return isinstance(error, APIConnectionError) and error.sent

    def retry_delay(self, error: APIError, *, retries_done: int, started: float, safe: bool) -> float | None:
        status = error.status_code if isinstance(error, APIStatusError) else None
        if status is None and not isinstance(error, APIConnectionError):
            return None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        return self.retry.next_delay(
            retries_done=retries_done,
            elapsed=self.retry.clock() - started,
            safe=safe,
            status=status,
            retry_after=retry_after,
            sent=not isinstance(error, APIConnectionError) or error.sent,
        )


def arguments(build: Callable[[], M], names: Mapping[str, str] | None = None) -> M:
    """A request body built from the caller's arguments; one they do not fit (`stage="cert"`) is a
    ConfigurationError naming the field, before anything is sent (pydantic's ValidationError
    escaped `except LocalexaClientError`). `names` maps a wire field to the caller's parameter
    (`{"id": "test_plan_id"}`: the error named the wire's `id`; cliq QA of 2026-12-07)."""
    problem: str
    try:
        return build()
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = (names or {}).get(wire := ".".join(str(part) for part in first["loc"]), wire)
        problem = f"{where}: {first['msg']}" if where else str(first["msg"])
    # Outside the `except`, unchained: pydantic's error quotes the input (a code, a verifier).
    raise ConfigurationError(problem)


def parse_model(response: httpx.Response, model: type[M]) -> M:
    """The response body as `model`; a body that does not fit is APIResponseValidationError."""
    problem: object
    try:
        parsed = model.model_validate_json(response.content)
    except pydantic.ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[:3]
        if any(error["type"] == "json_invalid" for error in problem):
            # As `json_body` says it (a proxy's HTML page, a captive portal), not pydantic's list.
            raise APIResponseValidationError(
                f"{response.request.method} {response.request.url.path} answered a body that is not JSON.",
                response=response,
            ) from None
    else:
        unknown = _only_unknown_keys(parsed)
        if not unknown:
            return parsed
        # Models keep unknown fields and default every list, so any JSON object fitted; an object
        # with keys but none of the model's is another server's answer (a proxy's, a captive
        # portal's), not an empty page.
        problem = f"none of its fields, only {unknown}"
    # Raised outside the `except`, unchained: pydantic's own error quotes the input (a client
    # secret or token beside the field that failed) and would print it in every traceback.
    raise APIResponseValidationError(
        f"{response.request.method} {response.request.url.path} answered a body that is not a "
        f"{model.__name__}: {problem}",
        response=response,
    )


def expect_no_content(response: httpx.Response, expected: int = 204) -> None:
    """These calls' answer has no body: `expected` is the status Amazon (and localexa) answer them
    with (204; 202 for events, 200 for the Credential Locker's PUT and the customer's DELETE).
    Nothing of the answer is read, so without this check any 2xx passed: a 2xx that carries a
    body is not their answer (a proxy's sign-in page, a captive portal, a wrong base URL) but
    APIResponseValidationError, never a success (an HTML 200 read as "enabled", or as an event
    accepted, is the risk). Only the body is checked: another 2xx without one is let through."""
    if response.status_code != 204 and response.content.strip():
        where = (
            "204 No Content was expected"
            if expected == 204
            else f"{expected} {HTTPStatus(expected).phrase} without a body was expected"
        )
        raise APIResponseValidationError(
            f"{response.request.method} {response.request.url.path} answered {response.status_code} "
            f"with a body where {where}.",
            response=response,
        )


def _only_unknown_keys(parsed: pydantic.BaseModel) -> list[str]:
    """The keys of an object that set none of its model's fields (up to 5, cut to 40 characters);
    empty when a field was set, or the object was `{}`."""
    extra = parsed.model_extra or {}
    if not extra or not type(parsed).model_fields or not parsed.model_fields_set <= extra.keys():
        return []
    return [key[:40] for key in list(extra)[:5]]


def json_body(response: httpx.Response) -> Any:
    """The response body as JSON; a body that is not JSON is APIResponseValidationError."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise APIResponseValidationError(
            f"{response.request.method} {response.request.url.path} answered a body that is not JSON.",
            response=response,
        ) from exc


def dump(model: pydantic.BaseModel) -> Any:
    """A request model in its wire form: camelCase aliases, unset optionals left out."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)
