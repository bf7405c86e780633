"""Outbound HTTP through one factory: explicit timeouts, a CA the user names, errors wrapped.

Services call `OutboundHttp.request`; they never see httpx types. A failed call
(connect error, timeout, TLS refusal) becomes `OutboundError` carrying a short reason. Every call
goes through `observers`, so the journal can record it without the services knowing.

What localexa will call (the URLs come from skill registrations: endpoints, `accessTokenUrl`):
only `http` and `https` URLs with a valid host and port (anything else, `file:`, `gopher:`, a
port beyond 65535, a broken IPv6 literal or IDNA label, is `OutboundError` before a connection is tried);
redirects are never followed (a 3xx is the answer); the whole exchange has one deadline; and an
answer is read up to a cap (`max_body_bytes`, else `MAX_ANSWER_BYTES`) and never held whole,
also when it comes compressed (the cap counts decompressed bytes, and no more are inflated).
Loopback and private addresses are allowed: skills under development run there.

httpx and the TLS trust store are loaded on the first outbound call, not at start: a server
that never calls a skill (most test runs, every benchmark) starts ~60 ms sooner and holds ~10 MB
less (bench/README.md). httpx comes without its command-line client (localexa/_httpx_cli.py).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from localexa.idna_hosts import host_fault, invalid_url_reason
from localexa.server.core.outbound_failures import failure_reason, journal_error

if TYPE_CHECKING:
    import httpx


#: The answer size read when the caller names no cap; a larger answer is an OutboundError. A token
#: endpoint's answer is a few hundred bytes; a skill's answer is capped by its caller.
MAX_ANSWER_BYTES = 1_048_576
#: Seconds without an outbound call after which the pool and its keep-alive sockets are closed
#: (httpx keeps an idle connection 5 s, but only looks when the pool is used: `_close_when_idle`).
IDLE_CLOSE_SECONDS = 5.0
#: Seconds an idle keep-alive connection to a skill or token server is reused: below the idle
#: timeouts servers close them at (uvicorn 5 s, gunicorn 2 s). At httpx's 5 s a directive written
#: on a connection as its server closed it got no answer, and a POST is not sent again.
KEEPALIVE_SECONDS = 1.0
_SCHEMES = ("http", "https")


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
    #: The answer's header fields, repeated ones kept (none when nothing came back): the journal
    #: shows them, redacted as an inbound call's are, and parses the body by their Content-Type.
    response_headers: Sequence[tuple[str, str]] = ()


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


def _checked_url(url: str) -> httpx.URL:
    """`url` parsed, or OutboundError when localexa will not call it (module doc)."""
    import httpx

    try:
        parsed = httpx.URL(url)
        # httpx decodes an IDNA host only when asked: `http://xn--/` parsed, and its `host` then
        # raised IDNAError (a ValueError), a 500 at the directive (QA of 2026-12-06); it checks
        # only a first label: `http://a.xn--/` went to DNS (localexa/idna_hosts.py).
        host, port = parsed.host, parsed.port
        usable = host_fault(parsed.raw_host.decode("ascii", "replace")) is None
    except (httpx.InvalidURL, TypeError, ValueError):
        usable = False
    if not usable:
        raise OutboundError(invalid_url_reason(url, shown_safely(url)))
    if parsed.scheme not in _SCHEMES:
        raise OutboundError(f"{shown_safely(url)} is not an http:// or https:// URL")
    if not host:
        raise OutboundError(f"{shown_safely(url)} names no host")
    if port is not None and not 0 < port <= 65535:
        raise OutboundError(f"{shown_safely(url)} names the port {port}, which is not 1-65535")
    return parsed


def _auth_for(request: httpx.Request) -> httpx.Auth | None:
    """A URL's `user:password@` is sent as HTTP Basic (httpx's default) only when the caller set
    no `Authorization` of its own: the client authentication of an account-linking exchange
    (accessTokenScheme HTTP_BASIC) is never replaced by credentials written into the URL."""
    import httpx

    return httpx.Auth() if "authorization" in request.headers else None


def shown_safely(url: str) -> str:
    """`shown(url)` for a URL that may not parse, with its control characters escaped (a NUL
    must not reach a log line or a PostgreSQL text column); no `user:password@` either way."""
    try:
        text = shown(url)
    except ValueError:
        return "the URL"
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


async def _whole(content: bytes) -> AsyncIterator[bytes]:
    yield content


class _BoundedDecoder:
    """The answer's `Content-Encoding` undone (gzip, deflate; any other is passed through as httpx
    does), never producing more than asked: a small compressed answer that would inflate to
    gigabytes (a "zip bomb") is cut at the cap like any other, instead of being inflated whole
    one network read at a time as httpx's own decoders do."""

    def __init__(self, encoding: str | None) -> None:
        name = (encoding or "").strip().lower()
        self._zlib: Any = None
        self._raw_deflate_tried = name != "deflate"
        if name in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._zlib = zlib.decompressobj()

    def decode(self, data: bytes, limit: int) -> bytes:
        if self._zlib is None:
            return data
        try:
            out: bytes = self._zlib.decompress(data, max(1, limit))
        except zlib.error:
            if self._raw_deflate_tried:
                raise
            # `deflate` sent without its zlib header (RFC 1951 data): retry as raw, as httpx does.
            self._raw_deflate_tried = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, max(1, limit))
        self._raw_deflate_tried = True
        return out

    def flush(self, limit: int) -> bytes:
        if self._zlib is None:
            return b""
        out: bytes = self._zlib.flush()
        return out[: max(1, limit)]


