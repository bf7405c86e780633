"""The blocking runner: sends a flow's requests with retries, sleeping with `time.sleep`.

Resources are thin: `enable = sync_method(flows.enable)` turns a flow function into a method with
the same parameters that runs it. All request building and parsing lives in the flows (`_core.py`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import httpx

from localexa.client._body_sink import BodySink
from localexa.client._core import (
    ApiRequest,
    Core,
    Flow,
    ResourceBase,
    method_signature,
)
from localexa.client._errors import APIError, ClientClosedError, ConfigurationError
from localexa.client._pagination import Paged, SyncPager
from localexa.client._send_errors import stop_iteration_error, transport_error, unsendable

if TYPE_CHECKING:
    from localexa.client._client import Client

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("localexa.client")


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class SyncRunner:
    def __init__(self, http: httpx.Client, core: Core) -> None:
        self.http = http
        self.core = core

    def send(self, request: ApiRequest) -> httpx.Response:
        """One request, retried per the policy; any answer but a 2xx raises its APIStatusError
        (but see `Core.answer`), and a closed client ClientClosedError."""
        http_request, auth = self.core.build(request)
        safe = self.core.is_safe(request)
        started, retries, maybe_done = self.core.retry.clock(), 0, False
        while True:
            failure: APIError | ConfigurationError | ClientClosedError
            try:
                response = self.http.send(http_request, auth=auth, stream=request.into is not None)
                if request.into is not None and not response.is_success:
                    response.read()  # an answer in error: small, and its APIStatusError reads it
            except httpx.RequestError as exc:
                failure = transport_error(exc, http_request)
            except UnicodeEncodeError:  # a header the auth sets (a token) that is not ASCII/UTF-8
                failure = unsendable()
            except RuntimeError:  # httpx's "the client has been closed", also before a refresh
                if not self.http.is_closed:
                    raise
                failure = ClientClosedError()
            else:
                answer = self.core.answer(request, response, maybe_done=maybe_done)
                if isinstance(answer, httpx.Response):
                    if request.into is not None:
                        _stream_into(request.into, response, http_request)
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
            _sleep(delay)
            retries += 1

    def run(self, flow: Flow[T]) -> T:
        """Drive a flow: send what it yields, send back responses, throw errors into it."""
        try:
            request = next(flow)
            while True:
                try:
                    response = self._send_outside_the_flow(request)
                except APIError as exc:
                    request = flow.throw(exc)
                else:
                    request = flow.send(response)
        except StopIteration as stop:  # the flow returned: only next/send/throw end up here
            result: T = stop.value
            return result
        finally:
            flow.close()

    def _send_outside_the_flow(self, request: ApiRequest) -> httpx.Response:
        """`send`, with a StopIteration from under it (a transport, auth or event hook that ran out
        of items: a test's `next(iter(replies))`) turned into RuntimeError. `run` reads
        StopIteration as the flow's return, so the call answered None as if it had succeeded. An
        auth flow's, which Python already made "generator raised StopIteration" (PEP 479), gets
        the same words (`stop_iteration_error`; the async runner uses them too)."""
        try:
            return self.send(request)
        except (StopIteration, RuntimeError) as exc:
            failure = stop_iteration_error(exc)
            if failure is None:
                raise
            raise failure from (exc if isinstance(exc, StopIteration) else exc.__cause__)


def _stream_into(sink: BodySink, response: httpx.Response, http_request: httpx.Request) -> None:
    """A 2xx answer's body into `sink` as it arrives (_body_sink.py). Cut short, it is not sent
    again: the sink has taken part of it."""
    failure: APIError | ConfigurationError | None = None
    try:
        sink.begin(response)
        for chunk in response.iter_bytes():
            sink.write(chunk)
    except httpx.RequestError as exc:
        failure = transport_error(exc, http_request)
    finally:
        response.close()
    if failure is not None:  # raised outside the `except`: httpx's error may quote the request
        raise failure
    sink.end()


class SyncResource(ResourceBase):
    """Base of every sync resource: holds the client whose runner executes its flows."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._core = client._core


def sync_method(flow: Callable[P, Flow[T]]) -> Callable[Concatenate[SyncResource, P], T]:
    """A resource method with `flow`'s parameters and docstring, run to its result."""

    @functools.wraps(flow)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._client._runner.run(flow(*args, **kwargs))

    method.__signature__ = method_signature(flow, "{}")  # type: ignore[attr-defined]
    return method


def sync_pager(paged: Callable[P, Paged[T]]) -> Callable[Concatenate[SyncResource, P], SyncPager[T]]:
    """A resource method answering a lazy `SyncPager` over every page of `paged`."""

    @functools.wraps(paged)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[T]:
        return SyncPager(self._client._runner.run, paged(*args, **kwargs))

    method.__signature__ = method_signature(paged, "SyncPager[{}]")  # type: ignore[attr-defined]
    return method
