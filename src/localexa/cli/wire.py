"""What `localexa serve` holds each connection to on the wire, where uvicorn leaves it to a proxy:
`GuardedHttpToolsProtocol`, uvicorn's httptools protocol with the limits a front end would
otherwise give (its docstring lists them). Its parts: the connection budget (cli/wire_budget.py),
the refusals' answers (cli/wire_answers.py) and request lines (cli/wire_request_line.py), unread
answers (cli/wire_unread.py), the stop (cli/wire_stop.py) and TLS handshakes (cli/wire_tls.py).
The body's own timeout is the request guard's (core/request_guard.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import httptools
import uvicorn

from localexa.cli.wire_answers import (
    MAX_HEAD_BYTES,
    AnswerTransport,
    AppUnlessRefused,
    Refused,
    app_request_id,
    closing_answer,
    head_too_large_message,
    log_refusal,
    peer_name,
    refused_before_run,
    target_path,
)
from localexa.cli.wire_budget import WireGuard
from localexa.cli.wire_request_line import (
    framing_refusal,
    method_in_progress,
    parser_refusal,
    served_version,
    use_target_host,
    version_refusal,
)
from localexa.cli.wire_stop import StopGrace
from localexa.cli.wire_unread import UnreadAnswer

logger = logging.getLogger("localexa.serve")

#: Longest request target (the URL of the request line): longer is a 414. RFC 9112 §3 asks for at
#: least 8000 octets; Amazon's front ends stop near 8 KiB.
MAX_TARGET_BYTES = 16 * 1024
#: After a refusal the connection is read (and dropped) this long before it closes, so a client
#: still sending its head or body reads the answer rather than a reset.
LINGER_SECONDS = 2.0


class GuardedHttpToolsProtocol(StopGrace):
    """uvicorn's httptools protocol, held to limits uvicorn leaves to a proxy in front of it.

    - a head over MAX_HEAD_BYTES is a 431, a target over MAX_TARGET_BYTES a 414 (uvicorn kept
      any head whole in memory);
    - a head must arrive within the client timeout of its first byte, else 408 (one byte a second
      held a connection for ever);
    - a connection that never sends a byte is closed after the idle timeout, like one idle between
      requests (uvicorn armed that timer only after an answer);
    - an answer its client reads nothing of for the client timeout ends the connection (its task
      waited for ever), and so does one still unsent when the idle timeout closes the connection
      (a close waits for the unsent bytes);
    - a request that is not HTTP is answered with 400 saying what is wrong, in the API's shape,
      after the answers due before it: uvicorn answered a valid request pipelined before a broken
      one with nothing (it ran all the same) and the broken one with a plain-text 400. The
      connection is then read a little longer (LINGER_SECONDS), so a client still sending reads
      the answer, not a reset;
    - a client that half-closes after whole requests gets their answers (uvicorn closed at once);
    - when the connection ends, every request on it learns its client has gone (uvicorn told
      only the newest, and an older pipelined one wrote to the closed transport: a 500);
    - the open connections are counted against the process's `ConnectionBudget` (with TLS, from
      their accept: `TlsHandshake`);
    - when the server stops, a request still arriving has a short grace, then a 503 (`StopGrace`);
    - with TLS, a close gives the connection's file back once nothing is left to send (`_let_go`):
      the TLS close waited up to 30 s for the client's close_notify, and a shed or idle connection
      freed nothing for that long. A refusal is read and dropped for LINGER_SECONDS as without TLS
      (TLS has no half-close: its close sends close_notify, and the loop reads and drops what still
      comes until the client's own).
    """

    guard: ClassVar[WireGuard]

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.app = AppUnlessRefused(self.app)
        # Any digit.digit version reaches `on_headers_complete`: HTTP/1.2 is served as 1.1 and
        # HTTP/3.0 answered 505 there (RFC 9112 §2.3); llhttp gave both its 400.
        self.parser.set_dangerous_leniencies(lenient_version=True)
        self.url = b""
        self.in_head = False
        self.heads = 0  # heads begun on this connection
        self.head_bytes = 0  # bytes of the head in progress, as they arrived
        self.field_bytes = 0  # bytes of its complete header fields, as the parser handed them over
        self.refusal: tuple[int, str] | None = None  # met in a parser callback
        #: A refusal answered once the answers due before it are done: status, message, path, and
        #: whether the request was not HTTP at all.
        self.pending: tuple[int, str, str, bool] | None = None
        self.lingering = False
        self.counted = False
        self.head_timer: asyncio.TimerHandle | None = None
        self.unread = UnreadAnswer(self.loop, self.guard.client_timeout, self._unsent, self._send_stalled)
        #: Requests begun on this connection whose answers are not complete: uvicorn marks only the
        #: newest one when the connection goes, and an older one (pipelined before it) then wrote
        #: to a closed transport: uvloop raised, a 500 and a traceback in the log.
        self.cycles: list[Any] = []
        #: The client half-closed (sent all it will): the connection closes once it is answered.
        self.client_done = False
        #: With TLS, the TCP transport under the TLS one (`transport`); set by `TlsHandshake`.
        self.tcp: asyncio.Transport | None = None

    # -- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.counted = True
        # With TLS the connection was counted at its accept (`TlsHandshake`): the count passes here.
        if self.tcp is None and not self.guard.budget.admit(self):
            message = "localexa holds as many connections as it can; retry in a moment."
            self._answer_and_close(503, message, "/", linger=False)
            return
        self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._drop_requests()
        self._cancel_timers()
        self.guard.budget.waiting.pop(self, None)
        if self.counted:
            self.counted = False
            self.guard.budget.open -= 1
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol allows bool
        """The client half-closed its side (`shutdown(SHUT_WR)`, `nc -N`, some HTTP/1.0 clients)
        after whole requests: they are answered, then the connection closes. uvicorn closed at
        once, and an answer not yet written was lost (its write was done all the same: 2 or 3 of
        20 half-closing `POST /_localexa/customers` got nothing back)."""
        cycle = self.cycle
        running = cycle is not None and not cycle.response_complete
        whole = not self.in_head and not (running and cycle.more_body)
        if not self.lingering and whole and (running or self.pipeline or self.pending is not None):
            self.client_done = True
            return True
        return None  # nothing whole left to answer: close now

    def shed(self) -> None:
        """Closed to let a new connection in (ConnectionBudget)."""
        self._end()

    def _end(self, *, abort: bool = False) -> None:
        """Close the connection, every request on it told its client has gone first: uvloop
        raises on a write between the close and `connection_lost`."""
        self._drop_requests()
        self._cancel_timers()
        if abort:
            (self.tcp or self.transport).abort()
        else:
            self.transport.close()
            self._let_go()

    def _unsent(self) -> int:
        """Bytes of answers not yet handed to the socket (with TLS, in both transports)."""
        unsent = self.transport.get_write_buffer_size()
        if self.tcp is not None:
            unsent += self.tcp.get_write_buffer_size()
        return unsent

    def _let_go(self) -> None:
        """With TLS, after a close (which sent close_notify): give the connection's file back now
        if nothing is left to send, not once the client's own close_notify comes (it may never: an
        idle pooled client reads nothing). RFC 8446 §6.1: neither side need wait for the other's."""
        tcp = self.tcp
        if tcp is not None and not tcp.is_closing() and not self._unsent():
            tcp.abort()

    def _drop_requests(self) -> None:
        for cycle in self.cycles:
            if not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
        self.cycles = []

    def _await_request(self) -> None:
        """Between requests: the idle timer runs, and this connection may be shed."""
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
        self.guard.budget.waiting.pop(self, None)
        self.guard.budget.waiting[self] = None

    def timeout_keep_alive_handler(self) -> None:
        if self.transport.is_closing():
            return
        # close() would wait for ever for a client that reads nothing
        self._end(abort=bool(self._unsent()))

    def _cancel_timers(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        self.unread.cancel()
        self._unset_keepalive_if_required()

    # -- reading ------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.lingering or self.pending is not None:
            return  # refused: whatever else comes is dropped
        heads = self.heads
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if self.refusal is not None:
                self._refuse(*self.refusal)
            else:
                self._refuse(*parser_refusal(exc, data, self._method(), self.parser.get_http_version()))
            return
        if self.in_head:
            # Counted as it arrives: the parser keeps a header field's bytes until the field ends,
            # so one endless field never reaches `on_header`.
            if self.heads == heads:
                self.head_bytes += len(data)
            else:  # begun in this data, after the end of what came before it
                self.head_bytes = len(self.url) + self.field_bytes
            if self.head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, head_too_large_message())

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.heads += 1
        self.in_head = True
        self.head_bytes = self.field_bytes = 0
        # The idle timer stops; the head's own starts. Bytes that begin no request (stray line
        # ends, the rest of a refused body) leave the idle timer running.
        self._unset_keepalive_if_required()
        self.head_timer = self.loop.call_later(self.guard.client_timeout, self._head_too_slow)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            self.refusal = (414, f"The request's target (its URL) is longer than {MAX_TARGET_BYTES} bytes.")
            raise Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self.field_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if len(self.url) + self.field_bytes > MAX_HEAD_BYTES:
            self.refusal = (431, head_too_large_message())
            raise Refused

    def on_headers_complete(self) -> None:
        version = self.parser.get_http_version()
        self.refusal = version_refusal(version) or framing_refusal(self.headers)
        if self.refusal is not None:
            raise Refused
        self.expect_100_continue &= version != "1.0"  # RFC 9110 §10.1.1: no 100 to HTTP/1.0
        self.in_head = False
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        self.guard.budget.waiting.pop(self, None)  # a request runs: never shed
        use_target_host(self.url, self.headers)
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before:
            self.scope["http_version"] = served_version(version)
            self.cycle.transport = AnswerTransport(self.transport, self.cycle, self._linger)
            self.cycle.keep_alive &= not self.stopping
            self.cycles = [cycle for cycle in self.cycles if not cycle.response_complete]
            self.cycles.append(self.cycle)

    def _head_too_slow(self) -> None:
        self.head_timer = None
        if self.in_head and not self.transport.is_closing() and not self.lingering:
            seconds = self.guard.client_timeout
            self._refuse(408, f"The request's head did not arrive within {seconds:g} s of its first byte.")

    # -- answering ----------------------------------------------------------------------------

    def on_response_complete(self) -> None:
        if self.lingering:  # its answer said `Connection: close` (`AnswerTransport`): no more
            self.server_state.total_requests += 1
            return
        if self.pending is not None and not self.pipeline:
            self.server_state.total_requests += 1
            status, message, path, not_http = self.pending
            self._answer_and_close(status, message, path, not_http=not_http)
            return
        if self.client_done and not self.pipeline:
            self.server_state.total_requests += 1
            self._end()  # answered all it asked: it sends no more
            return
        super().on_response_complete()
        if self.transport.is_closing():  # answered with `Connection: close`
            self._let_go()
        elif self.timeout_keep_alive_task is not None:  # no pipelined request started: idle
            self._await_request()

    def pause_writing(self) -> None:
        super().pause_writing()
        self.unread.paused()

    def resume_writing(self) -> None:
        super().resume_writing()
        self.unread.cancel()

    def _send_stalled(self) -> None:
        logger.warning(
            "closed the connection of %s: it read nothing of its answer for %g s",
            peer_name(self.client),
            self.unread.timeout,  # the stop's grace once the server stops
        )
        self._end(abort=True)  # the task waiting to write sees a disconnect and ends

    def _refuse(self, status: int, message: str, not_http: bool = False, target: bytes | None = None) -> None:
        self.refusal = None
        # As far as it came, for its API's error shape: the parser's, or the refused line's own.
        path = target_path(self.url if target is None else target)
        cycle, request_id = self.cycle, None
        if cycle is not None and not cycle.response_complete:
            if self.in_head or self.pipeline or not cycle.more_body:
                # A later request is refused: the answers due before it go first, in order.
                self.pending = (status, message, path, not_http)
                self.flow.pause_reading()
                return
            if cycle.response_started:  # its own body broke under an answer begun: too late
                logger.warning("closed the connection of %s: %s", peer_name(self.client), message)
                self._end()
                return
            # The running request's own body is broken: answered here under the app's request id
            # (its access line's and journal entry's), its handler sees a client gone; or, the
            # app not begun yet (no id), the app never runs it (`AppUnlessRefused`).
            self._drop_requests()
            request_id = app_request_id(cycle)
            if request_id is None:
                refused_before_run(cycle)
        self._answer_and_close(status, message, path, not_http=not_http, request_id=request_id)

    def _answer_and_close(
        self,
        status: int,
        message: str,
        path: str,
        *,
        linger: bool = True,
        not_http: bool = False,
        request_id: str | None = None,
    ) -> None:
        if self.transport.is_closing():
            return
        headers, body = self.guard.render(status, message, path, request_id)
        if self._method() == b"HEAD":
            body = b""  # RFC 9110 §9.3.2: no content, whatever the status; Content-Length stays
        self.transport.write(closing_answer(status, [*self.server_state.default_headers, *headers], body))
        self._cancel_timers()
        self.guard.budget.waiting.pop(self, None)
        peer = peer_name(self.client)
        logged = linger or self.guard.budget.log_full_now()  # not lingering: the budget's 503
        log_refusal(self.logger if not_http else None, peer, status, message, headers, logged=logged)
        if not linger:
            self._end()
            return
        self._linger()

    def _linger(self) -> None:
        """Close after reading (and dropping) what still comes for LINGER_SECONDS: a client still
        sending its head or body reads the answer rather than a reset."""
        self._cancel_timers()
        self.guard.budget.waiting.pop(self, None)
        self.lingering = True
        self.flow.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client reads the answer, then its end
        else:
            # TLS has no half-close: its close sends the answer, then close_notify, and reads (and
            # drops) what the client still sends until the client's close_notify or the linger's end.
            self.transport.close()
        self.loop.call_later(LINGER_SECONDS, self._end_linger)

    def _method(self) -> bytes | None:
        return method_in_progress(self.parser, self.url)

    def _end_linger(self) -> None:
        if not (self.tcp or self.transport).is_closing():
            self._end(abort=True)
