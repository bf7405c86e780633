"""The LWA side of AcceptGrant (spec §3, §4): trade the grant code for event-gateway tokens, and
refresh them.

Both post a form to `{lwa_base_url}/auth/o2/token`, authenticating with the skill's Alexa
credentials (Skill Credentials → skillMessagingCredentials). The code exchange sends no
`redirect_uri`, as Amazon's own AcceptGrant sample (`sample_async.py`) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from localexa.error_pickling import reduce_error
from localexa.skill.clock import Now, utc_now
from localexa.skill.http import failure_text, new_client, sent_url, unsendable_url

LWA_BASE_URL = "https://api.amazon.com"
TOKEN_PATH = "/auth/o2/token"


@dataclass(frozen=True)
class GrantTokens:
    """The customer's LWA token pair for `/v3/events`. Tokens stay out of the repr."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    token_type: str = "bearer"
    scope: str | None = None

    def expired(self, now: datetime, leeway: timedelta = timedelta(seconds=30)) -> bool:
        """True when the access token is expired or about to (`leeway`), so refresh before use."""
        return now + leeway >= self.expires_at


class GrantExchangeError(Exception):
    """LWA refused the code or refresh token, or could not be reached (`error` is the OAuth code)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without calling __init__, which may take more than the message (error_pickling.py).
        return reduce_error(self)

    def __init__(self, error: str, description: str | None = None, status: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


async def exchange_grant_code(
    code: str,
    client_id: str,
    client_secret: str,
    lwa_base_url: str = LWA_BASE_URL,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    now: Now = utc_now,
) -> GrantTokens:
    """`grant_type=authorization_code` at LWA for the AcceptGrant `grant.code`."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return await _token_request(lwa_base_url, form, transport, timeout, now, previous_refresh=None)


async def refresh_grant_tokens(
    tokens: GrantTokens,
    client_id: str,
    client_secret: str,
    lwa_base_url: str = LWA_BASE_URL,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    now: Now = utc_now,
) -> GrantTokens:
    """`grant_type=refresh_token` at LWA; keeps the old refresh token when LWA sends none back."""
    if not tokens.refresh_token:
        raise GrantExchangeError("invalid_grant", "there is no refresh token to use")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return await _token_request(
        lwa_base_url, form, transport, timeout, now, previous_refresh=tokens.refresh_token
    )


async def _token_request(
    base_url: str,
    form: dict[str, str],
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
    now: Now,
    previous_refresh: str | None,
) -> GrantTokens:
    url = base_url.rstrip("/") + TOKEN_PATH
    unsendable = unsendable_url(url)
    if unsendable is not None:  # no answer, as from an LWA that is down (README "skill kit")
        raise GrantExchangeError("server_error", f"LWA unreachable ({unsendable})")
    async with new_client(transport, timeout) as http:
        try:
            target, auth = sent_url(url)  # no password in httpx's log line
            answer = await http.post(target, data=form, headers={"Accept": "application/json"}, auth=auth)
        except httpx.HTTPError as error:
            reason = failure_text(error)  # an untrusted CA says so (since 2026-12-06)
            raise GrantExchangeError("server_error", f"LWA unreachable ({reason})") from None
    body = _json_object(answer)
    if answer.status_code != 200:
        code = body.get("error")
        description = body.get("error_description")
        raise GrantExchangeError(
            code if isinstance(code, str) else "server_error",
            description if isinstance(description, str) else None,
            answer.status_code,
        )
    access_token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
    if not isinstance(access_token, str) or not access_token or not _lifetime(expires_in):
        raise GrantExchangeError("server_error", "LWA answered without access_token / expires_in", 200)
    try:
        expires_at = now() + timedelta(seconds=float(expires_in))
    except OverflowError:  # a lifetime past the year 9999
        raise GrantExchangeError("server_error", "LWA answered an expires_in out of range", 200) from None
    refresh = body.get("refresh_token")
    scope = body.get("scope")
    return GrantTokens(
        access_token=access_token,
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
        expires_at=expires_at,
        token_type=str(body.get("token_type", "bearer")),
        scope=scope if isinstance(scope, str) else None,
    )


def _lifetime(value: Any) -> bool:
    """`expires_in` is a positive, finite number of seconds (not `true`, NaN, Infinity or -5)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < float("inf")


def _json_object(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
