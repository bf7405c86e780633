"""Two `localexa serve` of one database, for the after-link follow-up tests of a process that is
killed (test_killed_follow_ups.py) or stopped (test_stop_finishes_follow_ups.py).

On PostgreSQL (with Redis) A and B run side by side; on SQLite B is A started again on the same
data dir: the restart.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.scale.processes import (
    ServerProcess,
    postgres_database,
    postgres_unreachable_reason,
    redis_unreachable_reason,
    redis_url_for_test,
)

STATUS = (
    "SELECT discovery_status, accept_grant_status, lease_owner, lease_expires_at, attempts "
    "FROM after_link_status"
)


#: The backends to parametrize a `backend` fixture with (`usable`).
BACKENDS = ["sqlite", "postgresql"]


def usable(backend: str) -> str:
    """The backend, or a skip when two processes on PostgreSQL cannot run here."""
    if backend == "postgresql":
        for reason in (postgres_unreachable_reason(), redis_unreachable_reason()):
            if reason:
                pytest.skip(f"two processes on PostgreSQL need PostgreSQL and Redis: {reason}")
    return backend


@dataclass
class Servers:
    """Two `localexa serve` of one database, not started: A and B."""

    a: ServerProcess
    b: ServerProcess
    database_url: str

    def start_both(self) -> None:
        """Start A and B at once, B beside A (PostgreSQL: they take turns migrating, db/migrate.py):
        a process's start is mostly its imports, which overlap."""
        self.a.launch()
        self.b.launch()
        self.a.wait_healthy()
        self.b.wait_healthy()


@contextmanager
def follow_up_servers(root: Path, backend: str, lease: float, directive_timeout: str) -> Iterator[Servers]:
    env = {
        "LOCALEXA_SECRET_KEY": secrets.token_urlsafe(32),
        "LOCALEXA_PASSWORD_HASH_N": "1024",
        "LOCALEXA_AFTER_LINK_LEASE_SECONDS": str(lease),
        "LOCALEXA_DIRECTIVE_TIMEOUT": directive_timeout,
    }
    admin_key = secrets.token_urlsafe(16)
    if backend == "sqlite":
        # One SQLite file: B is A started again (as two processes on that file, for the live-lease
        # test), with a data dir of its own (one `localexa serve` per data dir: cli/serve_lock.py).
        url = f"sqlite+aiosqlite:///{root / 'a' / 'localexa.db'}"
        a = ServerProcess(root / "a", admin_key, env)
        b = ServerProcess(root / "b", admin_key, env, database_url=url)
        yield Servers(a, b, url)
        return
    env["LOCALEXA_REDIS_URL"] = redis_url_for_test()
    with postgres_database("localexa_leases") as url:
        a = ServerProcess(root / "a", admin_key, env, database_url=url)
        b = ServerProcess(root / "b", admin_key, env, database_url=url)
        yield Servers(a, b, url)


def endpoints_view(server: ServerProcess, user_id: str, skill_id: str, wait: float) -> dict[str, Any]:
    """The admin API's endpoints view of the pair, after `waitSeconds=wait`."""
    with server.client(timeout=wait + 30) as http:
        path = f"/_localexa/customers/{user_id}/skills/{skill_id}/endpoints"
        answer = http.get(path, params={"waitSeconds": wait}, headers=server.admin_headers)
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view
