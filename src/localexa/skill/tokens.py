"""Checking the user's access token (seed "Validate and Use Access Tokens in Skill Code").

A `TokenValidator` says VALID (with the user it identifies), EXPIRED or INVALID. Two come with
the kit: `IntrospectionValidator` asks the device cloud's OAuth server (RFC 7662), and
`CallableValidator` wraps your own function (e.g. a lookup in the device cloud's database).
`credential_error` turns EXPIRED / INVALID into the ErrorResponse Alexa expects.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

import httpx

from localexa.error_pickling import reduce_error
from localexa.skill.clock import Now, utc_now
from localexa.skill.errors import ExpiredAuthorizationCredential, InvalidAuthorizationCredential, SkillError
from localexa.skill.http import failure_text, new_client, not_a_url, sent_url, shown_url, unsendable_url


class TokenStatus(StrEnum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"


@dataclass(frozen=True)
class TokenCheck:
    """The verdict on one token; `subject` is the device cloud's user id when VALID."""

    status: TokenStatus
    subject: str | None = None
    scopes: tuple[str, ...] = ()
    client_id: str | None = None
    expires_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.status is TokenStatus.VALID

    @classmethod
    def valid_for(
        cls,
        subject: str,
        *,
        scopes: Iterable[str] = (),
        client_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> TokenCheck:
        """VALID for `subject`. The details by name (they were `**details: Any`: a misspelt one
        passed mypy and raised TypeError at run time)."""
        return cls(TokenStatus.VALID, subject, tuple(scopes), client_id, expires_at)

    @classmethod
    def expired(cls) -> TokenCheck:
        return cls(TokenStatus.EXPIRED)

    @classmethod
    def invalid(cls) -> TokenCheck:
        return cls(TokenStatus.INVALID)


class TokenValidationError(Exception):
    """The validator could not decide (the device cloud did not answer, or answered nonsense)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without calling __init__, which may take more than the message (error_pickling.py).
        return reduce_error(self)


class TokenValidator(Protocol):
    async def validate(self, token: str) -> TokenCheck: ...


def credential_error(check: TokenCheck) -> SkillError | None:
    """EXPIRED → EXPIRED_AUTHORIZATION_CREDENTIAL, INVALID → INVALID_AUTHORIZATION_CREDENTIAL."""
    if check.status is TokenStatus.EXPIRED:
        return ExpiredAuthorizationCredential()
    if check.status is TokenStatus.INVALID:
        return InvalidAuthorizationCredential()
    return None


class CallableValidator:
    """Adapts `check(token) -> TokenCheck` (plain or async) to the TokenValidator protocol."""

    def __init__(self, check: Callable[[str], TokenCheck | Awaitable[TokenCheck]]) -> None:
        self._check = check

    async def validate(self, token: str) -> TokenCheck:
        result = self._check(token)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, TokenCheck):
            raise TokenValidationError("the token check did not return a TokenCheck")
        return result


class IntrospectionValidator:
    """RFC 7662 token introspection: `POST url` with `token` and `token_type_hint=access_token`,
    authenticated as the resource server (HTTP Basic, §2.1, or body credentials).

    `active: true` → VALID, unless `exp` has passed (a cached or skewed answer) → EXPIRED.
    `active: false` → INVALID; EXPIRED only when the server discloses an `exp` that has passed
    (RFC 7662 §2.2 lets it say nothing more; servers that say this much let Alexa refresh instead
    of unlinking). An inactive token whose `exp` is still ahead was revoked (the user closed their
    account, say), so it stays INVALID: refreshing would not bring it back.
    `exp` is a NumericDate (a JSON number; a string of digits is read too). An `exp` that is no
    time (`"soon"`, `true`, a list, 1e20) makes the answer nonsense: TokenValidationError, never a
    token taken as unexpired.
    `issued_to`: the OAuth client the skill's tokens are issued to (the account-linking client
    Alexa uses). An active token whose answer names another `client_id` or `aud` is INVALID (a
    token your server issued to another app is no Alexa link); without it, any client's token is
    taken (RFC 7662 leaves the check to the resource server).
    """

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        auth: Literal["basic", "body"] = "basic",
        issued_to: str | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Now = utc_now,
    ) -> None:
        self.url = url
        self._client_id = client_id
        self._client_secret = client_secret
        self._auth = auth
        self._issued_to = issued_to
        self._timeout = timeout
        self._transport = transport
        self._now = now

    def __repr__(self) -> str:
        # shown_url: without a password in the URL (it stood in the repr in clear until 2026-12-06).
        return f"IntrospectionValidator(url={shown_url(self.url)}, client_id={self._client_id!r})"

    async def validate(self, token: str) -> TokenCheck:
        form = {"token": token, "token_type_hint": "access_token"}
        basic: httpx.BasicAuth | None = None
        if self._auth == "basic":
            basic = httpx.BasicAuth(self._client_id, self._client_secret)
        else:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        # A host no client can send, refused before any connection in the words of the kit's LWA
        # and gateway calls (localexa/idna_hosts.py); it went to httpx, which raised idna's
        # IDNAError or its own InvalidURL out of the kit, or to the socket layer or DNS.
        unsendable = unsendable_url(self.url)
        if unsendable is not None:
            raise TokenValidationError(f"introspection failed: {unsendable}")
        async with new_client(self._transport, self._timeout) as http:
            try:
                target, auth = sent_url(self.url, basic)  # no password in httpx's log line
                answer = await http.post(target, data=form, auth=auth)
            except httpx.HTTPError as error:
                # failure_text, as the kit's LWA and gateway calls: an untrusted CA, or a plain-HTTP
                # server behind an https:// URL, says so; it read only "ConnectError" (review 36b).
                raise TokenValidationError(f"introspection failed: {failure_text(error)}") from None
            except httpx.InvalidURL:  # no HTTPError: it escaped the kit as itself
                raise TokenValidationError(f"introspection failed: {not_a_url(self.url)}") from None
        if answer.status_code != 200:
            raise TokenValidationError(f"introspection answered HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise TokenValidationError("introspection answered a body that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
            raise TokenValidationError("introspection answer lacks the boolean 'active'")
        return self._verdict(body)

    def _verdict(self, body: dict[str, Any]) -> TokenCheck:
        expires_at = _epoch(body.get("exp"))
        now = self._now()
        passed = expires_at is not None and expires_at <= now
        if not body["active"]:
            # Inactive before its exp means revoked, not expired: EXPIRED would have Alexa refresh
            # and resend, INVALID has it ask the user to link again, which is what a revoked
            # token needs. Within INACTIVE_EXPIRY_SKEW of its exp it is taken as expired: the
            # authorization server's clock may run ahead of the skill's, and a relink for a token
            # that merely expired costs the customer far more than one refresh.
            expired = expires_at is not None and expires_at <= now + INACTIVE_EXPIRY_SKEW
            return TokenCheck.expired() if expired else TokenCheck.invalid()
        if passed:
            return TokenCheck.expired()
        if str(body.get("token_type", "")).lower() in _REFRESH_TYPES:
            # Active, but a refresh token: never a bearer credential (RFC 6749 §1.5, §10.4).
            return TokenCheck.invalid()
        subject = body.get("sub") or body.get("username")
        if not isinstance(subject, str) or not subject:
            raise TokenValidationError("an active token must name its user (sub or username)")
        scope = body.get("scope")
        client_id = body.get("client_id")
        if self._issued_to is not None and not _issued_to(body, self._issued_to):
            return TokenCheck.invalid()
        return TokenCheck(
            TokenStatus.VALID,
            subject,
            tuple(scope.split()) if isinstance(scope, str) else (),
            client_id if isinstance(client_id, str) else None,
            expires_at,
        )


def _issued_to(body: dict[str, Any], client_id: str) -> bool:
    """The answer's `client_id` is `client_id`; without one, its audiences (`aud`, a string or a
    list, RFC 7662 §2.2 / RFC 7519 §4.1.3) hold it. An answer naming neither cannot tell."""
    named = body.get("client_id")
    if named is not None:
        return bool(named == client_id)
    audience = body.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    return client_id in audiences


#: How far ahead of the skill's clock an inactive token's `exp` may be and still read as expired
#: (clock skew between the authorization server and the skill).
INACTIVE_EXPIRY_SKEW = timedelta(seconds=60)

#: `token_type` values of RFC 7662 answers that name a refresh token.
_REFRESH_TYPES = frozenset({"refresh_token", "refresh"})


#: An `exp` sent as a JSON string: digits, with an optional fraction ([0-9], not `\d`, which
#: would also take other scripts' digits).
_EPOCH_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _epoch(value: Any) -> datetime | None:
    """`exp` as a time, None when the answer has none (absent or null).

    Anything else that is not a number must not read as "no exp": that would let an expired
    token through (fail open), so it raises TokenValidationError like any other nonsense answer.
    """
    if value is None:
        return None
    # bool is an int subclass: without the check, `true` would read as 1970-01-01T00:00:01.
    number = isinstance(value, int | float) and not isinstance(value, bool)
    # RFC 7662 §2.2 says a JSON number, but some servers send the digits as a string.
    text = isinstance(value, str) and _EPOCH_TEXT.fullmatch(value) is not None
    if not (number or text):
        raise TokenValidationError(f"introspection answered an exp that is not a number: {value!r:.40}")
    try:
        seconds = value
        if text:
            # int() of thousands of digits raises ValueError (Python's int_max_str_digits): no time.
            seconds = float(value) if "." in value else int(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):  # 1e20, NaN, beyond the platform's range
        raise TokenValidationError(f"introspection answered an exp that is no time: {value!r:.40}") from None
