"""Where `localexa serve` listens: its sockets, bound before anything starts (cli/serve_run.py), and
the lines it prints once every listener accepts connections."""

from __future__ import annotations

import shlex
import socket
from pathlib import Path

import typer

from localexa.cli.serve_servers import DEMO_HOST, DEMO_LISTENER
from localexa.server.settings import Settings

#: Connections the kernel queues for a listener before it is accepted: uvicorn's default.
LISTEN_BACKLOG = 2048


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (connections wait in the queue until the server starts).

    It listens at once: bound only, with SO_REUSEADDR (so a restart is not refused for the last
    run's connections in TIME_WAIT), two processes started at the same moment on overlapping
    ports both bound the same port, both said "listening", and one listener never answered
    (admin contract QA of 2026-12-06: the testing kit's servers under pytest -n 2)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def announcement(settings: Settings) -> list[str]:
    """What `localexa serve` prints once every listener accepts connections (`_serve_all`): where
    it listens, the admin key, the CA to trust with --tls, and My Lights' address in demo mode.

    Printed before the app's start-up, "listening" was a claim the start-up could still break (a
    missing PostgreSQL database, another secret key): the user read it, then the error."""
    # An IPv6 address in brackets, as a URL writes it: `http://::1:8080` was no URL to paste.
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    ports = ", ".join(
        f"{region} {settings.scheme}://{host}:{p}" for region, p in settings.region_ports().items()
    )
    # Say where the key comes from: with LOCALEXA_ADMIN_KEY set, the data dir's file is not read
    # (and may hold another key from an earlier run). A key the caller set is not echoed: they
    # have it, and the banner often ends up in a CI log or a process manager's journal.
    if settings.admin_key is not None:
        key_line = "admin key: set by LOCALEXA_ADMIN_KEY (not shown)"
    else:
        # Resolved now, before start-up, as the app does: a new data dir's key file is written here.
        key_line = f"admin key: {settings.resolved_admin_key()}  (kept in {settings.data_dir / 'admin-key'})"
    lines = [f"localexa listening: {ports}", key_line]
    if settings.tls:
        from localexa.server.core.tls import tls_dir

        ca_file = (tls_dir(settings.data_dir) / "ca.pem").resolve()
        # `localexa ca` reads ./.localexa unless told: run as the hint said with another data dir,
        # it made a CA of its own there, which the server's certificate does not chain to.
        show = "localexa ca"
        if settings.data_dir.resolve() != Path(".localexa").resolve():
            show = f"localexa --data-dir {shlex.quote(str(settings.data_dir))} ca"
        lines.append(f"TLS: clients must trust {ca_file}  (`{show}` shows how)")
    if settings.demo:
        lines.append(
            f"{DEMO_LISTENER} device cloud: {settings.scheme}://{DEMO_HOST}:{settings.resolved_demo_port()}"
        )
    return lines


def bind_region_sockets(settings: Settings) -> list[socket.socket]:
    """One listening socket per region, then in demo mode My Lights' (last), or a one-line error
    (exit 1) naming the port that is taken: not a traceback.

    My Lights' port is bound here too, before anything starts: left to its own uvicorn server, a
    taken port+3 ended the start in "cannot start: CancelledError" and a traceback (exit 3)."""
    listeners = [(region, settings.host, port) for region, port in settings.region_ports().items()]
    if settings.demo:
        # The demo cloud listens on the loopback interface whatever --host is (build_demo_device_cloud).
        listeners.append((DEMO_LISTENER, DEMO_HOST, settings.resolved_demo_port()))
    sockets: list[socket.socket] = []
    for name, host, port in listeners:
        try:
            sockets.append(bind_socket(host, port))
        except OSError as exc:
            for sock in sockets:
                sock.close()
            typer.echo(
                f"localexa: cannot listen on {host}:{port} ({name}): {exc.strerror or exc}. "
                f"Stop what uses it, or {_other_ports_hint(settings, demo_port=name == DEMO_LISTENER)}.",
                err=True,
            )
            raise typer.Exit(1) from None
    return sockets


def _other_ports_hint(settings: Settings, *, demo_port: bool) -> str:
    if settings.demo:
        hint = "choose other ports with --port (NA; EU, FE and the My Lights demo take the next three)"
        # --no-demo frees only My Lights' port: no use when a region's port is the one taken.
        return f"{hint}, or serve with --no-demo" if demo_port else hint
    return "choose other ports with --port (NA; EU and FE take the next two)"
