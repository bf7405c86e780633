"""`localexa serve`: run the server with the options of ../shared/spec/admin-api.md.

One app, three listeners: NA on `--port`, EU and FE on the next two ports (spec: regions are
distinct endpoints). Each option also reads its `LOCALEXA_*` variable. With `--tls` every listener
speaks HTTPS with a certificate from the local CA in `<data dir>/tls/` (core/tls.py), and the
server's outbound calls trust that CA too, beside `--outbound-ca-file`.

On the wire, each connection is held to what uvicorn leaves to a proxy in front of it
(`GuardedHttpToolsProtocol`): a request's head is at most 64 KiB (its target 16 KiB) and must
arrive within `--client-timeout`; an answer left unread that long ends its connection; a silent
connection is closed after `--idle-timeout`, also one that never sent a byte; and the open
connections stay below the process's open-file limit (raised to its hard limit at start), the
longest-waiting idle or unfinished one giving way to a new one. The body's own timeout is the
request guard's (core/request_guard.py).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import uvicorn

from localexa.cli.import_path import append_extra_import_path
from localexa.cli.serve_checks import (
    check_force_stop_seconds,
    check_options,
    check_ports,
    settings_from,
    use_data_dir,
    warn_of_a_padded_secret_key,
    warn_of_misspelt_names,
)
from localexa.cli.serve_limits import DEFAULT_CLIENT_TIMEOUT, DEFAULT_IDLE_TIMEOUT
from localexa.cli.serve_listen import announcement, bind_region_sockets
from localexa.cli.serve_lock import DataDirLock
from localexa.cli.serve_servers import AnnouncingServer, serve_all
from localexa.cli.start_failure import OneLineStartupFailure
from localexa.cli.wire_answers import wire_renderer
from localexa.cli.wire_budget import ConnectionBudget, WireGuard, connection_limit, raise_open_file_limit
from localexa.cli.wire_tls import guarded_protocol, server_tls_context
from localexa.server.observe.logging_setup import configure_logging
from localexa.server.settings import Settings

if TYPE_CHECKING:
    from localexa.server.app import StartCheck, StartupHook

logger = logging.getLogger("localexa.serve")


def build_settings(
    host: str,
    port: int,
    data_dir: Path,
    database_url: str | None,
    demo: bool,
    tls: bool,
    outbound_ca_file: Path | None = None,
    client_timeout: float = DEFAULT_CLIENT_TIMEOUT,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
    stop_grace: float | None = None,
) -> Settings:
    return Settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        demo=demo,
        tls=tls,
        outbound_ca_file=outbound_ca_file,
        client_timeout=client_timeout,
        idle_timeout=idle_timeout,
        stop_grace=stop_grace,
    )


def demo_hooks(settings: Settings) -> list[StartupHook]:
    """The demo seeding hook, when demo mode is on (admin/demo.py)."""
    if not settings.demo:
        return []
    from localexa.server.admin.demo import seed_demo

    return [seed_demo]


def demo_checks(settings: Settings) -> list[StartCheck]:
    """The demo's refusals, decided before the start's migration commits (admin/demo_checks.py)."""
    if not settings.demo:
        return []
    from localexa.server.admin.demo_checks import refuse_demo_start

    return [refuse_demo_start]


def pause_collection_for_startup() -> None:
    """No garbage collection while the app is imported and built (`freeze_startup_objects` turns
    it back on). Start-up allocates ~200,000 objects that nearly all live as long as the process;
    the collector ran ~290 times over them, twice over everything (measured with a gc callback:
    ~170 ms of a 1.4 s start) and found next to nothing."""
    gc.disable()


async def freeze_startup_objects(_app: object) -> None:
    """Keep what start-up built (modules, routes, models, the engine) out of garbage collection,
    then let collection resume.

    Those objects live as long as the process, yet every full collection walked them all: ~70 ms
    with the loop stopped, the slowest answers under load (bench/README.md). They are frozen
    without a collection first: one would walk ~200,000 objects (100-160 ms of the start) to find
    the little garbage start-up leaves, which is kept instead (measured with gc.DEBUG_SAVEALL:
    ~700 objects, ~0.14 MB, for a new SQLite data dir; ~0.5 MB with the demo seeded; ~1.2 MB
    after PostgreSQL's migrations). Only the serving process does this (the last startup hook):
    a test process that builds many apps keeps Python's defaults.
    """
    gc.freeze()
    gc.enable()


def start(
    database_url: str | None,
    outbound_ca_file: Path | None,
    log_level: str,
    settings: Callable[[], Settings],
) -> None:
    """`localexa serve` once its options are read (cli/serve.py): check them, build the settings
    (`build_settings` over the options), then serve."""
    append_extra_import_path()  # before any worker of a `python:` endpoint starts (import_path.py)
    check_options(database_url, outbound_ca_file, log_level)
    check_force_stop_seconds(os.environ)
    built = settings_from(settings)
    built.log_level = log_level.lower()
    check_ports(built)
    run_server(built)


def defer_model_building() -> None:
    """Let pydantic models defined from now on build their validators on first use, not at import.

    FastAPI's OpenAPI models and the wire shapes no route validates (skill messages, internal
    records) are then built only if used: a server that never serves `/openapi.json` never builds
    the former (measured: ~2 MB less resident memory, ~50 ms sooner healthy; bench/README.md).
    Only the serving process does this, before the app is imported: importing localexa as a
    library (the client, the skill kit, the testing kit) changes no pydantic setting.
    """
    from pydantic import BaseModel
    from pydantic.warnings import UnsupportedFieldAttributeWarning

    BaseModel.model_config["defer_build"] = True
    # FastAPI validates a JSON body through a TypeAdapter over `Annotated[Model, Field(alias=...)]`;
    # built late, pydantic warns once per route that the alias does nothing there (true in either
    # mode: FastAPI reads the body by that name itself). The test suite builds eagerly with warnings
    # as errors, so this only silences the deferred build's copy (tests/scale/test_serving_process.py).
    warnings.filterwarnings(
        "ignore", message="The 'alias' attribute with value", category=UnsupportedFieldAttributeWarning
    )


def run_server(settings: Settings) -> None:
    use_data_dir(settings)
    with DataDirLock(settings.data_dir):  # one process per data dir (cli/serve_lock.py)
        _serve(settings)


def _serve(settings: Settings) -> None:
    pause_collection_for_startup()
    configure_logging(settings.log_level)
    warn_of_misspelt_names(os.environ)
    warn_of_a_padded_secret_key(settings)
    defer_model_building()
    from localexa.server.app import create_app
    from localexa.server.stopping import begin_stopping, hand_over_runs

    localexa = create_app(
        settings,
        startup_hooks=[*demo_hooks(settings), freeze_startup_objects],
        start_checks=demo_checks(settings),
    )
    app = OneLineStartupFailure(localexa)
    # With --tls the wire guard does the handshakes (cli/wire.py, TlsHandshake): counted from accept
    # and held to the client timeout. Given to uvicorn, they were the listener's, with 60 s to end.
    tls = server_tls_context(**prepare_tls(settings)) if settings.tls else None
    budget = ConnectionBudget(connection_limit(raise_open_file_limit()))
    budget.on_shed = localexa.state.metrics.connections_shed.inc
    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        log_config=None,  # configure_logging set the format: key=value with request ids
        lifespan="on",
        access_log=False,
        server_header=False,
        # The fastest loop uvicorn[standard] brings (bench/README.md); asyncio's otherwise.
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        # httptools (a dependency), held to the limits uvicorn leaves to a proxy in front of it.
        http=guarded_protocol(
            WireGuard(budget, settings.client_timeout, wire_renderer(localexa), tls, settings.stop_grace)
        ),
        timeout_keep_alive=settings.idle_timeout,
        ws="none",  # no API here is a WebSocket; "auto" would load the websockets package at start
        # Whose X-Forwarded-For/-Proto to believe: only the proxies named. uvicorn's default
        # believed any process on 127.0.0.1 (or FORWARDED_ALLOW_IPS), so a local script, or a
        # remote one through a proxy that passes the header on, chose its own address and with
        # it a fresh sign-in budget per request (proxy QA of 2026-12-06).
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
    )
    server = AnnouncingServer(
        config, on_stopping=lambda: begin_stopping(localexa), on_forced=lambda: hand_over_runs(localexa)
    )
    sockets = bind_region_sockets(settings)
    lines = announcement(settings)
    # uvicorn's own run() would pick the loop; serving several sockets (and the demo cloud) we run
    # the loop ourselves, so ask the config for its loop factory (uvloop) instead of asyncio.run.
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve_all(server, sockets, settings, budget, lines, tls))


def prepare_tls(settings: Settings) -> dict[str, str]:
    """Issue (or renew) the server certificate and return uvicorn's SSL options. Also point the
    server's outbound calls at a bundle of the user's CA file plus localexa's own CA, so a skill
    endpoint whose certificate localexa's CA signed is reachable over https://."""
    # Imported here: certificate handling is only needed with --tls (and costs start-up time).
    from localexa.server.core.tls import ensure_server_certificate, outbound_trust_bundle, tls_dir

    directory = tls_dir(settings.data_dir)
    paths = ensure_server_certificate(directory, names=certificate_names(settings))
    settings.outbound_ca_file = outbound_trust_bundle(directory, settings.outbound_ca_file)
    return {"ssl_certfile": str(paths.cert_file), "ssl_keyfile": str(paths.key_file)}


def certificate_names(settings: Settings) -> list[str]:
    """Names beyond core.tls.SERVER_NAMES the certificate must cover: a specific `--host`
    (a LAN address a phone uses) and the host of `public_base_url`."""
    names: list[str] = []
    if settings.host not in {"", "0.0.0.0", "::"}:  # noqa: S104 - compared, not bound
        names.append(settings.host)
    if settings.public_base_url:
        public_host = urlsplit(settings.public_base_url).hostname
        if public_host:
            names.append(public_host)
    return names
