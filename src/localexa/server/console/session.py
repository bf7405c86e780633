"""The console's sign-in: a signed session cookie and a CSRF token bound to it.

The cookie (`localexa_console`) is signed with itsdangerous under a key derived from the server
secret, is HttpOnly, SameSite=Strict, scoped to `/console`, and Secure when the server speaks
HTTPS. It holds a random CSRF token and a fingerprint of the admin key, so changing the admin
key signs every console user out. Every form carries the CSRF token; a POST whose token does not
match the cookie's is refused. Before sign-in the cookie carries only a CSRF token, which guards
the sign-in form itself.

Each session also carries a random id. Sign-out records it (console/sign_outs.py), so the cookie
no longer signs anyone in even if it was saved and is sent again before it expires.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from localexa.server.console.sign_outs import SignOuts
from localexa.server.observe.exchange import ADMIN_AUTHENTICATED

COOKIE = "localexa_console"
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    csrf: str
    signed_in: bool
    #: Random, fresh with every new session; what sign-out records.
    session_id: str


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    serializer: URLSafeTimedSerializer | None = getattr(state, "console_serializer", None)
    if serializer is None:
        # A key derived from the server secret: a keyed hash of a fixed label.
        serializer = URLSafeTimedSerializer(state.box.hash_token("localexa:console-session"), salt="console")
        state.console_serializer = serializer
    return serializer


def sign_outs(request: Request) -> SignOuts:
    state = request.app.state
    recorded: SignOuts | None = getattr(state, "console_sign_outs", None)
    if recorded is None:
        recorded = SignOuts(state.engine, lifetime_seconds=MAX_AGE_SECONDS)
        state.console_sign_outs = recorded
    return recorded


def admin_fingerprint(request: Request, key: str | None = None) -> str:
    box = request.app.state.box
    return str(box.hash_token("localexa:console-admin:" + (key or request.app.state.admin_key)))[:24]


async def read_session(request: Request) -> ConsoleSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    session_id = data.get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None  # a cookie from before sessions had ids: sign in again
    fingerprint = data.get("admin")
    signed_in = (
        isinstance(fingerprint, str)
        and hmac.compare_digest(fingerprint, admin_fingerprint(request))
        and not await sign_outs(request).signed_out(session_id)
    )
    if signed_in:
        mark_admin(request)
    return ConsoleSession(csrf=data["csrf"], signed_in=signed_in, session_id=session_id)


def mark_admin(request: Request) -> None:
    """The admin authenticated this call: the journal's caller is `admin` (observe/middleware.py
    `is_admin`), not the anonymous caller of a console call that is not signed in."""
    setattr(request.state, ADMIN_AUTHENTICATED, True)


def new_session(*, signed_in: bool) -> ConsoleSession:
    """A session with a fresh CSRF token and id (rotated at sign-in and sign-out)."""
    return ConsoleSession(
        csrf=secrets.token_urlsafe(24), signed_in=signed_in, session_id=secrets.token_urlsafe(24)
    )


def set_session_cookie(request: Request, response: Response, session: ConsoleSession) -> None:
    payload: dict[str, str] = {"csrf": session.csrf, "sid": session.session_id}
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


async def end_session(request: Request, response: Response, session: ConsoleSession) -> None:
    """Sign out: this session's cookie signs no one in again, here or in another process."""
    await sign_outs(request).record(session.session_id)
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
