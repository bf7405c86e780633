"""Outbound HTTP through one factory: explicit timeouts, a CA the user names, errors wrapped.

Services call `OutboundHttp.post_form` / `post_json`; they never see httpx types. A failed call
(connect error, timeout, TLS refusal) becomes `OutboundError` carrying a short reason. Every call
goes through `observers`, so the journal can record it without the services knowing.

httpx and the TLS trust store are loaded on the first outbound call, not at start: a server
that never calls a skill (most test runs, every benchmark) starts ~60 ms sooner and holds ~10 MB
less (bench/README.md).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class OutboundError(Exception):
    """The remote could not be reached or did not answer in time."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


@dataclass(frozen=True)
class OutboundCall:
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int | None
    response_body: bytes
    latency_ms: float
    error: str | None


Observer = Callable[[OutboundCall], Awaitable[None]]


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system trust store, plus the user's own CA when one is named."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


class OutboundHttp:
    def __init__(
        self,
        *,
        ca_file: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # A CA file the user named is read now: a bad one stops the start, not the first skill call.
        self._verify = ssl_context(ca_file) if ca_file is not None else None
        self._transport = transport
        self._opened: httpx.AsyncClient | None = None
        self.observers: list[Observer] = []

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._opened is None:
            import httpx

            self._opened = httpx.AsyncClient(
                verify=self._verify or ssl_context(None),
                transport=self._transport,
                follow_redirects=False,
                headers={"User-Agent": "localexa"},
            )
        return self._opened

    async def aclose(self) -> None:
        if self._opened is not None:
            await self._opened.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> OutboundResponse:
        import httpx

        started = time.perf_counter()
        request = self._client.build_request(
            method, url, headers=dict(headers or {}), data=data, json=json_body, timeout=timeout
        )
        try:
            response = await self._client.send(request)
            body = await response.aread()
        except httpx.TimeoutException as exc:
            await self._notify(request, None, b"", started, "timed out")
            shown = request.url.copy_with(userinfo=b"")  # the reason is logged and stored: no password
            raise OutboundError(f"{shown} did not answer within {timeout:g} s", timed_out=True) from exc
        except httpx.HTTPError as exc:
            await self._notify(request, None, b"", started, type(exc).__name__)
            shown = request.url.copy_with(userinfo=b"")
            raise OutboundError(f"{shown} could not be reached ({type(exc).__name__})") from exc
        await self._notify(request, response.status_code, body, started, None)
        return OutboundResponse(status=response.status_code, body=body, headers=dict(response.headers))

    async def _notify(
        self, request: httpx.Request, status: int | None, body: bytes, started: float, error: str | None
    ) -> None:
        call = OutboundCall(
            method=request.method,
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=request.content,
            status=status,
            response_body=body,
            latency_ms=(time.perf_counter() - started) * 1000,
            error=error,
        )
        for observer in self.observers:
            await observer(call)
