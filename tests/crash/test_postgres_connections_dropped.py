"""PostgreSQL drops every connection of a running server (a restart, a failover, an idle-kill):
the server's next requests still succeed, reads and writes (db/engine.py keeps no pre-ping: a
dead pooled connection is noticed and replaced, not handed to a request)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.scale.processes import PG_URL, ServerProcess, postgres_database, postgres_unreachable_reason, query
from tests.scale.world import customer

pytestmark = pytest.mark.slow


@pytest.fixture
def database_url() -> Iterator[str]:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"PostgreSQL test: {reason}")
    with postgres_database("localexa_drop") as url:
        yield url


def test_requests_succeed_after_every_connection_was_killed(tmp_path: Path, database_url: str) -> None:
    server = ServerProcess(tmp_path / "data", secrets.token_urlsafe(16), {}, database_url=database_url)
    try:
        server.start()

        def reads(_: int) -> list[int]:
            with server.client() as http:
                return [
                    http.get("/_localexa/customers", headers=server.admin_headers).status_code
                    for _ in range(4)
                ]

        with ThreadPoolExecutor(8) as pool:  # fill the pool with connections
            assert all(code == 200 for codes in pool.map(reads, range(8)) for code in codes)
        assert PG_URL is not None
        maintenance = make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
        killed = query(
            maintenance,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()",
            name=make_url(database_url).database,
        )
        assert killed[0][0] >= 1
        with server.client() as http:
            got = [
                http.get("/_localexa/customers", headers=server.admin_headers).status_code for _ in range(8)
            ]
        assert got == [200] * 8
        made = customer(server)
        with server.client() as http:
            back = http.get(f"/_localexa/customers/{made}", headers=server.admin_headers)
        assert back.status_code == 200, back.text
    finally:
        server.stop()
