"""Bearer auth for Alexa APIs, and LWA token auth that keeps its access token fresh.

`LwaTokenAuth` is an `httpx.Auth`, usable with any httpx client as well as with `Client`. It
refreshes the access token 60 s before it expires (as Amazon's own SDK does, spec §6), and once more
after a 401 (the server's clock may run ahead of ours: localexa can move time forward). Only one
refresh runs at a time, across threads (a `threading.Lock`) and across tasks (an `asyncio.Lock` per
event loop in front of it, so at most one task per loop polls for a thread's refresh). The refresh
itself is retried on 429/500/502/503/504 with the client's backoff (`RetryPolicy`).

The flow is written once (`_flow`) as a generator of steps, and driven by `sync_auth_flow` (blocking
lock, `time.sleep`) and `async_auth_flow` (awaited lock, `anyio.sleep`).
"""

from __future__ import annotations

import asyncio
import enum
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import anyio
import httpx
import pydantic

from localexa.client._bearer import BearerAuth, bearer_header_value
from localexa.client._errors import (
    APIResponseValidationError,
    ConfigurationError,
    status_error_from_response,
)
from localexa.client._retry import DEFAULT_RETRY, RetryPolicy
from localexa.client.messages import redact
from localexa.client.types.lwa import TokenResponse

__all__ = ["DEFAULT_TOKEN_URL", "BearerAuth", "LwaTokenAuth"]

DEFAULT_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


class _Lock(enum.Enum):
    ACQUIRE = "acquire"
    RELEASE = "release"


@dataclass(frozen=True)
class _Sleep:
    seconds: float


_Step = httpx.Request | _Lock | _Sleep


@dataclass(frozen=True)
class _TokenState:
    access_token: str | None
    expires_at: float | None


