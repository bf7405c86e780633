"""Pure-ASGI middleware that journals each call and feeds the Prometheus metrics.

It sits inside RequestIdMiddleware and RegionMiddleware (so it knows both) and outside the fault
middleware (so injected faults are journaled and counted like any answer). It copies at most
`BODY_CAP` bytes of each body; the rest streams through untouched. The entry is queued just
before the last body chunk goes out, so a client that has its answer can already read the
entry through `GET /_localexa/journal` (which flushes the queue first).

Not journaled (still counted in metrics): the journal API itself, health and readiness,
`/metrics`, console pages and assets read with GET (the console's forms, which change state, are
journaled), and a reset that succeeded (the journal's boundary: it starts empty after it).
Snapshot and restore are journaled without bodies: they hold the whole state.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localexa.server.core.clock import Clock
from localexa.server.core.http import OutboundCall
from localexa.server.core.request_guard import BODY_CUT_OFF
from localexa.server.lwa.any_case import canonical_path
from localexa.server.observe.behalf import on_behalf_of
from localexa.server.observe.exchange import ADMIN_AUTHENTICATED, ADMIN_PREFIXES, Exchange
from localexa.server.observe.journal import Journal
from localexa.server.observe.metrics import Metrics

logger = logging.getLogger("localexa.access")

BODY_CAP = 16_384
_UNJOURNALED_PATHS = frozenset({"/_localexa/health", "/_localexa/ready", "/metrics"})
_UNJOURNALED_PREFIXES = ("/_localexa/journal",)
_NO_BODY_PATHS = frozenset({"/_localexa/snapshot", "/_localexa/restore"})
#: Calls that put localexa's clock back (to the wall clock, or to a snapshot's): stamped with the
#: clock as they leave it, else a reset after an advance lay ahead of every entry after it.
_STAMPED_AFTER_PATHS = frozenset({"/_localexa/reset", "/_localexa/restore"})

#: A reset that erased everything is the journal's boundary, not an entry in it (since 2026-12-06:
#: the emptied journal held the reset call, and `journal.list() == []` after the testing
#: fixture's reset failed). A refused reset (400, 503) erased nothing and is journaled.
_BOUNDARY = ("POST", "/_localexa/reset", 200)


def _is_the_boundary(method: str, path: str, status: int) -> bool:
    return (method, path, status) == _BOUNDARY


#: What the access line of a call cut off mid-body says in place of a status, and its journal
#: entry's `error` (its `status` is null: the app's answer reached nobody).
CUT_OFF_NOTE = (
    "cut off: the connection ended before the request's body arrived whole (its client left, or "
    "the server answered it itself: see localexa.serve's 'refused a request' line); nothing of it "
    "was done"
)
CUT_OFF_ERROR = "cut off: the connection ended before the request's body arrived whole"


#: The scope of the inbound call in progress, so outbound calls it makes inherit its request id,
#: region, principal and skill.
current_call: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "localexa_current_call", default=None
)


def is_journaled(method: str, path: str) -> bool:
    if path in _UNJOURNALED_PATHS or path.startswith(_UNJOURNALED_PREFIXES):
        return False
    return not (path.startswith("/console") and method in ("GET", "HEAD"))


def _decode_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def is_admin(path: str, headers: list[tuple[str, str]], scope_state: dict[str, Any], state: Any) -> bool:
    """Whether the admin authenticated this call to an admin path: a signed-in console session
    (the console says so in the request's state) or the right `X-Localexa-Admin-Key`. The path
    alone said `admin` for anyone, a wrong key and the demo's callback page included."""
    if not path.startswith(ADMIN_PREFIXES):
        return False
    if scope_state.get(ADMIN_AUTHENTICATED) is True:
        return True
    expected = getattr(state, "admin_key", None)
    given = [value for key, value in headers if key.lower() == "x-localexa-admin-key"]
    return (
        len(given) == 1
        and isinstance(expected, str)
        and hmac.compare_digest(given[0].encode(), expected.encode())
    )


def route_template(scope: Scope) -> str:
    """The call's route in the metrics, the log line and the journal: the route's template, one
    label for every spelling of an any-case path (lwa/any_case.py: three labels for the token
    endpoint until 2026-12-06), the path of a plain Starlette route (the OpenAPI document and its
    page, which were `unmatched`), else `unmatched`."""
    route = scope.get("route") or _plain_route(scope)
    canonical = canonical_path(route)
    if canonical is not None:
        return canonical
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "unmatched"


def _plain_route(scope: Scope) -> object:
    """The Starlette route that answered the call: only FastAPI's own routes put themselves in the
    scope, others (`app.add_route`: the OpenAPI document, the docs page) leave their endpoint."""
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return None
    routes = getattr(scope.get("app"), "routes", ())
    return next((route for route in routes if getattr(route, "endpoint", None) is endpoint), None)


async def _refresh(clock: Clock, state: Any) -> None:
    """Re-read the shared clock offset (throttled, as ClockRefreshMiddleware does further in)
    before the call is stamped: else the first call after an advance through another process was
    journaled by the clock before it, though the routes judged it by the moved one. A failure is
    left to ClockRefreshMiddleware further in, which logs it (throttled) and lets the call go on."""
    engine = getattr(state, "engine", None)
    if engine is None:
        return
    try:
        await clock.refresh(engine)
    except Exception as exc:
        logger.debug("clock refresh before journaling failed: %s", type(exc).__name__)


class ObserveMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        metrics: Metrics | None = getattr(state, "metrics", None)
        journal: Journal | None = getattr(state, "journal", None)
        clock: Clock | None = getattr(state, "clock", None)
        method: str = scope["method"]
        path: str = scope["path"]
        keep = journal is not None and clock is not None and is_journaled(method, path)
        if clock is not None:
            await _refresh(clock, state)
        keep_bodies = keep and path not in _NO_BODY_PATHS
        started = time.perf_counter()
        scope_state: dict[str, Any] = scope.setdefault("state", {})
        token = current_call.set(scope)
        # A call served inside another's work (an in-process transport) is not made on its behalf.
        behalf_token = on_behalf_of.set(None)
        exchange = Exchange(
            direction="inbound",
            at=clock.now() if clock is not None else datetime.now(UTC),
            method=method,
            path=path,
            status=None,
            latency_ms=0.0,
            query=scope.get("query_string", b"").decode("latin-1"),
        )
        request_body = bytearray()
        response_body = bytearray()
        done = False

        async def capture_receive() -> Message:
            message = await receive()
            if keep_bodies and message["type"] == "http.request":
                chunk = message.get("body", b"")
                room = BODY_CAP - len(request_body)
                if len(chunk) > room:
                    exchange.request_truncated = True
                request_body.extend(chunk[: max(room, 0)])
            return message

        def finish(error: str | None = None) -> None:
            nonlocal done
            if done:
                return
            done = True
            try:
                record(error)
            except Exception as exc:  # observing must never break the call it observes
                logger.warning("could not record a call: %s", type(exc).__name__)

        def record(error: str | None) -> None:
            elapsed = time.perf_counter() - started
            status = exchange.status or 500
            template = route_template(scope)
            if scope_state.get(BODY_CUT_OFF) is True:
                record_cut_off(template, elapsed)
                return
            if metrics is not None:
                metrics.observe_request(method, template, status, elapsed)
            logger.info(
                "method=%s path=%s route=%s status=%d latency_ms=%.1f",
                method,
                path,
                template,
                status,
                elapsed * 1000,
            )
            if not keep or journal is None or _is_the_boundary(method, path, status):
                return
            journal_call(journal, status, template, elapsed, error)

        def record_cut_off(template: str, elapsed: float) -> None:
            """The connection ended before the body arrived whole (core/request_guard.py): the 400
            the guard rendered reached nobody. The client left, or the wire answered it itself
            (the stop's 503, a broken chunk's 400) and logged that answer under the request id
            its client got; this line and the journal entry claimed a 400 under another id. No
            status, then, and not counted as an answered request in the metrics."""
            logger.info(
                "method=%s path=%s route=%s status=- latency_ms=%.1f %s",
                method,
                path,
                template,
                elapsed * 1000,
                CUT_OFF_NOTE,
            )
            if keep and journal is not None:
                exchange.response_headers = []  # the guard's 400, which never left
                exchange.response_truncated = False
                response_body.clear()
                journal_call(journal, None, template, elapsed, CUT_OFF_ERROR)

        def journal_call(
            journal: Journal, status: int | None, template: str, elapsed: float, error: str | None
        ) -> None:
            exchange.status = status
            exchange.latency_ms = elapsed * 1000
            if path in _STAMPED_AFTER_PATHS and clock is not None:
                exchange.at = clock.now()
            exchange.route = template if template != "unmatched" else None
            exchange.request_id = scope_state.get("request_id")
            region = scope_state.get("region")
            exchange.region = str(region) if region is not None else None
            exchange.principal = scope_state.get("principal")
            exchange.path_params = dict(scope.get("path_params") or {})
            exchange.request_headers = _decode_headers(scope.get("headers", []))
            exchange.admin = is_admin(path, exchange.request_headers, scope_state, state)
            exchange.request_body = bytes(request_body)
            exchange.response_body = bytes(response_body)
            exchange.fault_id = scope_state.get("fault_id")
            exchange.error = error
            journal.record(exchange)

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = _decode_headers(message.get("headers", []))
            elif message["type"] == "http.response.body":
                if keep_bodies:
                    chunk = message.get("body", b"")
                    room = BODY_CAP - len(response_body)
                    if len(chunk) > room:
                        exchange.response_truncated = True
                    response_body.extend(chunk[: max(room, 0)])
                if not message.get("more_body", False):
                    finish()
            await send(message)

        try:
            await self.app(scope, capture_receive, capture_send)
        except BaseException as exc:
            finish(error=type(exc).__name__)
            raise
        finally:
            finish()
            on_behalf_of.reset(behalf_token)
            current_call.reset(token)


class OutboundObserver:
    """Journals and counts every call localexa makes (core.http.OutboundHttp.observers)."""

    def __init__(self, journal: Journal, clock: Clock, metrics: Metrics) -> None:
        self._journal = journal
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, call: OutboundCall) -> None:
        try:
            self._record(call)
        except Exception as exc:  # observing must never break the call it observes
            logger.warning("could not record an outbound call: %s", type(exc).__name__)

    def _record(self, call: OutboundCall) -> None:
        self._metrics.observe_outbound(call.method, call.url, call.status, call.latency_ms / 1000)
        parent = current_call.get() or {}
        parent_state: dict[str, Any] = parent.get("state", {})
        behalf = on_behalf_of.get()
        region = behalf.region if behalf is not None and behalf.region else parent_state.get("region")
        self._journal.record(
            Exchange(
                direction="outbound",
                at=self._clock.now(),
                method=call.method,
                path="",
                url=call.url,
                status=call.status,
                latency_ms=call.latency_ms,
                request_id=parent_state.get("request_id"),
                region=str(region) if region is not None else None,
                principal=parent_state.get("principal"),
                path_params=dict(parent.get("path_params") or {}),
                customer=behalf.customer if behalf is not None else None,
                skill=behalf.skill if behalf is not None else None,
                request_headers=list(call.request_headers.items()),
                response_headers=list(call.response_headers),
                request_body=call.request_body[:BODY_CAP],
                request_truncated=len(call.request_body) > BODY_CAP,
                response_body=call.response_body[:BODY_CAP],
                response_truncated=len(call.response_body) > BODY_CAP,
                error=call.error,
            )
        )
