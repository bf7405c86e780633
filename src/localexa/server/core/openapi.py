"""The OpenAPI document (`/_localexa/openapi.json`) says what every route answers, errors included.

FastAPI documents the success of each route and a 422 `HTTPValidationError` that localexa never
sends (a bad request is a 400 in the API's own shape, core.errors). `install_openapi` post-
processes the generated document once, so no area has to declare its errors route by route:

- each operation gets the error responses its API family sends (the family comes from the path
  prefix, like the error renderer's: server/api.py FAMILIES), with that family's wire shape
  (spec alexa-api-surface.md §1.3 SMAPI, §1.2 customer, §3 LWA, §4 event gateway, §7 Credential
  Locker; admin-api.md `{"message"}`);
- which statuses: 400 (validation), 429 (rate limits and injected faults), 500 and 503 on every
  operation, as Amazon lists them on every operation; 401 when the route takes a credential, 403
  when it takes an LWA token (scopes, permissions); 404 when the path, the token or the body
  names something (every call but the unauthenticated reads); 409, 413 and 415 when it writes
  (413 and 415 only for the event gateway and LWA's token endpoint, whose writes cannot
  conflict); a 415 (a body with a `Content-Encoding` other than identity, core/codings.py)
  carries `Accept-Encoding`;
- the 422 FastAPI invented is dropped; what an area declared itself is kept as it is;
- security schemes: an LWA bearer token (`Authorization: Bearer …`) or the admin key header,
  found from the route's own dependencies (core.auth), so a client (and a fuzzer) knows which
  credential each call takes; the token endpoint's HTTP Basic client authentication, which its
  route declares itself (lwa/schemas.py), as routes that read their token themselves do;
- every response carries `X-Amzn-RequestId` (core.request_id); a 429 carries `Retry-After`; a
  401 of a token API `WWW-Authenticate` (as SMAPI's own spec.json lists it);
- the error schemas of the gateway and LWA enumerate their `code` / `error` values (core.errors);
- OpenAPI `links` (`LINKS`) where a success's body or request feeds another operation's
  parameters: an id a create returns names the resource in its get and delete, an enablement's
  path is the path of its get and its disable, a stored Thread network is looked up by its
  Extended PAN ID. A client learns how the calls chain, and a stateful fuzzer
  (tests/fuzz/test_openapi_stateful.py) runs the sequences (create, get, delete, get again)
  where single calls with random ids would only meet 404s.

Parameters that a handler validates itself, so that a bad value gets the API's own error code
(SMAPI's `INVALID_STAGE`, `MISSING_PARAMETER`, …) rather than FastAPI's, are declared as plain
strings; `documented` makes the document show what the handler really accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from localexa.server.core import auth
from localexa.server.core.errors import EVENT_GATEWAY_CODES, LWA_ERROR_CODES, ApiFamily
from localexa.server.core.families import FamilyRouter
from localexa.server.core.openapi_links import add_links

_MESSAGE = {"type": "string"}
_VIOLATIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    },
}

#: Components added to `components.schemas`; names are prefixed so no area's model is shadowed.
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "SmapiBadRequestError": {
        "type": "object",
        "description": "SMAPI BadRequestError (400, 403): the message and each violated rule.",
        "required": ["message", "violations"],
        "properties": {"code": _MESSAGE, "message": _MESSAGE, "violations": _VIOLATIONS},
    },
    "SmapiStandardizedError": {
        "type": "object",
        "description": "SMAPI StandardizedError / Error: a code and a message.",
        "required": ["code", "message"],
        "properties": {"code": _MESSAGE, "message": _MESSAGE, "violations": _VIOLATIONS},
    },
    "MessageError": {
        "type": "object",
        "description": "The customer APIs' and the admin API's error: a message.",
        "required": ["message"],
        "properties": {"message": _MESSAGE},
    },
    "CodeMessageError": {
        "type": "object",
        "description": "The Credential Locker's error: a code and a message.",
        "required": ["code", "message"],
        "properties": {"code": _MESSAGE, "message": _MESSAGE},
    },
    "LwaOAuthError": {
        "type": "object",
        "description": "Login with Amazon's RFC 6749 §5.2 error.",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string", "enum": list(LWA_ERROR_CODES)},
            "error_description": _MESSAGE,
        },
    },
    "EventGatewayError": {
        "type": "object",
        "description": "The event gateway's error: a System.Exception header and a code.",
        "required": ["header", "payload"],
        "properties": {
            "header": {
                "type": "object",
                "required": ["namespace", "name", "messageId"],
                "properties": {"namespace": _MESSAGE, "name": _MESSAGE, "messageId": _MESSAGE},
            },
            "payload": {
                "type": "object",
                "required": ["code", "description"],
                "properties": {
                    "code": {"type": "string", "enum": list(EVENT_GATEWAY_CODES)},
                    "description": _MESSAGE,
                },
            },
        },
    },
}

_REASONS = {
    400: "The request is not valid.",
    401: "The credential is missing, not valid or expired.",
    403: "The credential does not allow this call.",
    404: "The resource does not exist.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "The request body has a Content-Encoding other than identity (gzip, br, …); send it uncoded.",
    429: "Too many requests: retry after `Retry-After` seconds.",
    500: "An internal error occurred.",
    503: "The service is unavailable.",
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "LwaBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A Login with Amazon access token (`Atza|…`, a client-credentials one `Atc|…`); "
        "the bare token is accepted too.",
    },
    "AdminKey": {"type": "apiKey", "in": "header", "name": "X-Localexa-Admin-Key"},
    "LwaClientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "Client authentication at the token endpoint (RFC 6749 §2.3.1): the client id "
        "and secret; `client_id` and `client_secret` in the body do as well.",
    },
}

_REQUEST_ID_HEADER = {
    "X-Amzn-RequestId": {
        "description": "The request's id, also in the server's log lines.",
        "required": True,
        "schema": {"type": "string"},
    }
}
_ACCEPT_ENCODING_HEADER = {
    "Accept-Encoding": {
        "description": "The content codings a body may come in: `identity` (RFC 9110 §12.5.3).",
        "required": True,
        "schema": {"type": "string", "enum": ["identity"]},
    }
}
_RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait.", "required": True, "schema": {"type": "string"}}
}
_CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": "How to authenticate: a `Bearer` challenge (RFC 6750 §3), `Basic` at the "
        "token endpoint (invalid_client).",
        "required": True,
        "schema": {"type": "string"},
    }
}
#: On a 403 only when the token lacks a scope or permission (core.auth.insufficient_scope): not
#: required, since other 403s (another vendor's skill, another region) carry none.
_SCOPE_CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": 'When the token lacks what the route needs: `Bearer realm="localexa", '
        'error="insufficient_scope", scope="…"` (RFC 6750 §3.1), naming the scopes.',
        "required": False,
        "schema": {"type": "string"},
    }
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
#: The families whose 401s carry `WWW-Authenticate` (core.errors.render_error).
_CHALLENGED = frozenset(
    {ApiFamily.SMAPI, ApiFamily.CUSTOMER, ApiFamily.EVENTS, ApiFamily.CREDENTIAL_LOCKER}
    | {ApiFamily.LWA, ApiFamily.LWA_TOKEN}
)
#: Writes that cannot conflict: the gateway queues an event and the token endpoint issues fresh
#: tokens, neither under a name the caller chose, so neither answers 409.
_NO_CONFLICT = frozenset({ApiFamily.EVENTS, ApiFamily.LWA_TOKEN})
_TOKEN_FAMILIES = frozenset(
    {ApiFamily.SMAPI, ApiFamily.CUSTOMER, ApiFamily.EVENTS, ApiFamily.CREDENTIAL_LOCKER}
)


#: The characters Python's `\s` (and `str.isspace`, `str.strip`) take for white space, spelled out
#: for a `pattern` of the document: ECMA 262's `\s` (what the document's patterns mean, JSON Schema
#: 2020-12 §6.4) lacks U+001C–U+001F and U+0085 and adds U+FEFF, and schemathesis reads `\s` as
#: ASCII only, so a pattern written with `\s` let values through that a validator using Python's
#: `\s` refused (an e-mail holding U+00A0). Put in a character class, it means the same everywhere.
PYTHON_SPACE = r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

#: Set in a parameter's schema by `documented(required=True)`; `_describe` moves it to the parameter.
_REQUIRED_MARK = "x-localexa-required"


def documented(schema: dict[str, Any], *, required: bool = False) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` for a parameter its handler validates itself: the document shows
    `schema` (the values the handler accepts: an enum, an integer range, a pattern) in place of
    the `string` or `string | null` it is declared as, and `required` when the handler refuses a
    call without it. The declared type stays loose on purpose: FastAPI's own validation would
    answer a bad value before the handler could, in a different shape."""

    def replace(generated: dict[str, Any]) -> None:
        kept: dict[str, Any] = {key: generated[key] for key in ("title", "description") if key in generated}
        generated.clear()
        generated.update(kept)
        generated.update(schema)
        if required:
            generated[_REQUIRED_MARK] = True

    return replace


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