@functools.cache
def _system_trust() -> ssl.SSLContext:
    """The system trust store, read once a process (~30 ms): each app a process made read it
    again at its first outbound call (the tests make thousands). Nothing adds to this context;
    a CA file the user names gets a context of its own."""
    return ssl.create_default_context()


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system trust store, plus the user's own CA when one is named."""
    if ca_file is None:
        return _system_trust()
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
        # The system trust store is read at the first call (20-40 ms of the event loop, so not at
        # start), then kept: the pool closes after a quiet spell, and reading it again at each
        # re-open held every request of the process up that long (soak, 2026-12-07).
        self._verify = ssl_context(ca_file) if ca_file is not None else None
        self._transport = transport
        self._opened: httpx.AsyncClient | None = None
        self.observers: list[Observer] = []
        #: Calls under way, and the timer that closes the pool once none has run for a while.
        self._in_flight = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._opened is None:
            import httpx

            if self._verify is None:
                self._verify = ssl_context(None)
            self._opened = httpx.AsyncClient(
                verify=self._verify,
                transport=self._transport,
                follow_redirects=False,
                headers={"User-Agent": "localexa"},
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
                ),
            )
        return self._opened

    async def aclose(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._opened is not None:
            await self._opened.aclose()
        for task in list(self._closing):
            await task

    def _close_when_idle(self) -> None:
        """After `IDLE_CLOSE_SECONDS` without a call, close the pool (a new one opens with the next
        call). httpx notices a keep-alive connection its peer closed only when the pool is used
        again, so until the next outbound call every skill or token URL that hung up stayed a
        socket in CLOSE_WAIT (bench/soak.py; tests/scale/test_no_leaks.py waited for it)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = asyncio.get_running_loop().call_later(IDLE_CLOSE_SECONDS, self._close_idle_pool)

    def _close_idle_pool(self) -> None:
        self._idle_timer = None
        if self._in_flight or self._opened is None or self._transport is not None:
            return  # a transport given to us (tests, in-process apps) is not ours to close
        idle, self._opened = self._opened, None
        task = asyncio.get_running_loop().create_task(idle.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

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
        self._in_flight += 1
        try:
            return await self._request(
                method,
                url,
                timeout=timeout,
                headers=headers,
                data=data,
                json_body=json_body,
                max_body_bytes=max_body_bytes,
                journaled=journaled,
            )
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._close_when_idle()

    async def _request(
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
        import httpx

        started = time.perf_counter()
        checked = _checked_url(url)
        request = self._client.build_request(
            method, checked, headers=dict(headers or {}), data=data, json=json_body, timeout=timeout
        )
        hard_cap = max_body_bytes is None
        cap = MAX_ANSWER_BYTES if max_body_bytes is None else max_body_bytes
        complete, status = True, None  # status: that of the answer whose head arrived
        try:
            # httpx's timeout is per read: a peer trickling a byte a second would hold the call
            # for ever. `timeout` is the whole exchange's deadline, as Amazon's 8 s for a skill.
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True, auth=_auth_for(request))
                status = response.status_code  # its head arrived: a later failure broke off its answer
                try:
                    received = bytearray()
                    if response.is_stream_consumed:
                        # Read already (an in-process transport's answer): httpx has decoded it.
                        decoder, chunks = _BoundedDecoder(None), _whole(response.content)
                    else:
                        decoder = _BoundedDecoder(response.headers.get("content-encoding"))
                        chunks = response.aiter_raw()
                    async for raw in chunks:
                        received += decoder.decode(raw, cap + 1 - len(received))
                        if len(received) > cap:
                            complete = False
                            break
                    else:
                        received += decoder.flush(cap + 1 - len(received))
                        complete = len(received) <= cap
                finally:
                    await response.aclose()
        except asyncio.CancelledError:
            # Cut off by the caller (a test case over its time limit, a superseded follow-up): the
            # request went out all the same, so it is journaled (it was not: the skill had a
            # directive nobody heard of). The observers do not suspend, so a cancellation that
            # comes again cannot cut this short.
            await self._notify(request, status, b"", started, "cancelled")
            raise
        except (httpx.TimeoutException, TimeoutError) as exc:
            await self._notify(request, None, b"", started, "timed out")
            # The reason is logged and stored: the URL without a password.
            raise OutboundError(
                f"{shown_safely(url)} did not answer within {timeout:g} s", timed_out=True
            ) from exc
        except (httpx.HTTPError, OSError, ValueError, zlib.error) as exc:
            # OSError and ValueError: what a socket refuses that httpx does not wrap; zlib.error: a
            # compressed answer that does not decompress.
            await self._notify(request, None, b"", started, journal_error(exc))
            reason = failure_reason(exc, answering=status)
            raise OutboundError(f"{shown_safely(url)} {reason} ({type(exc).__name__})") from exc
        body = bytes(received if complete else received[:cap])
        seen = journaled(body) if journaled is not None else body
        await self._notify(
            request,
            response.status_code,
            seen,
            started,
            None if complete else "answer too large",
            headers=response.headers.multi_items(),
        )
        if not complete and hard_cap:
            raise OutboundError(f"{shown_safely(url)} answered more than {cap} bytes")
        return OutboundResponse(
            status=response.status_code, body=body, headers=dict(response.headers), complete=complete
        )

    async def notify(self, call: OutboundCall) -> None:
        """Tell the observers of a call made another way (a `python:` skill's invocation)."""
        for observer in self.observers:
            await observer(call)

    async def _notify(
        self,
        request: httpx.Request,
        status: int | None,
        body: bytes,
        started: float,
        error: str | None,
        *,
        headers: Sequence[tuple[str, str]] = (),
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
            response_headers=headers,
        )
        for observer in self.observers:
            await observer(call)
