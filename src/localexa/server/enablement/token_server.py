"""Alexa's side of the skill's OAuth 2.0 token endpoint (`accountLinking.accessTokenUrl`).

What Alexa sends (spec alexa-api-surface.md §5, RFC 6749):
- authorization code grant (§4.1.3): `grant_type=authorization_code`, `code`, `redirect_uri`, and
  `code_verifier` when the app used PKCE (RFC 7636 §4.5);
- refresh grant (§6): `grant_type=refresh_token`, `refresh_token`;
- client authentication by `accessTokenScheme`: HTTP_BASIC sends `Authorization: Basic
  base64(clientId:clientSecret)` (§2.3.1), REQUEST_BODY_CREDENTIALS sends `client_id` and
  `client_secret` form fields; a client without a secret sends only `client_id` (§3.2.1);
- the whole exchange must finish within the budget (Amazon allows 4.5 s).

A successful answer is a 2xx JSON object with a non-empty `access_token` (§5.1). Anything else
(error status, timeout, unreachable, not JSON, no token) is `TokenServerRefused`; the service
turns it into the API's error. httpx never leaks out of here (core.http wraps it).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any

from localexa.server.core.http import OutboundError, OutboundHttp
from localexa.server.directives.scrub import MIN_SECRET_LENGTH, scrub_bytes

#: Longer tokens are refused rather than stored (LWA's own limit is 2048 bytes; skills vary).
MAX_TOKEN_CHARS = 8192
#: The form fields whose values are secrets, hidden wherever the answer echoes them.
_SECRET_FIELDS = ("code", "refresh_token", "code_verifier", "client_secret")


class TokenServerRefused(Exception):
    """The skill's token endpoint did not hand out tokens. `reason` is safe to log (no secrets);
    `status` is the HTTP status when there was an answer, `error` its RFC 6749 §5.2 code."""

    def __init__(self, reason: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.error = error


@dataclass(frozen=True)
class LinkClient:
    """Alexa's client registration at the skill's OAuth server (from the skill's accountLinking)."""

    token_url: str
    client_id: str
    client_secret: str | None = field(repr=False)
    scheme: str  # HTTP_BASIC | REQUEST_BODY_CREDENTIALS
    redirect_urls: tuple[str, ...]
    default_expires_in: int | None


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None


async def exchange_code(
    outbound: OutboundHttp,
    client: LinkClient,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    timeout: float,
) -> TokenGrant:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    return await _token_request(outbound, client, form, timeout)


async def refresh(
    outbound: OutboundHttp, client: LinkClient, *, refresh_token: str, timeout: float
) -> TokenGrant:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await _token_request(outbound, client, form, timeout)


def _authenticate(client: LinkClient, form: dict[str, str]) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if client.client_secret is None:
        form["client_id"] = client.client_id
    elif client.scheme == "REQUEST_BODY_CREDENTIALS":
        form["client_id"] = client.client_id
        form["client_secret"] = client.client_secret
    else:
        pair = f"{client.client_id}:{client.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return headers


async def _token_request(
    outbound: OutboundHttp, client: LinkClient, form: dict[str, str], timeout: float
) -> TokenGrant:
    headers = _authenticate(client, form)
    # A token server may echo what it was sent (the code, the refresh token, the client secret)
    # anywhere in its answer, in fields no redaction rule knows by name: the journal never sees them.
    sent = [form.get(key) for key in _SECRET_FIELDS] + [client.client_secret]
    secrets = tuple(
        sorted({v for v in sent if v is not None and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    )
    try:
        # `timeout` bounds the whole exchange (OutboundHttp's own deadline: a server that trickles
        # bytes cannot stretch the 4.5 s budget). No deadline of our own around it: set first and
        # as long, it fired first and cancelled the call before OutboundHttp journaled it, so an
        # exchange that timed out left no outbound entry (review of hang-ups, 2026-12-07).
        answer = await outbound.request(
            "POST",
            client.token_url,
            timeout=timeout,
            headers=headers,
            data=form,
            journaled=lambda body: scrub_bytes(body, secrets),
        )
    except OutboundError as exc:
        if exc.timed_out:
            raise TokenServerRefused(f"the token endpoint did not answer within {timeout:g} s") from exc
        raise TokenServerRefused(exc.reason) from exc
    body = _json_object(answer.body)
    if not 200 <= answer.status < 300:
        error = body.get("error") if body is not None else None
        raise TokenServerRefused(
            f"the token endpoint answered {answer.status}",
            status=answer.status,
            error=error if isinstance(error, str) else None,
        )
    if body is None:
        raise TokenServerRefused("the token endpoint did not answer a JSON object", status=answer.status)
    return _grant(body, answer.status)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: an answer nested deeper than the parser can go from where it runs.
        return None
    return value if isinstance(value, dict) else None


def _token(value: Any) -> str | None:
    """A token localexa can keep: a non-empty string of at most MAX_TOKEN_CHARS that is text (a
    lone UTF-16 surrogate, which JSON's `\\ud800` can spell, is no character and cannot be sealed)."""
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_CHARS:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _grant(body: dict[str, Any], status: int) -> TokenGrant:
    access = _token(body.get("access_token"))
    if access is None:
        raise TokenServerRefused("the token endpoint answered without a usable access_token", status=status)
    refresh_token = _token(body.get("refresh_token"))
    return TokenGrant(access_token=access, refresh_token=refresh_token, expires_in=_expires_in(body))


def _expires_in(body: dict[str, Any]) -> int | None:
    """`expires_in` as a positive whole number of seconds, a fraction rounded up (0.5 -> 1,
    1.2 -> 2); absent or unusable values (0, negative, not a number, 10**9 s or more) fall back
    to the skill's default (spec §5: defaultTokenExpirationInSeconds)."""
    value = body.get("expires_in")
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    # Rounded up, never down: int(0.5) is 0, which `store_grant` reads as "no expires_in" and
    # kept a half-second token for the default's hour. Kept below 10**9 s as the skill's own
    # default is bounded.
    if isinstance(value, int | float) and 0 < value < 10**9:
        return min(math.ceil(value), 10**9 - 1)
    return None
