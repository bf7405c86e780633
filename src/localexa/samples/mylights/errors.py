"""One error shape for all of My Lights: `{"error", "error_description"}` (RFC 6749 §5.2).

The token endpoint must answer that way, so the admin helpers, the resource server, the skill
endpoint and Starlette's own refusals (an unknown path, a wrong method, a form it cannot read)
answer the same, instead of a second `{"error", "message"}` shape and plain-text 404s and 405s.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("localexa.samples.mylights")

CUT_OFF_MESSAGE = "The connection ended before the request's body arrived whole; nothing of it was done."

# RFC 6749 §5.2 wants no-store on token errors; no other error is worth caching either.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_or_none(raw: bytes) -> Any:
    """The body's JSON value, or None when it is no JSON. JSON nested deeper than Python's recursion
    limit raises RecursionError, no ValueError: each handler caught only the latter, and My Lights
    answered 500 with a traceback (fuzz37 F3)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def error_response(
    error: str, description: str, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status, {**NO_STORE, **(headers or {})}
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (routing's 404 and 405, an unreadable form's 400) in that shape,
    keeping its headers (`Allow` on a 405)."""
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    headers = exc.headers or {}
    if exc.status_code == 404:
        return error_response("not_found", f"No route {request.url.path}.", 404, headers)
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        description = f"{request.method} is not allowed on {request.url.path}; use {allowed}."
        return error_response("invalid_request", description, 405, headers)
    error = "invalid_request" if exc.status_code < 500 else "server_error"
    return error_response(error, exc.detail, exc.status_code, headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug answers RFC 6749's `server_error`, not Starlette's plain text (Starlette raises the
    exception on after this answer, so the server still logs it)."""
    return error_response("server_error", "My Lights failed; see its log.", 500)


async def cut_off(request: Request, exc: Exception) -> Response:
    """A body whose connection ended before it arrived whole (Starlette's `ClientDisconnect`, from
    any route that reads one: `/skill`, `/token`, `PUT /lights/…`): its client left mid-upload, or
    `localexa serve`'s wire answered it itself (the stop's 503, a broken chunk's 400). No bug, so
    one warning line with the request's method and path, no traceback (it reached the log as
    "Exception in ASGI application" at level error). Nothing was done; the 400 goes to a
    connection still open, and nowhere otherwise (the server drops it). A warning, not info: run
    on its own (`python -m localexa.samples.mylights`) only uvicorn's loggers have a handler, and
    Python still prints a warning."""
    assert isinstance(exc, ClientDisconnect)  # registered for ClientDisconnect only
    logger.warning("%s %s: %s", request.method, request.url.path, CUT_OFF_MESSAGE)
    return error_response("invalid_request", CUT_OFF_MESSAGE, 400)
