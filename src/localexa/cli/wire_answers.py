"""The answers `localexa serve`'s wire guard writes itself (cli/wire.py): refusals rendered in the
API's own shape, the bytes of a closing answer, and the words that say what was wrong; and the
transport the app's answers are written to (`AnswerTransport`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle

from localexa.server.core.request_id import REQUEST_ID_HEADER, current_request_id

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("localexa.serve")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("ascii")

#: Largest request head (request line and header fields): larger is a 431. uvicorn's httptools
#: protocol kept any head whole in memory (a 200 MB header grew the process by 250 MB).
MAX_HEAD_BYTES = 64 * 1024

#: A wire refusal's headers and body, rendered by `wire_renderer`.
WireAnswer = tuple[list[tuple[bytes, bytes]], bytes]


class WireRender(Protocol):
    """Renders a wire refusal (`wire_renderer`): under `request_id` when the app has given the
    request one (`app_request_id`), else under a new one."""

    def __call__(self, status: int, message: str, path: str, request_id: str | None = None) -> WireAnswer: ...


def app_request_id(cycle: RequestResponseCycle) -> str | None:
    """The request id the app gave a request it runs (core/request_id.py RequestIdMiddleware puts
    it in the scope's state before any handler reads the body), or None: the app has not run yet,
    or gives none (an app served without that middleware). A refusal of that request answers and
    logs under it, so the id the client gets finds the app's access line and journal entry of the
    same request."""
    state = cycle.scope.get("state")
    request_id = state.get("request_id") if isinstance(state, dict) else None
    return request_id if isinstance(request_id, str) else None


#: Set in the scope state of a request the wire refused before its app began it (`AppUnlessRefused`).
_REFUSED_BEFORE_RUN = "localexa_refused_before_run"


def refused_before_run(cycle: RequestResponseCycle) -> None:
    """The wire refuses a request whose app has not begun it (a bad chunk in the head's own
    packet): the app is then never run for it (`AppUnlessRefused`)."""
    cycle.scope.setdefault("state", {})[_REFUSED_BEFORE_RUN] = True


class AppUnlessRefused:
    """A server's app, never run for a request the wire refused before the app began it
    (`refused_before_run`). uvicorn starts the app's task as a head ends, and the task ran the
    request all the same, under a request id of its own: its access line and journal entry
    claimed an answer nobody got (a 401, or `cut off`) beside the wire's 400 under another id.
    Not run, the wire's line is the only one about it, as for every other wire refusal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state")
        if isinstance(state, dict) and state.get(_REFUSED_BEFORE_RUN):
            return
        await self.app(scope, receive, send)


class Refused(Exception):
    """Raised from a parser callback (cli/wire.py) to stop parsing; the protocol's `refusal` says
    why."""


def wire_renderer(app: ASGIApp) -> WireRender:
    """A refusal (status, message, path) as `app` answers it: in the API family of the path for
    localexa (core/errors.py), `{"message": …}` for an app without families (My Lights); with
    `request_id` (the app's, for a request it runs) or a new one in `X-Amzn-RequestId`."""
    from starlette.responses import JSONResponse, Response

    from localexa.server.core.errors import refused_in_shape, render_error
    from localexa.server.core.refusals import refusal

    state = getattr(app, "state", None)
    metrics = getattr(state, "metrics", None)  # localexa's; My Lights has none

    def render(status: int, message: str, path: str, request_id: str | None = None) -> WireAnswer:
        if metrics is not None:
            metrics.count_wire_refusal(status)
        # Every answer carries an id, the plain one too (My Lights', or when the shape fails):
        # the refusal's log line (`log_refusal`) carries the same one.
        request_id = request_id or str(uuid.uuid4())
        response: Response = JSONResponse(
            {"message": message}, status_code=status, headers={REQUEST_ID_HEADER: request_id}
        )
        families = getattr(state, "families", None)
        if families is not None:
            try:
                family = families.family_for(path)
                response = render_error(refused_in_shape(refusal(status, message), path), family, request_id)
            except Exception:  # a wire refusal must go out whatever the page renderer does
                logger.exception("could not render a %d for %s; answered with a plain body", status, path)
        return list(response.raw_headers), bytes(response.body)

    return render


class AnswerTransport(asyncio.Transport):
    """What a request's cycle writes its answer to: the connection's transport, but for its close.

    uvicorn closes the connection after an answer that says `Connection: close`; while the
    request's body is still coming (a 413 for a `Content-Length` over the cap, a 401 to an
    `Expect: 100-continue`), the connection lingers instead as after the guard's own refusals
    (`linger`): a socket closed with unread bytes is reset, and the client could lose the answer
    (RFC 9112 §9.6)."""

    def __init__(
        self, transport: asyncio.Transport, cycle: RequestResponseCycle, linger: Callable[[], None]
    ) -> None:
        super().__init__()
        self._transport = transport
        # Weak: the cycle holds this as its transport, and `linger` is a method of the protocol
        # that holds the cycle. Strong references made every request a reference cycle that only
        # the garbage collector freed, promoted to older generations while the request ran: the
        # served process grew ~2 MB over 100,000 GETs (bench/memory.py) and paid the collections.
        self._cycle = weakref.ref(cycle)
        self._linger = weakref.WeakMethod(linger)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._transport.write(data)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        cycle, linger = self._cycle(), self._linger()
        if cycle is not None and cycle.more_body and linger is not None and not self._transport.is_closing():
            linger()
        else:
            self._transport.close()


def closing_answer(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """The bytes of an answer the guard writes itself, followed by the connection's close."""
    content = [STATUS_LINE[status]]
    for name, value in [*headers, (b"connection", b"close")]:
        content.extend([name, b": ", value, b"\r\n"])
    content.extend([b"\r\n", body])
    return b"".join(content)


def log_refusal(
    uvicorn_logger: logging.Logger | None,
    peer: str,
    status: int,
    message: str,
    headers: list[tuple[bytes, bytes]],
    *,
    logged: bool = True,
) -> None:
    """The log line of a refusal the guard answered with `headers`: it carries the request id the
    answer gave the client (`X-Amzn-RequestId`), so the id a client was given leads to it (it
    said `request_id=-`). With `uvicorn_logger` (a request that is not HTTP), uvicorn's own line
    first, as before (tests/demo/test_walkthrough.py reads it); ours says the reason, which was
    only in the answer. Not `logged`: the connection budget's 503 at an accept, when the process
    holds all the connections it can (they come in floods), past the first in a while
    (`ConnectionBudget.log_full_now`), is only counted in the metrics (`wire_renderer`)."""
    request_id = next((v.decode("latin-1") for k, v in headers if k.lower() == _REQUEST_ID), "-")
    token = current_request_id.set(request_id)
    try:
        if uvicorn_logger is not None:
            uvicorn_logger.warning("Invalid HTTP request received.")
        if logged:
            logger.warning("refused a request of %s with %d: %s", peer, status, message)
    finally:
        current_request_id.reset(token)


def head_too_large_message() -> str:
    return f"The request's head (request line and header fields) is larger than {MAX_HEAD_BYTES} bytes."


def not_http_message(exc: httptools.HttpParserError, data: bytes) -> str:
    """What is wrong with a request the parser refused, in words a client's author can act on."""
    if data.startswith(b"\x16\x03"):
        return "This port speaks plain HTTP, and a TLS handshake came: use http://, or serve with --tls."
    cause = exc.__context__
    if isinstance(cause, UnicodeDecodeError):
        return "The request's target holds bytes that are not ASCII; percent-encode them (RFC 3986 §2.1)."
    if isinstance(cause, httptools.HttpParserInvalidURLError):
        return "The request's target is not a valid URL."
    if isinstance(exc, httptools.HttpParserCallbackError):
        return "The request is not valid HTTP/1.1."
    return f"The request is not valid HTTP/1.1: {exc}."


def target_path(target: bytes) -> str:
    """The path of a request target as far as it came: origin form, or absolute form (RFC 9112
    §3.2.2) without its scheme and authority; no query."""
    if target.startswith((b"http://", b"https://")):
        authority_and_path = target.split(b"//", 1)[1]
        slash = authority_and_path.find(b"/")
        target = authority_and_path[slash:] if slash >= 0 else b"/"
    return target.split(b"?", 1)[0].decode("latin-1") or "/"


def peer_name(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"
