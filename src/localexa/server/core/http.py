"""Outbound HTTP through one factory: explicit timeouts, a CA the user names, errors wrapped.

Services call `OutboundHttp.post_form` / `post_json`; they never see httpx types. A failed call
(connect error, timeout, TLS refusal) becomes `OutboundError` carrying a short reason. Every call
goes through `observers`, so the journal can record it without the services knowing.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


class OutboundError(Exception):
    """The remote could not be reached or did not answer in time."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
        self._client = httpx.AsyncClient(
            verify=ssl_context(ca_file),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "localexa"},
        )
        self.observers: list[Observer] = []

    async def aclose(self) -> None:
        await self._client.aclose()

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
        started = time.perf_counter()
        request = self._client.build_request(
            method, url, headers=dict(headers or {}), data=data, json=json_body, timeout=timeout
        )
        try:
            response = await self._client.send(request)
            body = await response.aread()
        except httpx.TimeoutException as exc:
            await self._notify(request, None, b"", started, "timed out")
            raise OutboundError(f"{url} did not answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            await self._notify(request, None, b"", started, type(exc).__name__)
            raise OutboundError(f"{url} could not be reached ({type(exc).__name__})") from exc
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
