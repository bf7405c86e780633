"""`LocalexaServer`: a server of its own per `with` (sync and async), on SQLite, PostgreSQL or
HTTPS, isolated from the caller's LOCALEXA_* settings."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from localexa.client import AsyncClient
from localexa.testing import LocalexaServer, LocalexaServerError
from tests.cli.conftest import CLEAN_ENV

pytestmark = pytest.mark.slow
PG_URL = os.environ.get("LOCALEXA_TEST_DATABASE_URL")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_server_of_its_own_ignoring_the_callers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALEXA_DEMO", "true")  # would seed the My Lights demo
    monkeypatch.setenv("LOCALEXA_ADMIN_KEY", "the-callers-key")
    with LocalexaServer() as server:
        data_dir = server.data_dir
        # Only its owner may read it (it holds password hashes): the server then has no warning
        # about it to log, which would be the log tail shown if the server died (review 36b).
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert "readable by other users" not in (data_dir / "server.log").read_text()
        assert server.admin_key != "the-callers-key"
        assert [listening(server.port + offset) for offset in range(3)] == [True, True, True]
        with server.client() as client:
            assert client.admin.customers.list() == []  # no demo customers
            client.admin.customers.create(name="Ada", email="ada@example.com", password="pw")
            server.reset()
            assert client.admin.customers.list() == []
        assert server.started_in is not None
        assert "LocalexaServer(url='http://127.0.0.1:" in repr(server)
    assert not server.running
    assert not listening(server.port)
    assert not data_dir.exists()  # a temporary data directory goes with the server


async def test_async_with() -> None:
    async with LocalexaServer() as server:
        client: AsyncClient
        async with server.async_client() as client:
            created = await client.admin.customers.create(name="Ada", email="ada@example.com", password="pw")
            assert (await client.admin.customers.get(created.user_id)).name == "Ada"
    assert not server.running


def test_tls_with_one_argument_and_the_cli_trusting_the_same_ca(tmp_path: Path) -> None:
    with LocalexaServer(tls=True, data_dir=tmp_path / "data") as server:
        assert server.url.startswith("https://")
        assert server.ca_file is not None
        assert server.ca_file.is_file()
        with server.client() as client:
            assert client.admin.health() is True
        # The caller's own `verify=` says what to trust: the kit then gives the client no CA file,
        # which the client would refuse beside it (since 2026-12-06).
        with server.client(verify=False) as client:
            assert client.admin.health() is True
        with server.client(verify=ssl.create_default_context(cafile=server.ca_file)) as client:
            assert client.admin.health() is True
        # A caller's own httpx client trusts what it was given: the kit passes no CA file beside
        # it, which the client refuses (since 2026-12-06; before, it was ignored).
        trusting = ssl.create_default_context(cafile=server.ca_file)
        with httpx.Client(verify=trusting) as own, server.client(http_client=own) as client:
            assert client.admin.health() is True
        runner = CliRunner()
        base = ["--url", server.url, "--admin-key", server.admin_key]
        explicit = runner.invoke(
            app, [*base, "--ca-file", str(server.ca_file), "admin", "clock", "get"], env=CLEAN_ENV
        )
        assert explicit.exit_code == 0, explicit.stderr
        # Without --ca-file, the CLI trusts <data dir>/tls/ca.pem of `serve --tls`.
        implicit = runner.invoke(
            app,
            [*base, "--data-dir", str(server.data_dir), "admin", "customers", "list", "--json"],
            env=CLEAN_ENV,
        )
        assert implicit.exit_code == 0, implicit.stderr
        assert json.loads(implicit.stdout) == []
        untrusted = runner.invoke(
            app,
            [*base, "--data-dir", str(tmp_path), "--retries", "0", "admin", "customers", "list"],
            env=CLEAN_ENV,
        )
        assert untrusted.exit_code == 6  # TLS verification failed: no connection


def database_exists(name: str) -> bool:
    import asyncpg

    assert PG_URL is not None

    async def query() -> bool:
        connection = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await connection.close()

    return asyncio.run(query())


@pytest.mark.skipif(not PG_URL, reason="LOCALEXA_TEST_DATABASE_URL is not set")
def test_postgresql_gets_a_fresh_database_that_is_dropped_afterwards() -> None:
    assert PG_URL is not None
    with LocalexaServer(database_url=PG_URL) as server:
        assert server.database_url is not None
        name = server.database_url.rsplit("/", 1)[1]
        assert name.startswith("localexa_")
        assert database_exists(name)
        with server.client() as client:
            client.admin.customers.create(name="Ada", email="ada@example.com", password="pw")
            assert len(client.admin.customers.list()) == 1
    assert not database_exists(name)


@pytest.mark.skipif(not PG_URL, reason="LOCALEXA_TEST_DATABASE_URL is not set")
def test_servers_sharing_a_database_need_one_secret_key() -> None:
    """`fresh_database=False`: a temporary data dir makes a new secret key, so a second server on
    the database is refused, even when the first left it empty (lwa/key_check.py); one
    LOCALEXA_SECRET_KEY in `env` serves it from any data dir."""
    from tests.scale.processes import postgres_database

    key = {"LOCALEXA_SECRET_KEY": "one-key-for-the-database-" + "0" * 16}
    with postgres_database("kit_shared") as url:
        with LocalexaServer(database_url=url, fresh_database=False, env=key) as first:
            first.reset()
        with pytest.raises(LocalexaServerError, match="LOCALEXA_SECRET_KEY"):
            LocalexaServer(database_url=url, fresh_database=False, startup_timeout=30).start()
        with (
            LocalexaServer(database_url=url, fresh_database=False, env=key) as again,
            again.client() as client,
        ):
            assert client.admin.customers.list() == []


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    server = LocalexaServer(data_dir=tmp_path, database_url="mysql://nowhere/none", startup_timeout=30)
    with pytest.raises(LocalexaServerError, match="exited with"):
        server.start()
    assert not server.running
    assert server.log_file.exists()


ORPHANING_PARENT = """
import sys, time
from localexa.testing import LocalexaServer
server = LocalexaServer().start()
print(server.port, flush=True)
time.sleep(120)
"""


def test_a_server_whose_test_run_is_killed_stops_by_itself(tmp_path: Path) -> None:
    # The test run (here a child of ours) dies by SIGKILL: no fixture, no atexit runs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHANING_PARENT], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert parent.stdout is not None
        port = int(parent.stdout.readline())
        assert listening(port)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 15
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listening(port)
