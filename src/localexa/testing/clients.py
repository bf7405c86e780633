"""The testing kit's clients for a `LocalexaServer`: `server.client(**options)` and
`server.async_client(**options)` (also `Localexa.async_client`).

The options are typed (`ClientOptions`, `AsyncClientOptions`: `Client`'s keywords but the ones the
server decides, `base_url`, `endpoints` and `ca_file`), so `mypy --strict` catches a typo such as
`server.client(tiemout=5)`; until 2026-12-06 they were `**options: Any`. The client's transport
is wrapped so a connection failure first checks whether the server exited (watched_transport.py).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict

import httpx

from localexa.testing.watched_transport import WatchedAsyncTransport, WatchedTransport

if TYPE_CHECKING:
    from localexa.client import AsyncClient, Client, RetryPolicy

__all__ = ["AsyncClientOptions", "ClientOptions", "make_async_client", "make_client"]


class _CommonOptions(TypedDict, total=False):
    auth: str | httpx.Auth | None
    admin_key: str | None
    retry: RetryPolicy | None
    max_retries: int | None
    timeout: float | httpx.Timeout | None
    verify: bool | str | bytes | os.PathLike[str] | os.PathLike[bytes] | ssl.SSLContext | None
    headers: Mapping[str, str] | None


class ClientOptions(_CommonOptions, total=False):
    """What `server.client(...)` takes: `Client`'s keywords but `base_url`, `endpoints` and
    `ca_file` (the server's own)."""

    transport: httpx.BaseTransport | None
    http_client: httpx.Client | None


class AsyncClientOptions(_CommonOptions, total=False):
    """What `server.async_client(...)` takes: `AsyncClient`'s keywords but `base_url`,
    `endpoints` and `ca_file`."""

    transport: httpx.AsyncBaseTransport | None
    http_client: httpx.AsyncClient | None


class KitServer(Protocol):
    """What the clients need of a `LocalexaServer`."""

    admin_key: str

    @property
    def url(self) -> str: ...

    @property
    def ca_file(self) -> Path | None: ...

    def require_running(self) -> None: ...

    def raise_if_exited(self, *, grace: float) -> None: ...


def _ca_file(server: KitServer, options: _CommonOptions) -> Path | None:
    """The server's CA, unless the caller's own `verify=` says what to trust: since 2026-12-06 the
    client refuses `ca_file=` with any `verify=` but True or None (it was ignored: `verify=False`
    quietly checked certificates), so the kit gives the CA only where it used to count."""
    if options.get("http_client") is not None:  # the caller's httpx client trusts what it trusts
        return None
    verify = options.get("verify", True)
    return server.ca_file if verify is True or verify is None else None


def _verify(server: KitServer, options: _CommonOptions) -> bool | ssl.SSLContext:
    """What the client would verify TLS with: a transport given to it is used as it is, so the
    kit's own transport must trust this server's CA (or the caller's `verify=`) itself."""
    from localexa.client._tls import ssl_verify

    return ssl_verify(options.get("verify", True), _ca_file(server, options))


#: `Client`'s keywords the server decides: given to `server.client()`, `Client()` refused them with
#: "got multiple values for keyword argument 'ca_file'" (re-verification of 2026-12-06).
SERVER_DECIDES = ("base_url", "endpoints", "ca_file")


def _refuse_what_the_server_decides(options: Mapping[str, object], call: str) -> None:
    given = [name for name in SERVER_DECIDES if name in options]
    if given:
        raise TypeError(
            f"{call}() takes no {', '.join(given)}: the server decides it (its URL, regions and CA); "
            "to trust another CA, pass verify= (an ssl.SSLContext or a CA file)."
        )


def make_client(server: KitServer, options: ClientOptions) -> Client:
    from localexa.client import Client

    _refuse_what_the_server_decides(options, "server.client")
    server.require_running()
    options = ClientOptions(**options)
    options.setdefault("admin_key", server.admin_key)
    if options.get("http_client") is None:  # a caller's own httpx client is left as it is
        given = options.get("transport") or httpx.HTTPTransport(verify=_verify(server, options))
        options["transport"] = WatchedTransport(given, server)
    return Client(base_url=server.url, ca_file=_ca_file(server, options), **options)


def make_async_client(server: KitServer, options: AsyncClientOptions) -> AsyncClient:
    from localexa.client import AsyncClient

    _refuse_what_the_server_decides(options, "server.async_client")
    server.require_running()
    options = AsyncClientOptions(**options)
    options.setdefault("admin_key", server.admin_key)
    if options.get("http_client") is None:
        given = options.get("transport") or httpx.AsyncHTTPTransport(verify=_verify(server, options))
        options["transport"] = WatchedAsyncTransport(given, server)
    return AsyncClient(base_url=server.url, ca_file=_ca_file(server, options), **options)
