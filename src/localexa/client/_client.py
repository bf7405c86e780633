"""`Client` and `AsyncClient`: every API localexa serves, on Amazon's hosts or on a localexa server.

    Client()                                     # Amazon's real hosts
    Client(base_url="http://127.0.0.1:8080")     # every host -> localexa (EU/FE on port+1/+2)
    Client(base_url="https://127.0.0.1:8080", ca_file=".localexa/tls/ca.pem")

Both build the same request core (`_core.Core`: endpoints, auth, admin key, retry policy) from
the same arguments; they differ only in their runner (blocking or awaited I/O) and in the resource
twins they hand out. Only `base_url=None` means Amazon's hosts: `""` is a ConfigurationError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import Any

import httpx

from localexa.client._async import AsyncRunner, check_event_loop
from localexa.client._core import Core
from localexa.client._endpoints import Endpoints
from localexa.client._errors import ConfigurationError
from localexa.client._http_client_checks import (
    refuse_beside_http_client,
    refuse_other_http_client,
    refuse_other_transport,
)
from localexa.client._retry import DEFAULT_RETRY, RetryPolicy, check_max_retries, check_retry
from localexa.client._sync import SyncRunner
from localexa.client._timeouts import DEFAULT_TIMEOUT, POOL_LIMITS, TimeoutArg, timeout_of
from localexa.client._tls import CaPath, VerifyArg, ssl_verify
from localexa.client.auth import BearerAuth, LwaTokenAuth
from localexa.client.messages import redact
from localexa.client.resources.account_linking import AccountLinkingResource, AsyncAccountLinkingResource
from localexa.client.resources.admin import Admin, AsyncAdmin
from localexa.client.resources.credentials import AsyncCredentials, Credentials
from localexa.client.resources.customer_enablement import AsyncCustomerEnablements, CustomerEnablements
from localexa.client.resources.enablement import AsyncEnablement, Enablement
from localexa.client.resources.evaluations import AsyncEvaluations, Evaluations
from localexa.client.resources.events import AsyncEvents, Events
from localexa.client.resources.lwa import TOKEN_PATH, AsyncLwa, Lwa
from localexa.client.resources.thread_networks import AsyncThreadNetworks, ThreadNetworks

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient", "Client"]

AuthArg = str | httpx.Auth | None


class _Unset:
    pass


_UNSET = _Unset()


def _auth(auth: AuthArg, endpoints: Endpoints) -> httpx.Auth | None:
    if isinstance(auth, str):
        return BearerAuth(auth)
    if isinstance(auth, LwaTokenAuth):
        auth.bind_token_url(endpoints.lwa + TOKEN_PATH)
    return auth


def _core(
    base_url: str | None,
    endpoints: Endpoints | None,
    auth: AuthArg,
    admin_key: str | None,
    retry: RetryPolicy | None,
    max_retries: int | None,
    headers: Mapping[str, str] | None,
) -> Core:
    # Only None means Amazon's: base_url="" (an unset variable) sent the token to Amazon (cliq QA).
    if endpoints is None:
        endpoints = Endpoints() if base_url is None else Endpoints.local(base_url)
    elif base_url is not None:
        raise ConfigurationError("Pass base_url= or endpoints=, not both.")
    # Checked here, as timeout= is: not at the first retryable error (review36b #3).
    retry = check_retry(retry) or DEFAULT_RETRY
    if max_retries is not None:
        retry = dataclasses.replace(retry, max_retries=check_max_retries(max_retries))
    return Core(
        endpoints=endpoints,
        auth=_auth(auth, endpoints),
        admin_key=admin_key,
        retry=retry,
        headers=headers,
    )


def _derived(core: Core, overrides: dict[str, Any]) -> Core:
    """The core of `with_options`: the same, with what was given replaced."""
    endpoints = overrides.get("endpoints") or core.endpoints
    auth = overrides.get("auth", core.auth)
    retry = check_retry(overrides.get("retry")) or core.retry
    if overrides.get("max_retries") is not None:
        retry = dataclasses.replace(retry, max_retries=check_max_retries(overrides["max_retries"]))
    # None is "no timeout", as in Client(timeout=None); only an absent timeout keeps the core's.
    timeout = timeout_of(overrides["timeout"]) if "timeout" in overrides else core.timeout
    return Core(
        endpoints=endpoints,
        auth=_auth(auth, endpoints),
        admin_key=overrides.get("admin_key", core.admin_key),
        retry=retry,
        headers=core.headers,
        timeout=timeout,
    )


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not _UNSET}


class Client:
    """The blocking client. Resources: `lwa`, `enablement`, `customer_enablement`, `credentials`,
    `account_linking`, `thread_networks`, `evaluations`, `events`, `admin`.

    `auth` authorizes the Alexa APIs (a token string, or an `httpx.Auth` such as `LwaTokenAuth`);
    customer, event and Credential Locker calls also take a per-call `token=`. `admin_key` is the
    localexa admin key. `transport` replaces the network (e.g. `httpx.MockTransport`).
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        endpoints: Endpoints | None = None,
        auth: AuthArg = None,
        admin_key: str | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        verify: VerifyArg = True,
        ca_file: CaPath | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        core = _core(base_url, endpoints, auth, admin_key, retry, max_retries, headers)
        if http_client is None:
            refuse_other_transport(transport, "Client")
            phases = timeout_of(timeout)
            http = httpx.Client(
                timeout=phases, verify=ssl_verify(verify, ca_file), transport=transport, limits=POOL_LIMITS
            )
        else:
            refuse_other_http_client(http_client, httpx.Client, "Client", "AsyncClient")
            refuse_beside_http_client(verify, ca_file, transport, timeout, "httpx.Client")
            http = http_client
        self._setup(http, core, owns_http=http_client is None)

    def _setup(self, http: httpx.Client, core: Core, *, owns_http: bool) -> None:
        self._http = http
        self._core = core
        self._owns_http = owns_http
        self._runner = SyncRunner(http, core)

    def with_options(
        self,
        *,
        auth: AuthArg | _Unset = _UNSET,
        admin_key: str | _Unset | None = _UNSET,
        retry: RetryPolicy | _Unset = _UNSET,
        max_retries: int | _Unset = _UNSET,
        endpoints: Endpoints | _Unset = _UNSET,
        timeout: TimeoutArg | _Unset = _UNSET,
    ) -> Client:
        """A client sharing this one's connections, with some options replaced. `timeout` (a
        number of seconds for each phase, an `httpx.Timeout`, or None: none) applies to this
        twin's calls."""
        twin = Client.__new__(Client)
        given = _given(
            auth=auth,
            admin_key=admin_key,
            retry=retry,
            max_retries=max_retries,
            endpoints=endpoints,
            timeout=timeout,
        )
        core = _derived(self._core, given)
        twin._setup(self._http, core, owns_http=False)
        return twin

    @property
    def endpoints(self) -> Endpoints:
        return self._core.endpoints

    @property
    def retry(self) -> RetryPolicy:
        return self._core.retry

    @cached_property
    def lwa(self) -> Lwa:
        return Lwa(self)

    @cached_property
    def enablement(self) -> Enablement:
        return Enablement(self)

    @cached_property
    def customer_enablement(self) -> CustomerEnablements:
        return CustomerEnablements(self)

    @cached_property
    def credentials(self) -> Credentials:
        return Credentials(self)

    @cached_property
    def account_linking(self) -> AccountLinkingResource:
        return AccountLinkingResource(self)

    @cached_property
    def thread_networks(self) -> ThreadNetworks:
        return ThreadNetworks(self)

    @cached_property
    def evaluations(self) -> Evaluations:
        return Evaluations(self)

    @cached_property
    def events(self) -> Events:
        return Events(self)

    @cached_property
    def admin(self) -> Admin:
        return Admin(self)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(alexa={redact(self._core.endpoints.alexa_na)!r})"


