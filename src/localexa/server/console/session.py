"""The console's sign-in: a signed session cookie and a CSRF token bound to it.

The cookie (`localexa_console`) is signed with itsdangerous under a key derived from the server
secret, is HttpOnly, SameSite=Strict, scoped to `/console`, and Secure when the server speaks
HTTPS. It holds a random CSRF token and a fingerprint of the admin key, so changing the admin
key signs every console user out. Every form carries the CSRF token; a POST whose token does not
match the cookie's is refused. Before sign-in the cookie carries only a CSRF token, which guards
the sign-in form itself.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

COOKIE = "localexa_console"
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    csrf: str
    signed_in: bool


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    serializer: URLSafeTimedSerializer | None = getattr(state, "console_serializer", None)
    if serializer is None:
        # A key derived from the server secret: a keyed hash of a fixed label.
        serializer = URLSafeTimedSerializer(state.box.hash_token("localexa:console-session"), salt="console")
        state.console_serializer = serializer
    return serializer


def admin_fingerprint(request: Request, key: str | None = None) -> str:
    box = request.app.state.box
    return str(box.hash_token("localexa:console-admin:" + (key or request.app.state.admin_key)))[:24]


def read_session(request: Request) -> ConsoleSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    fingerprint = data.get("admin")
    signed_in = isinstance(fingerprint, str) and hmac.compare_digest(fingerprint, admin_fingerprint(request))
    return ConsoleSession(csrf=data["csrf"], signed_in=signed_in)


def new_session(*, signed_in: bool) -> ConsoleSession:
    """A session with a fresh CSRF token (rotated at sign-in and sign-out)."""
    return ConsoleSession(csrf=secrets.token_urlsafe(24), signed_in=signed_in)


def set_session_cookie(request: Request, response: Response, session: ConsoleSession) -> None:
    payload: dict[str, str] = {"csrf": session.csrf}
    if session.signed_in:
        payload["admin"] = admin_fingerprint(request)
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(payload),
        max_age=MAX_AGE_SECONDS,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")


def csrf_ok(session: ConsoleSession | None, given: object) -> bool:
    return (
        session is not None
        and isinstance(given, str)
        and bool(given)
        and hmac.compare_digest(given.encode(), session.csrf.encode())
    )


def admin_key_ok(request: Request, given: object) -> bool:
    expected: str = request.app.state.admin_key
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())
