"""Sending events to Alexa: `POST {base_url}/v3/events` (spec §4, docs "send events").

The bearer token is the customer's LWA token from the AcceptGrant exchange. The client puts it
in the `Authorization` header and in the event's scope, refreshes it at LWA before it expires,
and once more when the gateway answers 401 (a token revoked or expired early). Concurrent sends
on one event loop share one refresh: the first refreshes, the others wait for it and use its token.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from localexa.error_pickling import reduce_error
from localexa.skill.clock import Now, utc_now
from localexa.skill.grants import LWA_BASE_URL, GrantExchangeError, GrantTokens, refresh_grant_tokens
from localexa.skill.http import failure_text, new_client, sent_url, shown_url, unsendable_url

EVENTS_BASE_URL = "https://api.amazonalexa.com"
#: Amazon's event gateway of each region (docs "send events"): a skill sends a customer's events
#: to the gateway of the customer's region, which it learns from the regional endpoint (the
#: manifest's `regions`) that received the customer's AcceptGrant.
EVENTS_BASE_URLS = {
    "NA": EVENTS_BASE_URL,
    "EU": "https://api.eu.amazonalexa.com",
    "FE": "https://api.fe.amazonalexa.com",
}
EVENTS_PATH = "/v3/events"

OnRefresh = Callable[[GrantTokens], Awaitable[None] | None]


class EventGatewayError(Exception):
    """The gateway refused the event (`code` e.g. SKILL_DISABLED_EXCEPTION) or was unreachable."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without calling __init__, which may take more than the message (error_pickling.py).
        return reduce_error(self)

    def __init__(self, status: int | None, code: str, description: str | None = None) -> None:
        # No status when there was no answer (unreachable, or the event was refused before sending):
        # the text began "None UNREACHABLE: …".
        head = f"{status} {code}" if status is not None else code
        super().__init__(f"{head}: {description}" if description else head)
        self.status = status
        self.code = code
        self.description = description


class TokenRefreshFailed(EventGatewayError, GrantExchangeError):
    """`send` could not refresh the token at LWA (`error` e.g. invalid_grant: the skill was disabled
    and its refresh token revoked). Both an EventGatewayError (`code` TOKEN_REFRESH_FAILED) and the
    GrantExchangeError LWA answered, so either `except` catches it."""

    def __init__(self, cause: GrantExchangeError) -> None:
        Exception.__init__(self, f"TOKEN_REFRESH_FAILED: {cause}")
        self.status = cause.status
        self.code = "TOKEN_REFRESH_FAILED"
        self.error = cause.error
        self.description = cause.description


@dataclass(frozen=True)
class EventReceipt:
    status: int
    request_id: str | None


