"""How many connections `localexa serve` holds at once, and which gives way (cli/wire.py's guard).

The open-file limit is raised to its hard limit at start; the client connections of every listener
of the process share one cap below it; past the cap the connection that has waited longest for a
request is shed to let the new one in.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from localexa.cli.wire_answers import WireRender

logger = logging.getLogger("localexa.serve")

#: Open files kept back from clients' connections: the database pool, the log, outbound calls.
FILE_RESERVE = 256
#: How often, at most, shed connections (and TLS handshakes given up) are logged.
SHED_LOG_SECONDS = 10.0


def raise_open_file_limit() -> int | None:
    """Raise this process's soft limit on open files to its hard limit (many systems start
    processes at 1024, where as many slow clients stopped the server from accepting anyone) and
    return it; None where there is no such limit to read (Windows) or it is unlimited."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # macOS caps the soft limit below an unlimited hard one
            logger.debug("could not raise the open-file limit from %d to %d", soft, target)
    return soft


def connection_limit(open_files: int | None) -> int:
    """How many client connections may be open at once: the open-file limit less a reserve."""
    if open_files is None:
        return 1 << 20
    return max(1, open_files - min(FILE_RESERVE, open_files // 2))


class Tally:
    """How often something that comes in floods happened since it was last logged: it is logged
    at most once per SHED_LOG_SECONDS, with the count."""

    def __init__(self) -> None:
        self.count = 0
        self.logged_at = 0.0

    def due(self) -> int:
        """Count one; the count to log now, or 0 within SHED_LOG_SECONDS of the last line."""
        self.count += 1
        now = time.monotonic()
        if now - self.logged_at < SHED_LOG_SECONDS:
            return 0
        count, self.count, self.logged_at = self.count, 0, now
        return count


class Waiting(Protocol):
    """A connection the budget may shed: a TLS handshake under way, or an HTTP connection waiting
    for a request's head."""

    @property
    def transport(self) -> asyncio.BaseTransport: ...

    def shed(self) -> None: ...


class ConnectionBudget:
    """The client connections of every listener of this process (localexa's three and My Lights'),
    against one cap below the open-file limit.

    Past the cap, the connection that has waited longest for a request (idle between requests,
    still sending its head, or, with TLS, still in its handshake) is closed to let the new one in:
    accepting nothing once the process ran out of files, uvicorn let ~1000 slow clients (or silent
    ones) stop it answering anyone. A connection whose request is running is never shed; with none
    to shed, the new one gets 503 (with TLS, a reset: see `TlsHandshake`).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        #: Connections waiting for a request's head (or their handshake), longest-waiting first (a
        #: dict keeps order).
        self.waiting: dict[Waiting, None] = {}
        self._shed = Tally()
        self._full = Tally()
        #: Called for each connection shed (localexa's metrics, `localexa serve`).
        self.on_shed: Callable[[], object] | None = None

    def admit(self, newcomer: Waiting) -> bool:
        self.open += 1
        if self.open <= self.limit:
            return True
        while self.waiting:
            victim = next(iter(self.waiting))
            del self.waiting[victim]
            if victim is not newcomer and not victim.transport.is_closing():
                victim.shed()
                self._note_shed()
                return True
        return False

    def log_full_now(self) -> bool:
        """A new connection was answered 503, with no connection to shed: whether to log it. They
        come in floods, so the first in SHED_LOG_SECONDS is logged, under the request id its
        answer carried, and every one is counted (`localexa_http_refused_total`). None was
        logged, and a client holding such a 503's id found nothing in the log."""
        return bool(self._full.due())

    def _note_shed(self) -> None:
        if self.on_shed is not None:
            self.on_shed()
        count = self._shed.due()
        if count:
            logger.warning(
                "%d connections open, the most this process holds: closed %d idle or unfinished "
                "ones to let new ones in",
                self.limit,
                count,
            )


@dataclass
class WireGuard:
    """What a server's connections share: the budget, the client timeout, the refusal renderer,
    with `--tls` the server's TLS context (uvicorn then gets no ssl options: the guard does the
    handshakes, `TlsHandshake`), and the stop's grace when given (`--stop-grace`;
    cli/wire_stop.py `stop_grace`)."""

    budget: ConnectionBudget
    client_timeout: float
    render: WireRender = field(repr=False)
    tls: ssl.SSLContext | None = field(default=None, repr=False)
    stop_grace: float | None = None
