"""The uvicorn servers one `localexa serve` process runs: localexa's (NA, EU and FE sockets) and,
in demo mode, the My Lights device cloud beside it (cli/serve_run.py builds the first and calls
`serve_all`).

They share the process's open-file budget and the wire guard's limits; the lines saying where
localexa listens are printed once both accept connections; the second server leaves signals and
uvicorn's "Started/Finished server process" lines to the first; with `exit_with_parent` (the
testing kit) the process stops once its parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from types import FrameType
from typing import Any

import typer
import uvicorn

from localexa.cli.serve_demo import DemoAccessLog, mylights_wire_renderer
from localexa.cli.serve_limits import MAX_FORCE_STOP_SECONDS
from localexa.cli.stdout_guard import OutputLost
from localexa.cli.wire_budget import ConnectionBudget, WireGuard, connection_limit
from localexa.cli.wire_tls import guarded_protocol
from localexa.server.core.request_id import RequestIdMiddleware
from localexa.server.settings import Settings

logger = logging.getLogger("localexa.serve")

#: What the demo device cloud's listener is called in messages, and the interface it listens on.
DEMO_LISTENER = "My Lights"
DEMO_HOST = "127.0.0.1"


async def serve_all(
    server: AnnouncingServer,
    sockets: list[socket.socket],
    settings: Settings,
    budget: ConnectionBudget,
    lines: list[str],
    tls: ssl.SSLContext | None = None,
) -> None:
    """localexa, and in demo mode the My Lights device cloud beside it until localexa stops;
    `lines` are printed once both accept connections (after the app's start-up succeeded). With
    `tls` (--tls) My Lights speaks HTTPS too, with localexa's certificate.

    SIGTERM and SIGINT are held around both servers (`AnnouncingServer.process_signals`), and
    re-raised once both have stopped. uvicorn held them around localexa's alone: the signal was
    re-raised as soon as localexa had drained, so the process died (SIGTERM) with My Lights'
    requests in flight, or (SIGINT) cancelled them: a 500 and a traceback in the log."""
    if settings.exit_with_parent is not None:
        # Referenced until done: the loop itself keeps only weak references to tasks.
        watcher = asyncio.create_task(_stop_when_orphaned(server, settings.exit_with_parent))
        _watchers.add(watcher)
        watcher.add_done_callback(_watchers.discard)
    mylights = build_demo_device_cloud(settings, budget, tls) if settings.demo else None
    servers = [server] if mylights is None else [server, mylights]
    announcer = asyncio.create_task(_announce_when_listening(servers, lines))
    with server.process_signals():
        try:
            if mylights is None:
                await server.serve(sockets=sockets)
                return
            server.beside.append(mylights)
            *regions, demo_socket = sockets  # bind_region_sockets put My Lights' socket last
            task = asyncio.create_task(mylights.serve(sockets=[demo_socket]))
            try:
                await server.serve(sockets=regions)
            finally:
                # My Lights stops once localexa has: a directive localexa still sends reaches it.
                mylights.should_exit = True
                mylights.force_exit |= server.force_exit
                await task
        finally:
            announcer.cancel()  # a start that failed or was stopped says nothing


async def _announce_when_listening(servers: list[AnnouncingServer], lines: list[str]) -> None:
    for each in servers:
        await each.listening.wait()
    try:
        for line in lines:
            typer.echo(line)
    except OutputLost:
        # A server whose stdout is full or closed keeps serving (the root group's stdout guard
        # would end a command; a server is no command's output).
        return


#: How long a force stop (a second SIGTERM or SIGINT) waits for the app's runs in hand to be
#: handed over (`AnnouncingServer.on_forced`) before the process ends; a third signal waits no more.
FORCE_STOP_SECONDS = 1.0


def force_stop_seconds() -> float:
    """FORCE_STOP_SECONDS, or `LOCALEXA_FORCE_STOP_SECONDS` (0 to 60) when it is set to such a
    number: a supervisor that gives a forced process longer can let more runs be handed over, and
    a test on a loaded machine need not race the second."""
    try:
        chosen = float(os.environ.get("LOCALEXA_FORCE_STOP_SECONDS", FORCE_STOP_SECONDS))
    except ValueError:
        return FORCE_STOP_SECONDS
    return chosen if 0 <= chosen <= MAX_FORCE_STOP_SECONDS else FORCE_STOP_SECONDS


def _capture_hangup(handler: Callable[[int, FrameType | None], None]) -> Any:
    """Handle SIGHUP with `handler` where this process can (a POSIX main thread); the handler it
    had, to restore, or None when it was not changed."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(hangup, handler)


def _restore_hangup(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGHUP, previous)


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server whose `listening` is set once it accepts connections: its app's start-up
    (migrations, the database, the demo seed) succeeded and its sockets are served. A failed
    start-up never gets there (uvicorn exits with status 3 first). `on_stopping` is called as its
    shutdown begins, `on_forced` when a second signal cuts it short (server/stopping.py)."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_stopping: Callable[[], None] | None = None,
        on_forced: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()
        self.on_stopping = on_stopping
        self.on_forced = on_forced
        #: Servers of the same process that stop after this one (My Lights): a second signal
        #: stops them at once too.
        self.beside: list[uvicorn.Server] = []
        #: A third signal: the force stop waits for nothing more.
        self.stop_now = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Not around `serve`: `serve_all` holds the signals around every server of the process."""
        yield

    @contextlib.contextmanager
    def process_signals(self) -> Iterator[None]:
        """uvicorn's signal handling (`handle_exit`; the signals re-raised on leaving), but for a
        force stop, which ends the process as the signal's own default action does.

        Re-raised into Python, a second SIGINT (Ctrl-C twice) became a KeyboardInterrupt, and
        asyncio's runner cancelled what still ran on its way out: each request in flight logged
        "Exception in ASGI application" with a traceback at level error and was answered 500, and
        the app's lifespan logged a traceback too. A second SIGTERM ended the process at once
        already (its default action); now a second SIGINT does as well (exit status 130)."""
        forced: list[int] = []
        with super().capture_signals():
            # SIGHUP too (the terminal that ran `localexa serve` closed, a supervisor's hang-up):
            # it ended the process at once, no drain, no line (ops37 F6); it stops as SIGTERM does,
            # and is re-raised once stopped as uvicorn re-raises the others.
            hangup = _capture_hangup(self.handle_exit)
            try:
                yield
            finally:
                _restore_hangup(hangup)
                if self.force_exit:  # re-raised below, not by uvicorn
                    forced = list(self._captured_signals)
                    self._captured_signals.clear()
        for sig in reversed(forced):  # as uvicorn re-raises them: the last one first
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:  # a SIGTERM during start-up: it stops at once, so it never listened
            self.listening.set()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM, SIGINT or SIGHUP: the first stops gracefully (cli/wire_stop.py), a second at once,
        without waiting for any connection. uvicorn stopped at once on a second SIGINT only: a
        second SIGTERM (a supervisor's retry, `kill` typed twice) waited like the first."""
        if self.force_exit:
            self.stop_now = True
        if self.should_exit:
            for each in (self, *self.beside):
                each.force_exit = True
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's shutdown waits for every connection to close before the app's lifespan hears
        # of it: the app's background work is told now, so it sends nothing new meanwhile.
        if self.on_stopping is not None:
            self.on_stopping()
        await super().shutdown(sockets=sockets)
        if self.force_exit and self.on_forced is not None:
            await self._briefly(self.on_forced())

    async def _briefly(self, step: Awaitable[None]) -> None:
        """`step`, for `force_stop_seconds()` at most (or until a third signal). Cut short, it is
        left as it is: the process ends with the signal next, never cancelling it mid-write."""
        task = asyncio.ensure_future(step)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + force_stop_seconds()
        while not task.done() and not self.stop_now and loop.time() < deadline:
            await asyncio.wait({task}, timeout=0.05)
        if not task.done():
            logger.warning(
                "stopping at once: the evaluation runs still waiting on a directive are taken over "
                "when their leases expire"
            )
        elif not task.cancelled() and task.exception() is not None:
            logger.warning("could not hand the evaluation runs over: %s", task.exception())


_watchers: set[asyncio.Task[None]] = set()
#: How often the parent is looked at: a leftover server lives at most this long.
ORPHAN_POLL_SECONDS = 0.5


async def _stop_when_orphaned(server: uvicorn.Server, parent_pid: int) -> None:
    """Shut down gracefully once `parent_pid` is gone (the kernel re-parents us)."""
    while not server.should_exit:
        if os.getppid() != parent_pid:
            logger.warning("parent process %d has ended; stopping", parent_pid)
            server.should_exit = True
            return
        await asyncio.sleep(ORPHAN_POLL_SECONDS)


#: True in the task that serves My Lights (set in its own context, not the main server's).
_second_server: ContextVar[bool] = ContextVar("localexa_second_server", default=False)
#: uvicorn's lines about the process (not the server): one process, so each is said once.
_PROCESS_LINES = frozenset({"Started server process [%d]", "Finished server process [%d]"})


class _OncePerProcess(logging.Filter):
    """Drops the second uvicorn server's "Started/Finished server process [pid]": My Lights runs
    in localexa's process, and the log said the process started twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_second_server.get() and record.msg in _PROCESS_LINES)


_ONCE_PER_PROCESS = _OncePerProcess()


class _QuietServer(AnnouncingServer):
    """A uvicorn server beside the main one: signal handling (`serve_all`) and the process's own
    lines are the main server's."""

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        logging.getLogger("uvicorn.error").addFilter(_ONCE_PER_PROCESS)  # once: addFilter ignores repeats
        mark = _second_server.set(True)
        try:
            await super().serve(sockets=sockets)
        finally:
            _second_server.reset(mark)


def build_demo_device_cloud(
    settings: Settings, budget: ConnectionBudget | None = None, tls: ssl.SSLContext | None = None
) -> AnnouncingServer:
    """The My Lights sample on `demo_port`, pointed at this server's LWA and event gateway, its
    connections held to localexa's limits and counted against the same open-file budget. With
    `tls` it speaks HTTPS (admin-api.md: with --tls "every listener speaks HTTPS"; it was plain
    http), the certificate covering 127.0.0.1, and localexa calls it trusting its own CA."""
    from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app, use_shared_cloud

    if settings.tls and settings.outbound_ca_file is not None:
        from localexa.skill.http import trust_ca_file

        # My Lights calls this server's LWA (AcceptGrant) and gateway over https://: without
        # localexa's CA the kit refused the certificate and AcceptGrant failed in the demo.
        trust_ca_file(settings.outbound_ca_file)
    config = MyLightsConfig(
        lwa_base_url=settings.base_url(),
        events_base_url=settings.base_url(),
        # The demo skill's EU and FE endpoints (admin/demo.py) send those customers' events to
        # their own region's listener, which is the only one that takes them.
        events_base_urls={region: settings.local_region_url(region) for region in settings.region_ports()},
    )
    cloud = DeviceCloud(config)
    use_shared_cloud(cloud)
    app = create_mylights_app(cloud=cloud)
    # Each answer with an `X-Amzn-RequestId` and an access line under it, as localexa's (the wire's
    # refusals of a request it runs then answer and log under that id too: wire_answers.py).
    served = RequestIdMiddleware(DemoAccessLog(app))
    port = settings.resolved_demo_port()  # announced with localexa's listeners (announcement)
    # No log_config and no log_level: a second uvicorn.Config would otherwise run uvicorn's own
    # logging set-up again over the one configure_logging made for the whole process, so uvicorn's
    # lines (startup, shutdown, a refused request, a trace) lost localexa's format, request ids and
    # redaction, and the level given with --log-level.
    guard = WireGuard(
        budget or ConnectionBudget(connection_limit(None)),
        settings.client_timeout,
        mylights_wire_renderer(),
        tls,
        settings.stop_grace,
    )
    server_config = uvicorn.Config(
        served,
        host=DEMO_HOST,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,  # as localexa's listeners: no `server: uvicorn`
        lifespan="off",
        http=guarded_protocol(guard),
        timeout_keep_alive=settings.idle_timeout,
        proxy_headers=False,  # the demo's cloud is reached directly (uvicorn believed loopback)
    )
    return _QuietServer(server_config)
