"""A throw-away PostgreSQL database per test server: created before it starts, dropped after.

Given the URL of any database on a PostgreSQL server (`postgresql+asyncpg://postgres@127.0.0.1:5432/
postgres`), `create_database` makes `localexa_<random>` beside it and returns the URL the server
uses; `drop_database` removes it (`WITH (FORCE)`, PostgreSQL 13+, so a connection left open by a
crashed server does not keep it alive). asyncpg is already one of localexa's dependencies.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

__all__ = ["create_database", "drop_database", "is_postgresql"]

T = TypeVar("T")

_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def is_postgresql(url: str) -> bool:
    return urlsplit(url).scheme in _SCHEMES


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


async def _execute(url: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]  # (asyncpg ships no type hints)

    parts = urlsplit(url)
    connection = await asyncpg.connect(
        _with_database(url, parts.path.lstrip("/") or "postgres", "postgresql")
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_database(server_url: str) -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty database on the server of `server_url`."""
    name = f"localexa_{secrets.token_hex(6)}"
    _run(lambda: _execute(server_url, f'CREATE DATABASE "{name}"'))
    return name, _with_database(server_url, name, "postgresql+asyncpg")


def drop_database(server_url: str, name: str) -> None:
    _run(lambda: _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
