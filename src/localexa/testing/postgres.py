"""A throw-away PostgreSQL database per test server: created before it starts, dropped after.

Given the URL of any database on a PostgreSQL server (`postgresql+asyncpg://postgres@127.0.0.1:5432/
postgres`), `create_database` makes `localexa_<random>` beside it (tagged with its owner, so the
next start drops it if a killed test run could not: leftovers.py) and returns the URL the server
uses; `drop_database` removes it (`WITH (FORCE)`, PostgreSQL 13+, so a connection left open by a
crashed server does not keep it alive). asyncpg is already one of localexa's dependencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from localexa.testing.leftovers import COMMENT_PREFIX, current_owner, owner_gone

__all__ = ["create_database", "drop_database", "is_postgresql", "without_password"]

T = TypeVar("T")
#: Seconds to wait for the PostgreSQL server (asyncpg's own default is 60): a server that does
#: not answer fails the start with a clear error rather than holding the test run.
CONNECT_TIMEOUT = 10.0

_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def is_postgresql(url: str) -> bool:
    return urlsplit(url).scheme in _SCHEMES


def without_password(url: str) -> str:
    """`url` fit for an error message: its password replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{netloc}", parts.path, parts.query, parts.fragment))


def _with_database(url: str, name: str, scheme: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end from any thread, even one whose event loop is running."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)

    worker = threading.Thread(target=target, name="localexa-postgres")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


async def _connect(url: str) -> Any:
    import asyncpg

    parts = urlsplit(url)
    return await asyncpg.connect(
        _with_database(url, parts.path.lstrip("/") or "postgres", "postgresql"), timeout=CONNECT_TIMEOUT
    )


async def _execute(url: str, sql: str) -> None:
    connection = await _connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def _sweep(connection: Any) -> list[str]:
    """Drop the kit's databases whose owner has gone (leftovers.py); their names."""
    rows = await connection.fetch(
        "SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database"
        " WHERE datname LIKE 'localexa\\_%' AND shobj_description(oid, 'pg_database') LIKE $1",
        COMMENT_PREFIX + "%",
    )
    dropped: list[str] = []
    for row in rows:
        if owner_gone(row["note"][len(COMMENT_PREFIX) :]):
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
            dropped.append(row["datname"])
    return dropped


async def _create(url: str, name: str) -> None:
    connection = await _connect(url)
    try:
        owner = current_owner()
        if owner is not None:
            # A sweep that fails (another run sweeping the same one at once) is no error.
            with contextlib.suppress(Exception):
                await _sweep(connection)
        await connection.execute(f'CREATE DATABASE "{name}"')
        if owner is not None:
            await connection.execute(f'COMMENT ON DATABASE "{name}" IS {_quoted(COMMENT_PREFIX + owner)}')
    finally:
        await connection.close()


def create_database(server_url: str) -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty database on the server of `server_url`, tagged with
    its owner; the kit's databases whose owner was killed are dropped first (leftovers.py)."""
    name = f"localexa_{secrets.token_hex(6)}"
    _run(lambda: _create(server_url, name))
    return name, _with_database(server_url, name, "postgresql+asyncpg")


def drop_database(server_url: str, name: str) -> None:
    _run(lambda: _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
