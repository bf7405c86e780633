"""Outbound HTTP through one factory: explicit timeouts, a CA the user names, errors wrapped.

Services call `OutboundHttp.request`; they never see httpx types. A failed call
(connect error, timeout, TLS refusal) becomes `OutboundError` carrying a short reason. Every call
goes through `observers`, so the journal can record it without the services knowing.

httpx and the TLS trust store are loaded on the first outbound call, not at start: a server
that never calls a skill (most test runs, every benchmark) starts ~60 ms sooner and holds ~10 MB
less (bench/README.md).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

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
    #: False when the body went past `max_body_bytes`: `body` is then its first that many bytes.
    complete: bool = True

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def shown(url: str) -> str:
    """The URL without a `user:password@` (what a log line or a stored message may say)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


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
        max_body_bytes: int | None = None,
        journaled: Callable[[bytes], bytes] | None = None,
    ) -> OutboundResponse:
        """Send and read the answer. With `max_body_bytes`, the body is read as a stream and
        dropped past the cap (`complete` False), so a huge answer never sits in memory whole.
        `journaled` gives what the observers see of the body (a caller hiding secrets it sent)."""
        import httpx

        started = time.perf_counter()
        request = self._client.build_request(
            method, url, headers=dict(headers or {}), data=data, json=json_body, timeout=timeout
        )
        complete = True
        try:
            # httpx's timeout is per read: a peer trickling a byte a second would hold the call
            # for ever. `timeout` is the whole exchange's deadline, as Amazon's 8 s for a skill.
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True)
                try:
                    received = bytearray()
                    async for chunk in response.aiter_bytes():
                        received += chunk
                        if max_body_bytes is not None and len(received) > max_body_bytes:
                            complete = False
                            break
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as exc:
            await self._notify(request, None, b"", started, "timed out")
            # The reason is logged and stored: the URL without a password.
            raise OutboundError(f"{shown(url)} did not answer within {timeout:g} s", timed_out=True) from exc
        except httpx.HTTPError as exc:
            await self._notify(request, None, b"", started, type(exc).__name__)
            raise OutboundError(f"{shown(url)} could not be reached ({type(exc).__name__})") from exc
        body = bytes(received if complete or max_body_bytes is None else received[:max_body_bytes])
        seen = journaled(body) if journaled is not None else body
        await self._notify(
            request, response.status_code, seen, started, None if complete else "answer too large"
        )
        return OutboundResponse(
            status=response.status_code, body=body, headers=dict(response.headers), complete=complete
        )

    async def notify(self, call: OutboundCall) -> None:
        """Tell the observers of a call made another way (a `python:` skill's invocation)."""
        for observer in self.observers:
            await observer(call)

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
