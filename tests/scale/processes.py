"""Real `python -m localexa serve` processes for the scale, crash and fuzz tests.

Each process gets its own data dir and free ports (NA, EU, FE), the environment the brief names
(`LOCALEXA_ADMIN_KEY`, `LOCALEXA_SECRET_KEY`, `LOCALEXA_REDIS_URL`, `LOCALEXA_RATE_LIMIT`, …) and
a log file; `stop()` ends it with SIGTERM, `kill()` with SIGKILL (no shutdown code runs).
Also: a throw-away PostgreSQL database per test module, and reachability probes that turn a
missing PostgreSQL or Redis into a clear skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from localexa.server.db.engine import create_engine
from tests.servers import SERVED_LIMITS, free_ports, shared_tls

PG_URL = os.environ.get("LOCALEXA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LOCALEXA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Variables of the parent that must not leak into a child (it gets exactly what a test says).
_SCRUBBED_PREFIXES = ("LOCALEXA_", "ASK_", "AWS_")


@dataclass
class ServerProcess:
    """One `localexa serve` child. `base_url` is its NA listener."""

    data_dir: Path
    admin_key: str
    env: dict[str, str]
    database_url: str | None = None
    #: Start with `--demo` (seed the My Lights demo, and run its device cloud on a port of its own).
    demo: bool = False
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"X-Localexa-Admin-Key": self.admin_key}

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start on fresh ports (a restart too) and wait until `/_localexa/health` answers 200."""
        self.launch()
        self.wait_healthy(timeout)
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (`wait_healthy` waits)."""
        na, eu, fe, demo_port = free_ports(4)
        self.port = na
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
        env.update(self.env)
        env.update(
            LOCALEXA_ADMIN_KEY=self.admin_key,
            LOCALEXA_EU_PORT=str(eu),
            LOCALEXA_FE_PORT=str(fe),
            LOCALEXA_LOG_LEVEL=env.get("LOCALEXA_LOG_LEVEL", "warning"),
            LOCALEXA_DEMO_PORT=str(demo_port),
        )
        demo = "--demo" if self.demo else "--no-demo"
        command = [sys.executable, "-m", "localexa", "serve", demo, "--port", str(na)]
        command += ["--data-dir", str(self.data_dir)]
        if self.database_url:
            command += ["--database-url", self.database_url]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localexa serve exited early:\n{self.log()}")
            try:
                health = httpx.get(f"{self.base_url}/_localexa/health", timeout=2, verify=shared_tls())
                if health.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"localexa serve never became healthy:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush, commit or close anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("limits", SERVED_LIMITS)
        kwargs.setdefault("verify", shared_tls())
        return httpx.Client(base_url=self.base_url, timeout=kwargs.pop("timeout", 30), **kwargs)

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.client() as http:
            response = http.post(f"/_localexa/{path}", json=body, headers=self.admin_headers)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        return answer


@contextmanager
def running(*servers: ServerProcess) -> Iterator[tuple[ServerProcess, ...]]:
    """Start every server (in order) and stop them all at the end, whatever happens."""
    try:
        for server in servers:
            server.launch()  # together: concurrent starts take turns migrating (db/migrate.py)
        for server in servers:
            server.wait_healthy()
        yield servers
    finally:
        for server in servers:
            server.stop()


def shared_secrets() -> dict[str, str]:
    """The admin key and secret key two processes must share to act as one server."""
    return {"admin_key": secrets.token_urlsafe(16), "secret_key": secrets.token_urlsafe(32)}


# -- reachability -------------------------------------------------------------------------------


def postgres_unreachable_reason() -> str | None:
    """None when LOCALEXA_TEST_DATABASE_URL is set and answers; else why the test skips."""
    if not PG_URL:
        return "LOCALEXA_TEST_DATABASE_URL is not set (CI sets it; .ci/run starts PostgreSQL)"
    url = make_url(PG_URL)
    if not _port_open(url.host or "127.0.0.1", url.port or 5432):
        return f"PostgreSQL at {url.host}:{url.port or 5432} is unreachable"
    return None


def redis_unreachable_reason() -> str | None:
    parts = urlsplit(REDIS_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if not _port_open(host, port):
        return f"Redis at {host}:{port} is unreachable (set LOCALEXA_TEST_REDIS_URL; CI starts one)"
    return None


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def redis_url_for_test() -> str:
    """LOCALEXA_TEST_REDIS_URL (default db 15); the rate limiter's keys carry their own prefix."""
    return REDIS_URL


# -- a PostgreSQL database of one's own ----------------------------------------------------------


def _admin_sql(server_url: str, sql: str) -> None:
    async def run() -> None:
        engine = create_engine(server_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(run())


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new database on LOCALEXA_TEST_DATABASE_URL's server, dropped at the end."""
    assert PG_URL is not None
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    server_url = make_url(PG_URL).render_as_string(hide_password=False)
    _admin_sql(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of one SQL statement, straight from the database (what the servers stored)."""

    async def run() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(text(sql), params)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def execute(database_url: str, sql: str) -> None:
    """Run one SQL statement and commit it, as another process (an operator, a migration) would."""

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())
