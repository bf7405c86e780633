"""The checks `localexa serve` makes of its options and data directory before anything starts:
a value that cannot work is a usage error (exit 2) naming the option, an unusable data directory
one line and exit 1 (each of these used to end in a traceback; tests/cli/test_serve_bad_options.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import typer
from pydantic import ValidationError

from localexa.cli.serve_limits import LOG_LEVELS, MAX_FORCE_STOP_SECONDS, MAX_PORT
from localexa.env_names import misspelt
from localexa.server.settings import KeyFileError, Settings

logger = logging.getLogger("localexa.serve")

#: The databases localexa runs on: its SQLite file, or PostgreSQL through asyncpg.
DATABASE_SCHEMES = ("postgresql+asyncpg", "sqlite", "sqlite+aiosqlite")


def check_force_stop_seconds(environ: Mapping[str, str]) -> None:
    """`LOCALEXA_FORCE_STOP_SECONDS` (cli/serve_servers.py) from 0 to 60, or a usage error: out of
    range it was replaced by 1 s without a word, where every other setting exits 2 (readme37a F2)."""
    value = environ.get("LOCALEXA_FORCE_STOP_SECONDS")
    if value is None:
        return
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_FORCE_STOP_SECONDS:
        raise typer.BadParameter(
            f"{value!r} is not a number of seconds from 0 to {MAX_FORCE_STOP_SECONDS:g}",
            param_hint="LOCALEXA_FORCE_STOP_SECONDS",
        )


def check_options(database_url: str | None, outbound_ca_file: Path | None, log_level: str) -> None:
    """Refuse option values that cannot work with a usage error (exit 2) naming the option, before
    anything starts: each used to end in a traceback (an unknown log level, a MySQL URL, a CA file
    that holds no certificate)."""
    if log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(
            f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level"
        )
    if database_url is not None:
        scheme, separator, _ = database_url.partition("://")
        if not separator or scheme.lower() not in DATABASE_SCHEMES:
            raise typer.BadParameter(
                "expected postgresql+asyncpg://user@host/db (or a sqlite:/// file), "
                f"not a URL of scheme {scheme if separator else '(none)'!r}",
                param_hint="--database-url",
            )
        if scheme.lower().startswith("postgresql"):
            _check_postgresql_url(database_url)
    if outbound_ca_file is not None:
        import ssl

        try:
            ssl.create_default_context(cafile=str(outbound_ca_file))
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
            raise typer.BadParameter(
                f"{outbound_ca_file} holds no PEM certificate ({reason})", param_hint="--outbound-ca-file"
            ) from None


def _check_postgresql_url(database_url: str) -> None:
    """A PostgreSQL URL names its host, port (when given: 1-65535) and database: without them the
    driver took libpq's defaults (this machine's own server, a database named after the user) and
    served whatever it found there, and port 99999 was reported as "connection refused"."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
        port = url.port
    except (ArgumentError, ValueError):
        raise typer.BadParameter(
            "expected postgresql+asyncpg://user@host[:port]/db", param_hint="--database-url"
        ) from None
    missing = [part for part, value in (("host", url.host), ("database", url.database)) if not value]
    if missing:
        raise typer.BadParameter(
            f"the URL names no {' and no '.join(missing)}: postgresql+asyncpg://user@host[:port]/db",
            param_hint="--database-url",
        )
    if port is not None and not 0 < port <= MAX_PORT:
        raise typer.BadParameter(f"port {port} is no TCP port (1-{MAX_PORT})", param_hint="--database-url")


def settings_from(build: Callable[[], Settings]) -> Settings:
    """`build()`, or a usage error (exit 2) naming the `LOCALEXA_*` variable whose value cannot
    work (`LOCALEXA_MAX_BODY_BYTES=abc`, `=-5`, `LOCALEXA_RATE_LIMIT=0/minute`): the options are
    checked by Typer, but these variables only by Settings, whose ValidationError was a traceback."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise typer.BadParameter(reason, param_hint=f"LOCALEXA_{field.upper()}") from None


def check_ports(settings: Settings) -> None:
    """EU and FE listen on port+1 and port+2 (the demo cloud on port+3): all must be ports."""
    ports = {**settings.region_ports(), **({"demo": settings.resolved_demo_port()} if settings.demo else {})}
    for name, number in ports.items():
        if not 0 < number <= MAX_PORT:
            raise typer.BadParameter(
                f"the {name} listener would be on port {number}, and ports end at {MAX_PORT}: "
                "choose a lower --port",
                param_hint="--port",
            )


def use_data_dir(settings: Settings) -> None:
    """Create the data dir and its admin key, or exit 1 with one line saying why not (it is a
    file, or not writable): that was a traceback."""
    try:
        settings.ensure_data_dir()
        settings.resolved_admin_key()  # reads or writes <data dir>/admin-key
        settings.resolved_secret_key()  # and <data dir>/secret-key
    except OSError as exc:
        # "File exists" (mkdir's words for a path that is a file) puzzled (QA of 2026-12-06).
        reason = "it is a file, not a directory" if settings.data_dir.is_file() else exc.strerror or exc
        typer.echo(
            f"localexa: cannot use the data directory {settings.data_dir}: {reason}. "
            "Choose a writable one with --data-dir.",
            err=True,
        )
        raise typer.Exit(1) from None
    except KeyFileError as exc:
        typer.echo(f"localexa: cannot use the data directory {settings.data_dir}: {exc}.", err=True)
        raise typer.Exit(1) from None


def warn_of_misspelt_names(environ: Mapping[str, str]) -> None:
    """One warning per `LOCALEXA_*` variable that no part of localexa reads but that is close to
    one that does: it is ignored, and its value with it (env_names.py)."""
    for given, meant in misspelt(environ):
        logger.warning("%s is not a setting of localexa and is ignored; did you mean %s?", given, meant)


def warn_of_a_padded_secret_key(settings: Settings) -> None:
    """A `LOCALEXA_SECRET_KEY` that ends (or starts) with a line break or a space: a Kubernetes
    secret or a Docker env file written from a file keeps the file's newline. The value is the key
    as given (changing that would lock out the databases written with it), while the data dir's
    `secret-key` file is read stripped: the same key given the other way is another key, and the
    database refuses it (QA of 2026-12-06)."""
    if settings.secret_key is None:
        return
    key = settings.secret_key.get_secret_value()
    if key != key.strip():
        logger.warning(
            "LOCALEXA_SECRET_KEY starts or ends with white space (a line break?): it is part of the "
            "key, so the same key without it is another key to this database; give it the same "
            "way to every process, or strip it before the first start"
        )