class LwaTokenAuth(httpx.Auth):
    """An LWA access token, refreshed with a refresh token or the client credentials grant.

    Give `refresh_token` (authorization code users: developers, customers) or `scope` (client
    credentials: skill messaging). `expires_at` is a `clock()` time (epoch seconds by default).
    Without `token_url`, refreshes go to the LWA host of the first `Client` it is given to
    (Amazon's `https://api.amazon.com/auth/o2/token` when used on its own). Its tokens are that
    host's: given to a client with another LWA host, it raises ConfigurationError (see
    `bind_token_url`).
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        scope: str | None = None,
        access_token: str | None = None,
        expires_at: float | None = None,
        token_url: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
        on_refresh: Callable[[TokenResponse], None] | None = None,
    ) -> None:
        if refresh_token is None and scope is None and access_token is None:
            raise ConfigurationError("LwaTokenAuth needs an access_token, a refresh_token or a scope.")
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.scope = scope
        self._token_url = token_url
        #: The token URL the first `Client` bound (or Amazon's, once a refresh went there unbound).
        self._bound_url: str | None = None
        self._bind_guard = threading.Lock()
        self._retry = retry
        self._margin = refresh_margin
        self._clock = clock
        self._on_refresh = on_refresh
        self._state = _TokenState(access_token, expires_at)
        self._lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._loop_locks_guard = threading.Lock()
        #: How many refreshes succeeded (observability; tests use it too).
        self.refresh_count = 0

    @classmethod
    def from_token(
        cls,
        token: TokenResponse,
        *,
        client_id: str,
        client_secret: str | None = None,
        scope: str | None = None,
        token_url: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Callable[[], float] = time.time,
        on_refresh: Callable[[TokenResponse], None] | None = None,
    ) -> LwaTokenAuth:
        """Start from a token response (code exchange, `POST /_localexa/tokens`)."""
        expires_at = clock() + token.expires_in if token.expires_in is not None else None
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=token.refresh_token,
            scope=scope,
            access_token=token.access_token,
            expires_at=expires_at,
            token_url=token_url,
            retry=retry,
            clock=clock,
            on_refresh=on_refresh,
        )

    @property
    def token_url(self) -> str:
        """Where refreshes go: given, else bound by the `Client` it was passed to, else Amazon's."""
        return self._token_url or self._bound_url or DEFAULT_TOKEN_URL

    def bind_token_url(self, token_url: str) -> None:
        """Point refreshes at `token_url` unless a URL was given explicitly (`Client` calls this).

        Only once: the access and refresh tokens belong to the LWA host that issued them, so a
        second client with another LWA host (another localexa, a mistyped base_url) could neither
        use the access token nor refresh it there. Refreshing at each client's own host would send
        one host's refresh token to the other and end in `invalid_grant` (or, worse, leak it), so
        binding a different URL raises ConfigurationError instead, when the client is made. The
        same host again (several clients, `with_options`, the regions of one server) is fine.
        """
        with self._bind_guard:
            if self._token_url is not None:
                return
            bound = self._bound_url
            if bound is None:
                self._bound_url = token_url
                return
        if _origin(bound) != _origin(token_url):  # raised outside the guard; no password shown
            raise ConfigurationError(
                f"This LwaTokenAuth refreshes at {redact(bound)!r} (the LWA host of the first client it "
                f"was given to, whose tokens it holds), not at this client's {redact(token_url)!r}. "
                "Make one LwaTokenAuth per LWA host, or pass token_url= to choose the host yourself."
            )

    def _bind_default(self) -> None:
        """A refresh made before any client bound a URL went to Amazon: the tokens are Amazon's."""
        with self._bind_guard:
            if self._token_url is None and self._bound_url is None:
                self._bound_url = DEFAULT_TOKEN_URL

    @property
    def access_token(self) -> str | None:
        return self._state.access_token

    @property
    def expires_at(self) -> float | None:
        return self._state.expires_at

    @property
    def can_refresh(self) -> bool:
        return self._refresh_token is not None or self.scope is not None

    def __repr__(self) -> str:
        return f"LwaTokenAuth(client_id={self.client_id!r}, expires_at={self._state.expires_at!r})"

    # -- the flow, written once -------------------------------------------------------------

    def _stale(self) -> bool:
        state = self._state
        if state.access_token is None:
            return True
        return state.expires_at is not None and self._clock() >= state.expires_at - self._margin

    def _grant_form(self) -> dict[str, str]:
        form = {"client_id": self.client_id}
        if self._refresh_token is not None:
            form.update(grant_type="refresh_token", refresh_token=self._refresh_token)
        else:
            assert self.scope is not None
            form.update(grant_type="client_credentials", scope=self.scope)
        if self._client_secret is not None:
            form["client_secret"] = self._client_secret
        return form

    def _refresh(self) -> Generator[_Step, httpx.Response | None, None]:
        self._bind_default()
        started, retries = self._retry.clock(), 0
        while True:
            request = httpx.Request("POST", self.token_url, data=self._grant_form())
            request.headers["Accept"] = "application/json"
            response = yield request
            assert response is not None
            if response.is_success:
                self._store(response)
                return
            error = status_error_from_response(response)
            delay = self._retry.next_delay(
                retries_done=retries,
                elapsed=self._retry.clock() - started,
                safe=True,  # a refresh grant is safe to repeat
                status=response.status_code,
                retry_after=error.retry_after,
            )
            if delay is None:
                raise error
            yield _Sleep(delay)
            retries += 1

    def _store(self, response: httpx.Response) -> None:
        try:
            token = TokenResponse.model_validate_json(response.content)
        except pydantic.ValidationError:
            token = None
        if token is None:  # raised unchained: pydantic's error would quote the refresh token
            raise APIResponseValidationError(
                "LWA answered a token body without access_token.", response=response
            )
        expires_at = self._clock() + token.expires_in if token.expires_in is not None else None
        if token.refresh_token:  # LWA may rotate the refresh token
            self._refresh_token = token.refresh_token
        self._state = _TokenState(token.access_token, expires_at)
        self.refresh_count += 1
        if self._on_refresh is not None:
            self._on_refresh(token)

    def _flow(self, request: httpx.Request) -> Generator[_Step, httpx.Response | None, None]:
        if self.can_refresh and self._stale():
            yield _Lock.ACQUIRE
            if self._stale():  # another thread or task may have refreshed while we waited
                yield from self._refresh()
            yield _Lock.RELEASE
        sent = self._state.access_token
        request.headers["Authorization"] = bearer_header_value(sent)
        response = yield request
        assert response is not None
        if response.status_code != 401 or not self.can_refresh:
            return
        yield _Lock.ACQUIRE
        if self._state.access_token == sent:  # nobody refreshed since this token was rejected
            yield from self._refresh()
        yield _Lock.RELEASE
        request.headers["Authorization"] = bearer_header_value(self._state.access_token)
        yield request

    # -- drivers --------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        steps, held = self._flow(request), False
        value: httpx.Response | None = None
        try:
            while True:
                try:
                    step = steps.send(value)
                except StopIteration:
                    return
                value = None
                if isinstance(step, httpx.Request):
                    value = yield step
                    value.read()
                elif step is _Lock.ACQUIRE:
                    self._lock.acquire()
                    held = True
                elif step is _Lock.RELEASE:
                    self._lock.release()
                    held = False
                else:
                    assert isinstance(step, _Sleep)
                    _sleep(step.seconds)
        finally:
            if held:
                self._lock.release()
            steps.close()

    def _loop_lock(self) -> asyncio.Lock | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): the thread lock alone serializes
            return None
        with self._loop_locks_guard:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    async def _acquire_thread_lock(self) -> None:
        """Take the cross-thread lock from a task: never blocking the loop, never in a worker thread.

        A thread holds it only while it refreshes, so polling costs little. Waiting for it in a
        worker thread instead leaked it: a task cancelled while it waited (`asyncio.timeout`,
        `task.cancel()`) left a thread that still acquired the lock, with nobody to release it,
        and every later refresh, in any thread or task, hung for ever. Here the lock is taken
        only by a non-blocking call that the caller marks held before its next await.
        """
        delay = 0.001
        while not self._lock.acquire(blocking=False):
            await anyio.sleep(delay)  # not _async_sleep: tests replace that with a recorder
            delay = min(delay * 2, 0.02)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        steps = self._flow(request)
        loop_lock: asyncio.Lock | None = None
        loop_held = thread_held = False
        value: httpx.Response | None = None
        try:
            while True:
                try:
                    step = steps.send(value)
                except StopIteration:
                    return
                value = None
                if isinstance(step, httpx.Request):
                    value = yield step
                    await value.aread()
                elif step is _Lock.ACQUIRE:
                    loop_lock = self._loop_lock()
                    if loop_lock is not None:
                        await loop_lock.acquire()
                        loop_held = True
                    await self._acquire_thread_lock()
                    thread_held = True
                elif step is _Lock.RELEASE:
                    self._lock.release()
                    thread_held = False
                    if loop_lock is not None:
                        loop_lock.release()
                        loop_held = False
                else:
                    assert isinstance(step, _Sleep)
                    await _async_sleep(step.seconds)
        finally:
            if thread_held:
                self._lock.release()
            if loop_held and loop_lock is not None:
                loop_lock.release()
            steps.close()


def _origin(url: str) -> tuple[str, str, int | None, str]:
    """What makes two token URLs the same LWA host: scheme, host and port as HTTP compares them
    (case-insensitive scheme and host, a default port written or not, RFC 9110 §4.2.3) and the
    path. `http://LOCALHOST:80/auth/o2/token` and `http://localhost/auth/o2/token` are one host;
    `localhost` and `127.0.0.1` are not (names are not resolved: they may be different servers)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return (url, "", None, "")
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    port = parsed.port if parsed.port != default else None
    return (parsed.scheme, parsed.host.rstrip("."), port, parsed.path.rstrip("/") or "/")