class AsyncClient:
    """The async twin of `Client`, with the same arguments and resources (methods are awaited,
    listings are `async for`)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        endpoints: Endpoints | None = None,
        auth: AuthArg = None,
        admin_key: str | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        verify: VerifyArg = True,
        ca_file: CaPath | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        core = _core(base_url, endpoints, auth, admin_key, retry, max_retries, headers)
        if http_client is None:
            refuse_other_transport(transport, "AsyncClient")
            http = httpx.AsyncClient(
                timeout=timeout_of(timeout),
                verify=ssl_verify(verify, ca_file),
                transport=transport,
                limits=POOL_LIMITS,
            )
        else:
            refuse_other_http_client(http_client, httpx.AsyncClient, "AsyncClient", "Client")
            refuse_beside_http_client(verify, ca_file, transport, timeout, "httpx.AsyncClient")
            http = http_client
        self._setup(http, core, owns_http=http_client is None)

    def _setup(self, http: httpx.AsyncClient, core: Core, *, owns_http: bool) -> None:
        self._http = http
        self._core = core
        self._owns_http = owns_http
        self._runner = AsyncRunner(http, core)

    def with_options(
        self,
        *,
        auth: AuthArg | _Unset = _UNSET,
        admin_key: str | _Unset | None = _UNSET,
        retry: RetryPolicy | _Unset = _UNSET,
        max_retries: int | _Unset = _UNSET,
        endpoints: Endpoints | _Unset = _UNSET,
        timeout: TimeoutArg | _Unset = _UNSET,
    ) -> AsyncClient:
        """A client sharing this one's connections, with some options replaced. `timeout` (a
        number of seconds for each phase, an `httpx.Timeout`, or None: none) applies to this
        twin's calls."""
        twin = AsyncClient.__new__(AsyncClient)
        given = _given(
            auth=auth,
            admin_key=admin_key,
            retry=retry,
            max_retries=max_retries,
            endpoints=endpoints,
            timeout=timeout,
        )
        core = _derived(self._core, given)
        twin._setup(self._http, core, owns_http=False)
        return twin

    @property
    def endpoints(self) -> Endpoints:
        return self._core.endpoints

    @property
    def retry(self) -> RetryPolicy:
        return self._core.retry

    @cached_property
    def lwa(self) -> AsyncLwa:
        return AsyncLwa(self)

    @cached_property
    def enablement(self) -> AsyncEnablement:
        return AsyncEnablement(self)

    @cached_property
    def customer_enablement(self) -> AsyncCustomerEnablements:
        return AsyncCustomerEnablements(self)

    @cached_property
    def credentials(self) -> AsyncCredentials:
        return AsyncCredentials(self)

    @cached_property
    def account_linking(self) -> AsyncAccountLinkingResource:
        return AsyncAccountLinkingResource(self)

    @cached_property
    def thread_networks(self) -> AsyncThreadNetworks:
        return AsyncThreadNetworks(self)

    @cached_property
    def evaluations(self) -> AsyncEvaluations:
        return AsyncEvaluations(self)

    @cached_property
    def events(self) -> AsyncEvents:
        return AsyncEvents(self)

    @cached_property
    def admin(self) -> AsyncAdmin:
        return AsyncAdmin(self)

    async def aclose(self) -> None:
        """Close the connections (a `with_options` twin's: nothing). In an event loop other than
        the one of the client's first call, EventLoopError: those connections are that loop's."""
        if self._owns_http:
            if not self._http.is_closed:
                check_event_loop(self._http)
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(alexa={redact(self._core.endpoints.alexa_na)!r})"
