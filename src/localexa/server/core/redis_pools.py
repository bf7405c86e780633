"""Connections to Redis (the token epoch, the rate limits): bounded pools, as the database's.

redis-py's default pool opens a connection for every command that finds none free and keeps it
for the life of the process: a burst of 200 concurrent authenticated calls left ~150 connections
to Redis, and as many file descriptors, open for good (tests/scale/test_no_leaks.py). These pools
hold at most `MAX_CONNECTIONS` each (the PostgreSQL pool holds 20, db/engine.py); a command waits
up to `WAIT_SECONDS` for a free one, then fails as when Redis is down (the token cache asks the
database, the rate limiter lets the call through). redis is imported on first use: a process
without Redis never loads it (README "Resident memory").

Each pool names its connections (`CLIENT SETNAME`, `client_name(use)`): a shared Redis's
`CLIENT LIST` says which localexa pool holds each connection (`localexa-token-epoch`,
`localexa-rate-limits`, `localexa-in-flight`), and tests/scale/test_no_leaks.py checks every
client is one of them and that each pool stays within its bound. The name is asked for, not
required: a Redis that refuses it (an ACL user without `@connection`, a proxy without `CLIENT`, a
renamed command) serves unnamed connections; with redis-py's own `client_name` every connection
failed there, and with it the token cache, the rate limits and every revoking write (a 503; review
of 2026-12-07). A `client_name=` in `LOCALEXA_REDIS_URL` is the user's, and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from localexa.server.core.redis_guard import COMMAND_SECONDS

if TYPE_CHECKING:
    from redis.asyncio import BlockingConnectionPool
    from redis.asyncio.connection import AbstractConnection

MAX_CONNECTIONS = 20
WAIT_SECONDS = 5.0
#: What each pool is for; its connections' client name (`client_name`).
USES = ("token-epoch", "rate-limits", "in-flight")


def client_name(use: str) -> str:
    """The name a pool's connections give themselves in Redis (`CLIENT SETNAME`)."""
    return f"localexa-{use}"


def bounded_pool(
    redis_url: str,
    use: str,
    *,
    on_new_connection: Callable[[], None] | None = None,
    **connection_options: Any,
) -> BlockingConnectionPool:
    """A pool of at most `MAX_CONNECTIONS` connections to `redis_url`, named for `use` (`USES`);
    `on_new_connection` runs each time one connects."""
    from redis.asyncio import BlockingConnectionPool
    from redis.exceptions import ResponseError

    if use not in USES:
        raise ValueError(f"unknown Redis pool use {use!r}")
    name = client_name(use)

    async def connected(connection: AbstractConnection) -> None:
        await connection.on_connect()  # what redis-py does when no function is given
        if not connection.client_name:
            try:
                await connection.send_command("CLIENT", "SETNAME", name)
                await connection.read_response()
            except ResponseError:
                pass  # refused (module docstring): the connection serves unnamed
        if on_new_connection is not None:
            on_new_connection()

    # A socket that never answers is given up as a command is (core/redis_guard.py), also where
    # redis-py waits outside a guarded command (connecting, its own retries).
    connection_options.setdefault("socket_timeout", COMMAND_SECONDS)
    connection_options.setdefault("socket_connect_timeout", COMMAND_SECONDS)
    return BlockingConnectionPool.from_url(
        redis_url,
        max_connections=MAX_CONNECTIONS,
        timeout=WAIT_SECONDS,
        redis_connect_func=connected,
        **connection_options,
    )
