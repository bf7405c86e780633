"""What `localexa serve`'s connections get when the server stops (cli/wire.py's guard).

On SIGTERM (or SIGINT) uvicorn closes the listeners, closes every connection with no request in
hand, and waits, with no bound, for each request it has begun to be answered. A request counts as
begun from the end of its head, so one whose body was still arriving was waited for until the
request guard's 408: a client that paused its body kept the process alive a client timeout per
pause (measured: 38.5 s after the SIGTERM with `--client-timeout 40`; a day was allowed), and a
client that had sent half a head was cut off without a word. So when the server stops:

- a connection with no request in hand (idle between requests) is closed at once, as before;
- a request still arriving (its head, or the body its head announced) has the stop's grace,
  `stop_grace` (`--stop-grace`; unset, the client timeout, at most STOP_GRACE_SECONDS), to arrive
  whole. Whole by then,
  it is served; else it is answered 503 in its API's shape with `Connection: close` and nothing
  of it is done;
- a request that has arrived whole runs to its end, however long its handler takes;
- an answer its client reads nothing of for the grace ends its connection (the client timeout
  otherwise: `UnreadAnswer`);
- a second SIGTERM or SIGINT stops at once, without waiting for any connection: the evaluation
  runs in hand have a second to be handed over, then the process ends by the signal
  (cli/serve_servers.py `AnnouncingServer`).
"""

from __future__ import annotations

from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from localexa.cli.serve_limits import STOP_GRACE_SECONDS as STOP_GRACE_SECONDS
from localexa.cli.wire_budget import WireGuard
from localexa.cli.wire_unread import UnreadAnswer


def stop_grace(client_timeout: float, given: float | None = None) -> float:
    """Seconds a stopping server gives a request still arriving, and an answer left unread: the
    `given` grace (`--stop-grace`), else no more than one pause of the client timeout and no more
    than STOP_GRACE_SECONDS."""
    return given if given is not None else min(client_timeout, STOP_GRACE_SECONDS)


def body_arriving(cycle: RequestResponseCycle | None) -> bool:
    """The request in hand has not been answered, nor has all of its body come."""
    return cycle is not None and cycle.more_body and not cycle.response_started and not cycle.disconnected


def stopping_message(grace: float) -> str:
    return (
        f"localexa is stopping, and this request had not arrived whole {grace:g} s later; nothing of "
        "it was done. Send it again once the server runs."
    )


class StopGrace(HttpToolsProtocol):
    """The stop's part of the guarded protocol (cli/wire.py `GuardedHttpToolsProtocol`, which
    sets the state read here and does the refusing and closing)."""

    guard: ClassVar[WireGuard]
    unread: UnreadAnswer
    in_head: bool  # a request's head is arriving
    lingering: bool  # refused: read and dropped until it closes
    pending: tuple[int, str, str, bool] | None  # a refusal due after the answers before it
    #: The server stops: no request after the one in hand (`on_headers_complete`).
    stopping = False

    def shutdown(self) -> None:
        """The server stops: a connection with no request in hand goes at once (with TLS too: its
        TLS close waited up to the client timeout for the client's close_notify); one whose
        request is still arriving has the stop's grace for it (uvicorn waited for a paused body
        until its 408, and cut off a head under way); a request in hand is answered, then the
        connection closes."""
        self.stopping = True
        grace = stop_grace(self.guard.client_timeout, self.guard.stop_grace)
        self.unread.hurry(grace)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False  # uvicorn's own shutdown: answered, then closed
            if body_arriving(cycle):
                self.loop.call_later(grace, self._stop_waiting)
        elif self.in_head:
            self.loop.call_later(grace, self._stop_waiting)
        elif not self.lingering:  # a refusal's linger ends on its own, its answer read
            self._end()

    def _stop_waiting(self) -> None:
        """The stop's grace has passed: a request not yet whole is answered 503, none of it done
        (its handler, waiting for the body, learns that its client has gone)."""
        if self.transport.is_closing() or self.lingering or self.pending is not None:
            return
        cycle = self.cycle
        if body_arriving(cycle) or (self.in_head and (cycle is None or cycle.response_complete)):
            self._refuse(503, stopping_message(stop_grace(self.guard.client_timeout, self.guard.stop_grace)))

    def _refuse(self, status: int, message: str, not_http: bool = False, target: bytes | None = None) -> None:
        raise NotImplementedError  # GuardedHttpToolsProtocol's

    def _end(self, *, abort: bool = False) -> None:
        raise NotImplementedError  # GuardedHttpToolsProtocol's
