"""One error shape for all of My Lights: `{"error", "error_description"}` (RFC 6749 §5.2).

The token endpoint must answer that way, so the admin helpers, the resource server, the skill
endpoint and Starlette's own refusals (an unknown path, a wrong method, a form it cannot read)
answer the same, instead of a second `{"error", "message"}` shape and plain-text 404s and 405s.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# RFC 6749 §5.2 wants no-store on token errors; no other error is worth caching either.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


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
