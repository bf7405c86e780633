"""State of the /ap/oa pages in signed values: the request, the session cookie and CSRF token.

- The OAuth request travels between the steps in a hidden form field, signed with itsdangerous
  (a timestamped HMAC) and refused after `REQUEST_MAX_AGE`: the pages cannot be fed a request
  /ap/oa did not validate, nor an old one. The signed value is then sealed (AES-GCM under the
  server secret): signed alone it was base64 JSON, so the journal's copy of each form body showed
  the request's `state`, redirect URI and PKCE challenge, and a `plain` challenge is the verifier.
- The browser session is a signed cookie `{"s": session id, "u": customer id or None}`. A visitor
  gets an anonymous session on the first page; signing in replaces it with a new id (no session
  fixation). It is HttpOnly, SameSite=Lax, Path=/ap/ and Secure over HTTPS. The one thing
  stored on the server is which sessions were signed out ("Not you?", sign_outs.py).
- Every form carries a CSRF token bound to the session id (a keyed hash of it). Sign-in is
  protected too (no login CSRF): a cross-site POST carries neither the Lax cookie nor the token.

Keys derive from the server secret through the SecretBox's keyed hash, and ages are measured on
localexa's clock, so moving the clock ages pages and sessions like every other expiry.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox

COOKIE_NAME = "localexa-lwa-session"
COOKIE_PATH = "/ap/"
REQUEST_MAX_AGE = timedelta(minutes=15)
_REQUEST_SEAL_CONTEXT = "localexa:lwa:authorize-request"
SESSION_MAX_AGE = timedelta(hours=12)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on localexa's clock instead of the wall clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock.now().timestamp())


@dataclass(frozen=True)
class BrowserSession:
    session_id: str
    user_id: str | None
    #: When its cookie was signed, on localexa's clock (None for a session not read from a cookie).
    issued_at: datetime | None = None


class PageSigner:
    def __init__(self, box: SecretBox, clock: Clock) -> None:
        self._box = box
        key = box.hash_token("localexa:lwa:page-signing-key")
        kwargs: dict[str, Any] = {"signer": _ClockSigner, "signer_kwargs": {"clock": clock}}
        self._requests = URLSafeTimedSerializer(key, salt="localexa.lwa.authorize-request", **kwargs)
        self._sessions = URLSafeTimedSerializer(key, salt="localexa.lwa.session", **kwargs)

    # the OAuth request in a hidden field
    def sign_request(self, request: dict[str, Any]) -> str:
        return self._box.seal(self._requests.dumps(request), context=_REQUEST_SEAL_CONTEXT)

    def load_request(self, value: str | None) -> dict[str, Any] | None:
        """The signed request, or None when missing, tampered with or older than 15 minutes."""
        if not value:
            return None
        try:
            signed = self._box.open(value, context=_REQUEST_SEAL_CONTEXT)
            data = self._requests.loads(signed, max_age=int(REQUEST_MAX_AGE.total_seconds()))
        except (BadData, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # the browser session
    def new_session(self, user_id: str | None = None) -> BrowserSession:
        return BrowserSession(session_id=secrets.token_urlsafe(24), user_id=user_id)

    def cookie_value(self, session: BrowserSession) -> str:
        return self._sessions.dumps({"s": session.session_id, "u": session.user_id})

    def load_session(self, value: str | None) -> BrowserSession | None:
        if not value:
            return None
        try:
            data, issued_at = self._sessions.loads(
                value, max_age=int(SESSION_MAX_AGE.total_seconds()), return_timestamp=True
            )
        except BadData:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        user_id = data.get("u")
        return BrowserSession(
            session_id=data["s"], user_id=user_id if isinstance(user_id, str) else None, issued_at=issued_at
        )

    # CSRF
    def csrf_token(self, session: BrowserSession) -> str:
        return self._box.hash_token(f"localexa:lwa:csrf:{session.session_id}")

    def check_csrf(self, session: BrowserSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session).encode(), (token or "").encode())
