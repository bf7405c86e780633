"""The async runner: the twin of `_sync.py`, awaiting I/O and sleeping with `anyio.sleep`.

Flows are plain generators, so the same flow functions serve both runners.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import anyio
import httpx

from localexa.client._body_sink import BodySink
from localexa.client._core import (
    ApiRequest,
    Core,
    Flow,
    ResourceBase,
    method_signature,
)
from localexa.client._errors import APIError, ClientClosedError, ConfigurationError, EventLoopError
from localexa.client._pagination import AsyncPager, Paged
from localexa.client._send_errors import stop_iteration_error, transport_error, unsendable

if TYPE_CHECKING:
    from localexa.client._client import AsyncClient

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("localexa.client")


async def _sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


#: The event loop each httpx client's connections belong to (the loop of its first call), shared
#: by every AsyncClient on those connections (a `with_options` twin, a shared `http_client=`).
_LOOPS: weakref.WeakKeyDictionary[httpx.AsyncClient, asyncio.AbstractEventLoop] = weakref.WeakKeyDictionary()


def check_event_loop(http: httpx.AsyncClient) -> None:
    """EventLoopError unless this runs in the asyncio loop of `http`'s first call (which it
    becomes now, on the first). Under another async library (trio) there is no loop to compare."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    first = _LOOPS.setdefault(http, loop)
    if first is not loop:
        raise EventLoopError(first_loop_closed=first.is_closed())


class AsyncRunner:
    def __init__(self, http: httpx.AsyncClient, core: Core) -> None:
        self.http = http
        self.core = core

    async def send(self, request: ApiRequest) -> httpx.Response:
        """One request, retried per the policy; any answer but a 2xx raises its APIStatusError
        (but see `Core.answer`), a closed client ClientClosedError, a call in an event loop other
        than the client's first EventLoopError (a closed client's is ClientClosedError, whatever
        the loop: until 2026-12-06 a closed client in a new loop said EventLoopError)."""
        if self.http.is_closed:
            raise ClientClosedError
        check_event_loop(self.http)
        http_request, auth = self.core.build(request)
        safe = self.core.is_safe(request)
        started, retries, maybe_done = self.core.retry.clock(), 0, False
        while True:
            failure: APIError | ConfigurationError | ClientClosedError
            try:
                response = await self.http.send(http_request, auth=auth, stream=request.into is not None)
                if request.into is not None and not response.is_success:
                    await response.aread()  # an answer in error: small, and its APIStatusError reads it
            except httpx.RequestError as exc:
                failure = transport_error(exc, http_request)
            except UnicodeEncodeError:  # a header the auth sets (a token) that is not ASCII/UTF-8
                failure = unsendable()
            except RuntimeError as exc:  # httpx's "the client has been closed", also before a refresh
                stopped = stop_iteration_error(exc)
                if stopped is not None:
                    # Python's "coroutine raised StopIteration" (PEP 479), from a transport or
                    # auth that ran out of items: the sync client's words (review36b #11).
                    raise stopped from exc.__cause__
                if not self.http.is_closed:
                    raise
                failure = ClientClosedError()
            else:
                answer = self.core.answer(request, response, maybe_done=maybe_done)
                if isinstance(answer, httpx.Response):
                    if request.into is not None:
                        await _stream_into(request.into, response, http_request)
                    return answer
                failure = answer
            if isinstance(failure, ConfigurationError | ClientClosedError):
                raise failure
            error = failure
            maybe_done = maybe_done or self.core.may_have_acted(error)
            delay = self.core.retry_delay(error, retries_done=retries, started=started, safe=safe)
            if delay is None:
                raise error
            logger.info(
                "retrying %s %s in %.2fs after %s", request.method, http_request.url.path, delay, error
            )
            await _sleep(delay)
            retries += 1

    async def run(self, flow: Flow[T]) -> T:
        """Drive a flow: send what it yields, send back responses, throw errors into it."""
        try:
            request = next(flow)
            while True:
                try:
                    response = await self.send(request)
                except APIError as exc:
                    request = flow.throw(exc)
                else:
                    request = flow.send(response)
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            flow.close()


async def _stream_into(sink: BodySink, response: httpx.Response, http_request: httpx.Request) -> None:
    """A 2xx answer's body into `sink` as it arrives (_body_sink.py); `_sync.py`'s twin. The sink
    writes each chunk at once (a file's write of ~64 KB, not worth a thread)."""
    failure: APIError | ConfigurationError | None = None
    try:
        sink.begin(response)
        async for chunk in response.aiter_bytes():
            sink.write(chunk)
    except httpx.RequestError as exc:
        failure = transport_error(exc, http_request)
    finally:
        await response.aclose()
    if failure is not None:  # raised outside the `except`: httpx's error may quote the request
        raise failure
    sink.end()


class AsyncResource(ResourceBase):
    """Base of every async resource: holds the client whose runner executes its flows."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._core = client._core


def async_method(
    flow: Callable[P, Flow[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    """An async resource method with `flow`'s parameters and docstring, awaited to its result."""

    @functools.wraps(flow)
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._client._runner.run(flow(*args, **kwargs))

    method.__signature__ = method_signature(flow, "{}")  # type: ignore[attr-defined]
    return method


def async_pager(paged: Callable[P, Paged[T]]) -> Callable[Concatenate[AsyncResource, P], AsyncPager[T]]:
    """A resource method answering a lazy `AsyncPager` (`async for item in ...`)."""

    @functools.wraps(paged)
    def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncPager[T]:
        return AsyncPager(self._client._runner.run, paged(*args, **kwargs))

    method.__signature__ = method_signature(paged, "AsyncPager[{}]")  # type: ignore[attr-defined]
    return method