class EventGatewayClient:
    def __init__(
        self,
        tokens: GrantTokens,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = EVENTS_BASE_URL,
        lwa_base_url: str = LWA_BASE_URL,
        on_refresh: OnRefresh | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        now: Now = utc_now,
    ) -> None:
        self._tokens = tokens
        self._client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.lwa_base_url = lwa_base_url
        self._on_refresh = on_refresh
        self._transport = transport
        self._timeout = timeout
        self._now = now
        # One refresh at a time per event loop (an asyncio.Lock belongs to the loop it first waits on).
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        #: Refreshes sends finished trying, and how the last one failed: sends that waited for a
        #: refresh that failed share its failure instead of each asking LWA again.
        self._refreshes_done = 0
        self._last_failure: GrantExchangeError | None = None

    def __repr__(self) -> str:
        # shown_url: without a password in the URL (it stood in the repr in clear until 2026-12-06).
        return f"EventGatewayClient(base_url={shown_url(self.base_url)}, client_id={self._client_id!r})"

    @property
    def tokens(self) -> GrantTokens:
        return self._tokens

    async def refresh(self) -> GrantTokens:
        """Trade the refresh token at LWA for a new access token (GrantExchangeError on refusal)."""
        async with self._refresh_lock():
            return await self._refresh()

    def _refresh_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _refresh_unless_replaced(self, stale: GrantTokens) -> GrantTokens:
        """Refresh `stale`, unless a concurrent send refreshed it meanwhile: then use its tokens;
        or its refresh failed while this one waited: then that failure (five sends waiting on a
        refused refresh asked LWA five times)."""
        done = self._refreshes_done  # read before waiting: a refresh that ends meanwhile counts
        async with self._refresh_lock():
            if self._tokens is not stale:
                return self._tokens
            if self._refreshes_done != done and self._last_failure is not None:
                raise TokenRefreshFailed(self._last_failure) from None
            try:
                tokens = await self._refresh()
            except GrantExchangeError as error:
                self._last_failure = error
                raise TokenRefreshFailed(error) from None
            finally:
                self._refreshes_done += 1
            self._last_failure = None
            return tokens

    async def _refresh(self) -> GrantTokens:
        self._tokens = await refresh_grant_tokens(
            self._tokens,
            self._client_id,
            self._client_secret,
            self.lwa_base_url,
            transport=self._transport,
            timeout=self._timeout,
            now=self._now,
        )
        if self._on_refresh is not None:
            result = self._on_refresh(self._tokens)
            if inspect.isawaitable(result):
                await result
        return self._tokens

    async def send(self, event: Mapping[str, Any]) -> EventReceipt:
        """Post one event; raises EventGatewayError unless the gateway accepts it (2xx), also when
        the token could not be refreshed (TokenRefreshFailed)."""
        tokens = self._tokens
        if tokens.expired(self._now()):
            tokens = await self._refresh_unless_replaced(tokens)
        answer = await self._post(event, tokens)
        if answer.status_code == 401 and tokens.refresh_token:
            tokens = await self._refresh_unless_replaced(tokens)
            answer = await self._post(event, tokens)
        if answer.status_code >= 300:
            code, description = _gateway_error(answer)
            raise EventGatewayError(answer.status_code, code, description)
        return EventReceipt(answer.status_code, answer.headers.get("x-amzn-requestid"))

    async def _post(self, event: Mapping[str, Any], tokens: GrantTokens) -> httpx.Response:
        token = tokens.access_token
        body = with_scope_token(event, token)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            # allow_nan=False: NaN or Infinity is no JSON; httpx raised a bare ValueError for it.
            content = json.dumps(body, allow_nan=False).encode()
        except (TypeError, ValueError) as error:
            raise EventGatewayError(None, "INVALID_EVENT", f"the event is not JSON: {error}") from None
        unsendable = unsendable_url(self.base_url + EVENTS_PATH)
        if unsendable is not None:
            raise EventGatewayError(None, "UNREACHABLE", unsendable)
        async with new_client(self._transport, self._timeout) as http:
            try:
                target, auth = sent_url(self.base_url + EVENTS_PATH)  # no password in httpx's log line
                return await http.post(target, content=content, headers=headers, auth=auth)
            except httpx.HTTPError as error:
                raise EventGatewayError(None, "UNREACHABLE", failure_text(error)) from None


def with_scope_token(event: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A copy of the event whose scope (endpoint.scope, or payload.scope for discovery reports)
    carries `token`."""
    body: dict[str, Any] = copy.deepcopy(dict(event))
    inner = body.get("event")
    if not isinstance(inner, dict):
        return body
    scope = {"type": "BearerToken", "token": token}
    if isinstance(inner.get("endpoint"), dict):
        inner["endpoint"]["scope"] = scope
    elif isinstance(inner.get("payload"), dict) and "scope" in inner["payload"]:
        inner["payload"]["scope"] = scope
    return body


def _gateway_error(answer: httpx.Response) -> tuple[str, str | None]:
    """`payload.code/description` per spec §4; some clients see `payload.type/message`: read both."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    payload = body.get("payload") if isinstance(body, dict) else None
    if isinstance(payload, dict):
        code = payload.get("code") or payload.get("type")
        description = payload.get("description") or payload.get("message")
        if isinstance(code, str):
            return code, description if isinstance(description, str) else None
    return f"HTTP_{answer.status_code}", None
