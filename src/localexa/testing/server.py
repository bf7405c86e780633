"""`LocalexaServer`: a real localexa server for a test run, in a child process, on free ports.

    with LocalexaServer() as server:                     # or: async with LocalexaServer() as server
        with server.client() as client:                  # a localexa.client.Client, admin key set
            client.admin.customers.create(name="Ada", email="ada@example.com", password="pw")

It runs `python -m localexa serve --no-demo` (shared/spec/admin-api.md) with a fresh data
directory and waits until `GET /_localexa/health` answers 200. A child process rather than a
thread keeps the server's imports, event loop, logging and warnings out of the test process (a
test suite with `filterwarnings = error` must not fail on the server's warnings). It costs a
start of 1.5-3 s, once per pytest session with the plugin's session-scoped server.

- Database: SQLite in the data directory; with `database_url="postgresql+asyncpg://…/postgres"`
  a new database is created on that PostgreSQL server and dropped at the end (postgres.py).
- TLS: `tls=True` serves HTTPS from the local CA the server creates in `<data dir>/tls/`, and
  `client()` trusts exactly that CA (`ca_file`).
- Ports: NA, EU and FE listen on three neighbouring free ports, as `Endpoints.local(url)` expects.
- Environment: the child gets none of the caller's `LOCALEXA_*` variables, only what is passed
  here (plus `env=`), so a developer's own settings never leak into a test server. Passwords are
  hashed with a cheap scrypt cost (`LOCALEXA_PASSWORD_HASH_N=1024`): test customers sign in fast.
  It gets the test process's project directories in `LOCALEXA_EXTRA_PYTHONPATH` (child_env.py),
  after its own stdlib and site-packages: `python:` skill endpoints import from where the tests
  do (pytest's `pythonpath = ["src"]`).
- Ready means an admin call with this server's own key answers 200, not merely that something
  answers on the port: another server (an xdist worker's, another test run's) that took the same
  ports first would answer `/_localexa/health` too, while this one fails to bind and retries.
- Killed (SIGKILL) before it could stop the server, a test run leaves a temporary data directory
  and a fresh database: the next start on this machine removes them (leftovers.py).
- Failing to start (a database it cannot reach, ports taken on every attempt or no free ones left
  in the range, Ctrl-C meanwhile)
  leaves nothing behind: the child is stopped, the fresh database dropped, a temporary data
  directory removed; the error is a `LocalexaServerError` (ending with the log's tail once the
  child ran; the admin key left out of it).
- Dying during a test (killed, crashed): a call of the kit's clients whose connection fails
  checks the process, and raises `LocalexaServerError` with its exit code and the log's tail
  rather than a connection error. Before `start()` the server has no `url`: that is an error too.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Unpack

from localexa.testing.arguments import checked_host, checked_startup_timeout, url_host
from localexa.testing.child_env import child_environment, missing_hint
from localexa.testing.clients import AsyncClientOptions, ClientOptions, make_async_client, make_client
from localexa.testing.leftovers import (
    OWNER_FILE,
    claim_data_dir,
    current_owner,
    release_data_dir,
    sweep_data_dirs,
)
from localexa.testing.ports import PORTS_VARIABLE, PortRangeTooNarrowError, check_room, free_port_block
from localexa.testing.postgres import create_database, drop_database, is_postgresql, without_password
from localexa.testing.readiness import answers_as_ours, ca_context

if TYPE_CHECKING:
    from localexa.client import AsyncClient, Client

__all__ = ["LocalexaServer", "LocalexaServerError"]

#: Start attempts: another process may take a port between our check and the server's bind.
_ATTEMPTS = 4


class LocalexaServerError(RuntimeError):
    """The server did not start, or is not running (never started, stopped, or exited: then the
    message ends with the last lines of its log), when a call needs it."""


class LocalexaServer:
    """A localexa server in a child process; a context manager (sync and async)."""

    def __init__(
        self,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        fresh_database: bool = True,
        tls: bool = False,
        admin_key: str | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        env = dict(env or {})
        self._own_data_dir = data_dir is None
        # Made by start(), so a server that never starts leaves nothing behind.
        temporary = Path(tempfile.gettempdir()) / f"localexa-{secrets.token_hex(6)}"
        self.data_dir = Path(data_dir) if data_dir is not None else temporary
        # A key given through `env=` is the one the child uses: the kit's clients must send it.
        self.admin_key = admin_key or env.get("LOCALEXA_ADMIN_KEY") or secrets.token_urlsafe(24)
        self.tls = tls
        self.host = checked_host(host)
        self.port = 0
        self._database_url = database_url
        self._fresh_database = fresh_database and database_url is not None and is_postgresql(database_url)
        self._created_database: str | None = None
        self.database_url: str | None = database_url
        self._env = env
        self._startup_timeout = checked_startup_timeout(startup_timeout)
        self._python = python
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._stopped = False
        self.started_in: float | None = None

    # -- where it is -----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """Base URL of the NA listener (every Amazon host but the EU/FE Alexa APIs)."""
        return self._listener_url(0)

    @property
    def eu_url(self) -> str:
        return self._listener_url(1)

    @property
    def fe_url(self) -> str:
        return self._listener_url(2)

    def _listener_url(self, offset: int) -> str:
        # The ports are chosen by start(): before it, "http://127.0.0.1:0" (and ":1", ":2" for EU
        # and FE) looked like URLs, and a client made from one failed only at its first call.
        if not self.port:
            raise LocalexaServerError(
                "the localexa server is not started, so it has no URL yet: call start(), or use "
                "`with LocalexaServer() as server`"
            )
        return f"{self.scheme}://{url_host(self.host)}:{self.port + offset}"

    @property
    def ca_file(self) -> Path | None:
        """The local CA certificate to trust, with `tls=True`."""
        return self.data_dir / "tls" / "ca.pem" if self.tls else None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server process's id (None before `start()` and after `stop()`)."""
        return self._process.pid if self._process is not None else None

    def require_running(self) -> None:
        """Raise `LocalexaServerError` saying why, unless the server is running: never started,
        stopped, or exited by itself (then with its log's tail)."""
        if self.running:
            return
        if self._process is not None:
            raise LocalexaServerError(
                f"the localexa server at {self.url} has exited with {self._process.returncode}"
                f" (log: {self.log_file}).\n{self.log_tail()}"
            )
        if self._stopped:
            raise LocalexaServerError(
                "the localexa server was stopped (stop() or the end of its `with` block); "
                "start() it again, or use a LocalexaServer of your own for a test that stops one"
            )
        raise LocalexaServerError(
            "the localexa server is not started: call start(), or use `with LocalexaServer() as server`"
        )

    def client(self, **options: Unpack[ClientOptions]) -> Client:
        """A blocking client for this server, with the admin key (close it, or use `with`); the
        options are `Client`'s but `base_url`, `endpoints` and `ca_file` (clients.py).

        Its connection failures check the server: once it has exited, a call raises
        `LocalexaServerError` with its exit code and log's tail, not a bare connection error."""
        return make_client(self, options)

    def async_client(self, **options: Unpack[AsyncClientOptions]) -> AsyncClient:
        """An async client for this server, with the admin key (use `async with`); its connection
        failures check the server, as `client()`'s do."""
        return make_async_client(self, options)

    def raise_if_exited(self, *, grace: float) -> None:
        """`require_running()` after a kit client's connection failed (its exit code and log's tail
        once exited; "was stopped" after stop()), first waiting up to `grace` seconds for a dying
        process to be gone: a killed server's sockets close a moment before its exit code can be
        read. Returns if the server runs: then the connection failure is the client's to raise."""
        process = self._process
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace)
        self.require_running()

    def reset(self) -> None:
        """Empty every table (`POST /_localexa/reset`); the clock goes back to the wall clock."""
        with self.client() as client:
            client.admin.reset()

    # -- life --------------------------------------------------------------------------------------

    def start(self) -> LocalexaServer:
        """Start the server (again after `stop()`, on new ports); a no-op while it runs."""
        if self.running:
            return self
        began = time.monotonic()
        self._stopped = False
        try:
            self._start()
        except BaseException:
            # Whatever ended the start (no database, no ports, Ctrl-C, a bug): leave nothing.
            self.stop()
            self._stopped = False  # never started, rather
            raise
        self.started_in = time.monotonic() - began
        atexit.register(self.stop)
        return self

    def _start(self) -> None:
        try:  # before anything is made; a value that is no range stays a ValueError (README)
            check_room(3)
        except PortRangeTooNarrowError as exc:
            raise LocalexaServerError(str(exc)) from exc
        self._terminate()  # a child that exited by itself (crashed): its log file closes
        if self._own_data_dir:
            sweep_data_dirs(self.data_dir.parent)  # what killed test runs left (leftovers.py)
        elif in_use := claim_data_dir(self.data_dir):  # yours: not another live test's (xdist)
            raise LocalexaServerError(in_use)
        if self._own_data_dir:
            # 0700, as tempfile.mkdtemp makes them: it holds password hashes and sealed secrets, and
            # the server warns about a directory others may read; that warning would be the log
            # tail shown when the server dies. The name stays the one `data_dir` gave before start.
            self.data_dir.mkdir(mode=0o700, exist_ok=True)
        else:  # the caller's: made as they would make it (the server warns if others may read it)
            self.data_dir.mkdir(parents=True, exist_ok=True)
        owner = current_owner()
        if self._own_data_dir and owner is not None:
            (self.data_dir / OWNER_FILE).write_text(owner)
        if self._fresh_database and self._created_database is None:
            assert self._database_url is not None
            try:
                self._created_database, self.database_url = create_database(self._database_url)
            except Exception as exc:
                raise LocalexaServerError(
                    f"could not create a database on the PostgreSQL server of "
                    f"{without_password(self._database_url)}: {type(exc).__name__}: {exc}"
                ) from exc
        failure = ""
        for _ in range(_ATTEMPTS):
            try:
                self.port = free_port_block(self.host)
            except OSError as exc:  # every port of the range taken (a narrow LOCALEXA_TEST_PORTS)
                raise LocalexaServerError(f"{exc} (see {PORTS_VARIABLE})") from exc
            self._spawn()
            failure = self._wait_until_healthy()
            if not failure:
                return
            self._terminate()
            if "address already in use" not in failure.lower():
                break
        raise LocalexaServerError(failure)

    def _command(self) -> list[str]:
        command = [self._python, "-m", "localexa", "serve", "--no-demo", "--host", self.host]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.database_url:
            command += ["--database-url", self.database_url]
        if self.tls:
            command.append("--tls")
        return command

    def _child_env(self) -> dict[str, str]:
        settings = {
            "LOCALEXA_PASSWORD_HASH_N": "1024",
            "LOCALEXA_LOG_LEVEL": "warning",
            # The server stops by itself if this process dies without stopping it (SIGTERM or
            # SIGKILL from a CI timeout or an IDE's stop button skip atexit and fixtures).
            "LOCALEXA_EXIT_WITH_PARENT": str(os.getpid()),
            "PYTHONUNBUFFERED": "1",
        }
        return child_environment(given=self._env, settings=settings, admin_key=self.admin_key)

    def _spawn(self) -> None:
        self._log = self.log_file.open("ab")
        try:  # a python= that cannot run: the kit's error, not a bare FileNotFoundError (cliq QA)
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self._command(), stdout=self._log, stderr=subprocess.STDOUT, env=self._child_env()
            )
        except OSError as exc:
            raise LocalexaServerError(f"cannot run python={self._python!r}: {exc.strerror}") from exc

    def _wait_until_healthy(self) -> str:
        """ "" once the server answers an admin call with its key; else why not (log's tail)."""
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                tail, code = self.log_tail(), self._process.returncode
                return f"localexa serve exited with {code}.{missing_hint(self._python, tail)}\n{tail}"
            context = ca_context(self.ca_file) if self.tls else None
            if (
                (context is not None or not self.tls)
                and self._child_listens()
                and answers_as_ours(self.url, self.admin_key, context)
            ):
                return ""
            time.sleep(0.05)
        return f"localexa serve did not answer within {self._startup_timeout:g} s.\n{self.log_tail()}"

    def _child_listens(self) -> bool:
        """Whether our own child said it listens on our port (`localexa listening: NA <url>, …`,
        printed once its sockets are bound). The admin key alone could not tell it from another
        worker's server given the same key (`localexa_env`, `env=`) that holds the port our child
        then fails to bind: that worker's tests and resets went to the other's server (xdist38 F1)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return False
        said = f"localexa listening: NA {self.url}"
        return any(line == said or line.startswith(said + ",") for line in text.splitlines())

    def log_tail(self, lines: int = 30) -> str:
        """The log's last lines, the admin key left out (they end up in CI logs)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        text = text.replace(self.admin_key, "<admin key>")
        return "\n".join(text.splitlines()[-lines:])

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Stop the server; drop its fresh database and its temporary data directory. Stopping
        a stopped (or never started) server does nothing."""
        atexit.unregister(self.stop)
        self._stopped = True
        try:
            self._terminate()
            if self._created_database is not None:
                assert self._database_url is not None
                name, self._created_database = self._created_database, None
                drop_database(self._database_url, name)
        finally:
            if self._own_data_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            else:
                release_data_dir(self.data_dir)

    def __enter__(self) -> LocalexaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> LocalexaServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        url = self.url if self.port else None
        return f"LocalexaServer(url={url!r}, running={self.running})"
