"""`localexa serve`: the command and its options (../shared/spec/admin-api.md); serving itself is
cli/serve_run.py, imported once the options are read, so that `localexa serve --help` loads neither
uvicorn nor the server (0.73 s -> see tests/cli/test_main.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from localexa.cli.options import data_dir_of
from localexa.cli.serve_limits import (
    DEFAULT_CLIENT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    LOG_LEVELS,
    MAX_CLIENT_TIMEOUT,
    MAX_PORT,
    STOP_GRACE_BOUNDS,
    STOP_GRACE_SECONDS,
)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(envvar="LOCALEXA_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            envvar="LOCALEXA_PORT",
            min=1,
            max=MAX_PORT,
            help="NA port; EU and FE use the next two, the My Lights demo the third.",
        ),
    ] = 8080,
    data_dir: Annotated[
        Path, typer.Option(envvar="LOCALEXA_DATA_DIR", help="Where the SQLite file, keys and CA live.")
    ] = Path(".localexa"),
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="LOCALEXA_DATABASE_URL", help="postgresql+asyncpg://… (default: SQLite in the data dir)."
        ),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", envvar="LOCALEXA_DEMO", help="Seed the My Lights demo.")
    ] = True,
    tls: Annotated[
        bool, typer.Option("--tls/--no-tls", envvar="LOCALEXA_TLS", help="Serve HTTPS from a local CA.")
    ] = False,
    outbound_ca_file: Annotated[
        Path | None,
        typer.Option(
            envvar="LOCALEXA_OUTBOUND_CA_FILE",
            exists=True,
            dir_okay=False,
            readable=True,
            help="PEM CA bundle trusted for outbound https:// calls (skill token URLs and endpoints).",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(envvar="LOCALEXA_LOG_LEVEL", help=f"One of {', '.join(LOG_LEVELS)}.")
    ] = "info",
    client_timeout: Annotated[
        float,
        typer.Option(
            envvar="LOCALEXA_CLIENT_TIMEOUT",
            min=0.1,
            max=MAX_CLIENT_TIMEOUT,
            help="Seconds a client has to send a request's head, may pause in its body, "
            "or may leave an answer unread (at most a day).",
        ),
    ] = DEFAULT_CLIENT_TIMEOUT,
    idle_timeout: Annotated[
        int,
        typer.Option(
            envvar="LOCALEXA_IDLE_TIMEOUT",
            min=1,
            help="Seconds a connection may stay silent between requests before it is closed.",
        ),
    ] = DEFAULT_IDLE_TIMEOUT,
    stop_grace: Annotated[
        float | None,
        typer.Option(
            envvar="LOCALEXA_STOP_GRACE",
            min=STOP_GRACE_BOUNDS[0],
            max=STOP_GRACE_BOUNDS[1],
            show_default=False,
            help="Seconds a stopping server waits for a request still arriving or an answer left "
            f"unread (0.1 to 600; default: the client timeout, at most {STOP_GRACE_SECONDS:g}).",
        ),
    ] = None,
) -> None:
    """Run localexa: every Alexa smart home cloud API on this machine."""
    # Imported here: uvicorn, FastAPI and the server are what serving needs, not `--help`.
    from localexa.cli.serve_run import build_settings, start

    directory = data_dir_of(ctx, data_dir)
    start(
        database_url,
        outbound_ca_file,
        log_level,
        lambda: build_settings(
            host,
            port,
            directory,
            database_url,
            demo,
            tls,
            outbound_ca_file,
            client_timeout,
            idle_timeout,
            stop_grace,
        ),
    )