#: Schemas an area describes by hand and uses in more than one place, added to
#: `components.schemas` under their names (`component`).
SHARED_SCHEMAS: dict[str, dict[str, Any]] = {}


def component(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A reference to `schema` as the component `name`, which the document then holds once: the
    snapshot `POST /_localexa/snapshot` answers and `POST /_localexa/restore` takes was written
    out in both places (since 2026-12-06 it is `#/components/schemas/Snapshot`)."""
    known = SHARED_SCHEMAS.setdefault(name, schema)
    if known != schema:
        raise ValueError(f"two schemas named {name}")
    return _ref(name)


def error_content(family: ApiFamily, status: int) -> dict[str, Any]:
    """The `content` of an error response of `family` (the shapes core.errors.render_error sends)."""
    if family is ApiFamily.LWA_PAGE:  # sign-in pages answer a person with HTML, errors too
        return {"text/html": {"schema": {"type": "string"}}}
    if family is ApiFamily.SMAPI:
        name = "SmapiBadRequestError" if status in (400, 403) else "SmapiStandardizedError"
    elif family in (ApiFamily.LWA, ApiFamily.LWA_TOKEN):
        name = "LwaOAuthError"
    elif family is ApiFamily.EVENTS:
        name = "EventGatewayError"
    elif family is ApiFamily.CREDENTIAL_LOCKER:
        name = "CodeMessageError"
    else:
        name = "MessageError"
    return {"application/json": {"schema": _ref(name)}}


def _walk(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _walk(sub)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route with its effective path, methods and dependencies (router prefixes and
    router-level dependencies applied). FastAPI ≥ 0.160 keeps included routers as wrappers and
    exposes the effective routes through `iter_route_contexts`; older ones list them flat."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        yield from (route for route in app.routes if isinstance(route, APIRoute))
        return
    for context in iterate(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _credentials(route: Any, family: ApiFamily) -> tuple[bool, bool]:
    """(takes an LWA token, takes the admin key), from the route's dependencies and its family."""
    calls = list(_walk(route.dependant))
    admin = auth.require_admin_key in calls
    bearer = family in _TOKEN_FAMILIES or any(
        call is auth.any_token or getattr(call, "__qualname__", "").startswith("require_scopes.")
        for call in calls
    )
    return bearer and not admin, admin


def error_statuses(
    path: str, method: str, *, bearer: bool, admin: bool, family: ApiFamily | None = None
) -> list[int]:
    statuses = [400]
    if bearer or admin:
        statuses.append(401)
    if bearer:
        statuses.append(403)
    if "{" in path or bearer or admin or method in _WRITES:
        statuses.append(404)  # the path, the token or the body names something that may not exist
    if method in _WRITES:
        statuses += [413, 415] if family in _NO_CONFLICT else [409, 413, 415]
    return [*statuses, 429, 500, 503]


def add_error_responses(doc: dict[str, Any], app: FastAPI, families: FamilyRouter) -> dict[str, Any]:
    """Describe each operation's errors, credentials and headers in `doc` (in place; returned)."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in {**ERROR_SCHEMAS, **SHARED_SCHEMAS}.items():
        schemas.setdefault(name, schema)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for route in _api_routes(app):
        if not route.include_in_schema:
            continue
        family = families.family_for(route.path_format)
        bearer, admin = _credentials(route, family)
        for method in route.methods:
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            _describe(operation, route.path_format, method.lower(), family, bearer=bearer, admin=admin)
    if not _mentions(paths, "HTTPValidationError"):
        schemas.pop("HTTPValidationError", None)
        if not _mentions(schemas, "#/components/schemas/ValidationError"):
            schemas.pop("ValidationError", None)
    return doc


def _describe(
    operation: dict[str, Any], path: str, method: str, family: ApiFamily, *, bearer: bool, admin: bool
) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("schema", {}).pop(_REQUIRED_MARK, False):
            parameter["required"] = True
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared_422 = responses.get("422", {})
    if "HTTPValidationError" in str(declared_422):
        del responses["422"]  # FastAPI's default; validation errors are 400s in the family's shape
    for status in error_statuses(path, method, bearer=bearer, admin=admin, family=family):
        responses.setdefault(
            str(status), {"description": _REASONS[status], "content": error_content(family, status)}
        )
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        for name, header in _REQUEST_ID_HEADER.items():
            headers.setdefault(name, header)
        if code == "429":
            for name, header in _RETRY_AFTER_HEADER.items():
                headers.setdefault(name, header)
        if code == "415":
            for name, header in _ACCEPT_ENCODING_HEADER.items():
                headers.setdefault(name, header)
        if code == "401" and not admin and family in _CHALLENGED:
            # As SMAPI's spec.json lists it on its 401s (core.errors sends it on every one).
            for name, header in _CHALLENGE_HEADER.items():
                headers.setdefault(name, header)
        if code == "403" and bearer and not admin and family in _CHALLENGED:
            for name, header in _SCOPE_CHALLENGE_HEADER.items():
                headers.setdefault(name, header)
    if admin:
        operation.setdefault("security", [{"AdminKey": []}])
    elif bearer:
        operation.setdefault("security", [{"LwaBearer": []}])


def _mentions(tree: Any, needle: str) -> bool:
    return needle in str(tree)


def install_openapi(app: FastAPI, families: FamilyRouter) -> None:
    """Make `app.openapi()` (and `/_localexa/openapi.json`) serve the described document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(add_error_responses(generate(), app, families))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
