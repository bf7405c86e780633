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
localexa's clock, so moving the clock ages pages and sessions like every other expiry: each value
carries its signing time to the microsecond and lives while its age is under the limit, as a
token or code does (itsdangerous' own check counts whole seconds, inclusive, so the limit
drifted between 900 and ~902 s). A value signed slightly "later" than this process's clock reads
(another process re-read the clock after an advance; its machine's wall clock runs ahead) is
taken within `SIGNED_CLOCK_SKEW`: itsdangerous refused any such value, which expired a page and
signed a browser out when two processes served it alternately.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.pagination import PAGE_TOKEN_CLOCK_SKEW

COOKIE_NAME = "localexa-lwa-session"
COOKIE_PATH = "/ap/"
REQUEST_MAX_AGE = timedelta(minutes=15)
_REQUEST_SEAL_CONTEXT = "localexa:lwa:authorize-request"
SESSION_MAX_AGE = timedelta(hours=12)
#: How far "ahead" of this process's clock a signed value may be, as for page tokens.
SIGNED_CLOCK_SKEW = PAGE_TOKEN_CLOCK_SKEW
#: The payload key of a value's signing time (seconds since the epoch, on localexa's clock).
_ISSUED = "t"


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
        self._clock = clock
        key = box.hash_token("localexa:lwa:page-signing-key")
        kwargs: dict[str, Any] = {"signer": _ClockSigner, "signer_kwargs": {"clock": clock}}
        self._requests = URLSafeTimedSerializer(key, salt="localexa.lwa.authorize-request", **kwargs)
        self._sessions = URLSafeTimedSerializer(key, salt="localexa.lwa.session", **kwargs)

    # the OAuth request in a hidden field
    def sign_request(self, request: dict[str, Any]) -> str:
        payload = {"r": request, _ISSUED: self._clock.now().timestamp()}
        return self._box.seal(self._requests.dumps(payload), context=_REQUEST_SEAL_CONTEXT)

    def load_request(self, value: str | None) -> dict[str, Any] | None:
        """The signed request, or None when missing, tampered with or older than 15 minutes."""
        if not value:
            return None
        try:
            signed = self._box.open(value, context=_REQUEST_SEAL_CONTEXT)
            data, stamped = self._requests.loads(signed, return_timestamp=True)
        except (BadData, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("r"), dict):
            return None
        if not self._live(_issued(data, stamped), REQUEST_MAX_AGE):
            return None
        request: dict[str, Any] = data["r"]
        return request

    # the browser session
    def new_session(self, user_id: str | None = None) -> BrowserSession:
        return BrowserSession(session_id=secrets.token_urlsafe(24), user_id=user_id)

    def cookie_value(self, session: BrowserSession) -> str:
        issued = self._clock.now().timestamp()
        return self._sessions.dumps({"s": session.session_id, "u": session.user_id, _ISSUED: issued})

    def load_session(self, value: str | None) -> BrowserSession | None:
        if not value:
            return None
        try:
            data, stamped = self._sessions.loads(value, return_timestamp=True)
        except BadData:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        issued = _issued(data, stamped)
        if not self._live(issued, SESSION_MAX_AGE):
            return None
        user_id = data.get("u")
        return BrowserSession(
            session_id=data["s"],
            user_id=user_id if isinstance(user_id, str) else None,
            issued_at=datetime.fromtimestamp(issued, UTC),
        )

    def _live(self, issued: float, max_age: timedelta) -> bool:
        """Younger than `max_age` (exclusive, to the microsecond) and not signed further ahead of
        this clock than SIGNED_CLOCK_SKEW."""
        age = self._clock.now().timestamp() - issued
        return -SIGNED_CLOCK_SKEW.total_seconds() <= age < max_age.total_seconds()

    # CSRF
    def csrf_token(self, session: BrowserSession) -> str:
        return self._box.hash_token(f"localexa:lwa:csrf:{session.session_id}")

    def check_csrf(self, session: BrowserSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session).encode(), (token or "").encode())


def _issued(data: dict[str, Any], stamped: datetime) -> float:
    """The signing time a value carries; itsdangerous' whole-second stamp for one without it."""
    issued = data.get(_ISSUED)
    if isinstance(issued, int | float) and not isinstance(issued, bool):
        return float(issued)
    return stamped.timestamp()
