"""A SQLite file that cannot be written (made immutable, a read-only mount) or whose disk fails
(an I/O error): each write answers 503 in the API's shape with `Retry-After`, the log says so once
(naming the file) and once when a write stores something again (db/outage.py).

ops37 F1 (2026-12-07): "attempt to write a readonly database" (SQLITE_READONLY) and "disk I/O
error" (SQLITE_IOERR) were 500 "An internal error occurred" with a traceback per request. SQLite
is made to fail for real here: `chattr +i` on the file, its `-wal` and their directory (root
ignores file modes; a read-only remount is refused while the server holds the file open for
writing). The `-shm` stays writable: SQLite maps it, and an immutable one kills the process with
SIGBUS (the kernel refuses the page fault). A connection open before that meets an I/O error on
its next write; one opened after it opens the file read-only. A tmpfs remounted read-only (with a
crash's `-wal` and `-shm`, as the repro had) and writable again while serving covers SQLite's
shared read-only `-shm`.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.app import create_app
from localexa.server.db.engine import reading
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

READ_ONLY = (
    "The database cannot be written (its file or disk is read-only), so nothing of this request "
    "was stored. Retry the request later."
)
IO_ERROR = (
    "The database's disk failed to read or write it (an I/O error), so nothing of this request "
    "was stored. Retry the request later."
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # PostgreSQL's server reports its own disk


def _warned(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(prefix) and r.levelno >= logging.WARNING]


class Immutable:
    """`chattr +i` on the state's file, its `-wal` and their directory; `lift()` undoes it."""

    def __init__(self, database: Path) -> None:
        self.paths = [database.parent, database, Path(f"{database}-wal")]
        self.on = False

    def _chattr(self, flag: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["chattr", flag, *map(str, self.paths)], capture_output=True, text=True, check=False
        )

    def set(self) -> None:
        done = self._chattr("+i")
        self.on = True
        if done.returncode != 0:
            self.lift()
            pytest.skip(f"chattr +i is refused here (needs root and ext4 or the like): {done.stderr.strip()}")

    def lift(self) -> None:
        if self.on:
            self._chattr("-i")
            self.on = False


@pytest.fixture
def immutable(app: FastAPI) -> Iterator[Immutable]:
    if shutil.which("chattr") is None:
        pytest.skip("chattr (e2fsprogs) is not installed")
    database = Path(app.state.settings.resolved_database_url().split("///", 1)[1])
    made = Immutable(database)
    try:
        yield made
    finally:
        made.lift()  # before the app stops (its last checkpoint) and tmp_path is removed


def _database(app: FastAPI) -> str:
    return str(app.state.settings.resolved_database_url().split("///", 1)[1])


async def _write(client: httpx.AsyncClient, admin: Admin, name: str) -> httpx.Response:
    body = {"name": "Ada", "password": "correct horse", "region": "NA", "email": f"{name}@example.com"}
    return await client.post("/_localexa/customers", json=body, headers=admin.headers)


async def test_a_write_meeting_an_io_error_answers_503_and_is_logged_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    immutable: Immutable,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = await admin.customer()  # the pool's connections are open, on a writable file
    client_id, client_secret = await admin.lwa_client()
    refresh_token = (await admin.tokens(client_id, user.user_id, ["profile"]))["refresh_token"]
    immutable.set()
    with caplog.at_level(logging.WARNING, logger="localexa"):
        refused = [await _write(client, admin, f"io-{number}") for number in range(2)]
        refreshed = await client.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        async with app.state.engine.begin():  # stores nothing: no sign writes work again
            pass
        listed = await client.get("/_localexa/customers", headers=admin.headers)
        during = _warned(caplog, "localexa")
        caplog.clear()
        immutable.lift()
        again = await _write(client, admin, "io-again")
        after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    for response in refused:
        assert response.status_code == 503, response.text
        assert response.json() == {"message": IO_ERROR}
        assert response.headers["Retry-After"] == "1"
    assert refreshed.status_code == 503, refreshed.text  # in LWA's own shape
    assert refreshed.json() == {"error": "temporarily_unavailable", "error_description": IO_ERROR}
    assert refreshed.headers["Retry-After"] == "1"
    assert listed.status_code == 200, listed.text
    assert not [r for r in during if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    database = _database(app)
    messages = [r.getMessage() for r in during if r.name == "localexa.db"]
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        f"the database at {database} cannot be read or written: an I/O error (SQLITE_IOERR"
    ), messages
    assert again.status_code == 201, again.text
    assert after == [
        f"writing to the database at {database} works again after 3 failed calls (2 of them not logged)"
    ], after


async def test_a_database_opened_read_only_answers_503_and_works_again_when_writable(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    immutable: Immutable,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await admin.customer()
    immutable.set()
    await app.state.engine.dispose()  # new connections: SQLite opens the file read-only
    with caplog.at_level(logging.WARNING, logger="localexa"):
        refused = [await _write(client, admin, f"ro-{number}") for number in range(3)]
        listed = await client.get("/_localexa/customers", headers=admin.headers)  # on a read-only connection
        ready = await client.get("/_localexa/ready")
        during = _warned(caplog, "localexa")
        caplog.clear()
        immutable.lift()
        # The connections opened read-only stay so: the first write after must not meet one.
        again = [await _write(client, admin, f"ro-again-{number}") for number in range(3)]
        after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    for response in refused:
        assert response.status_code == 503, response.text
        assert response.json() == {"message": READ_ONLY}
        assert response.headers["Retry-After"] == "1"
    assert listed.status_code == 200, listed.text
    assert ready.status_code == 200  # reads work, as on a full disk (README)
    assert not [r for r in during if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    database = _database(app)
    messages = [r.getMessage() for r in during if r.name == "localexa.db"]
    assert messages == [
        f"the database at {database} cannot be written: its file or disk is read-only "
        "(SQLITE_READONLY: attempt to write a readonly database)"
    ], messages
    assert [response.status_code for response in again] == [201, 201, 201], again[0].text
    assert after == [
        f"writing to the database at {database} works again after 3 failed calls (2 of them not logged)"
    ], after


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs of the test's own, unmounted at the end."""
    point = tmp_path / "mnt"
    point.mkdir()
    done = _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


_CRASHED_WRITER = """
import os, signal, sqlite3, sys
for path in sys.argv[1:]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS crashed_writer (x)")
    connection.execute("INSERT INTO crashed_writer VALUES (1)")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _crash_and_mount_read_only(mount_point: Path) -> None:
    """As after a crash: each SQLite file with its `-wal` and `-shm` (a clean stop removes them,
    and SQLite then cannot open the file at all on a read-only mount). Then `remount,ro`."""
    files = sorted(str(path) for path in mount_point.glob("*.db"))
    subprocess.run([sys.executable, "-c", _CRASHED_WRITER, *files], check=False)
    assert all(Path(f"{path}-shm").exists() for path in files), files
    assert _mount("-o", "remount,ro", str(mount_point)).returncode == 0


async def test_a_read_only_mount_made_writable_while_serving_takes_writes_again(
    settings: Settings, mount_point: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Served from a read-only mount (after a crash, as ops37's repro), then remounted writable:
    SQLite shares the `-shm` it could open only read-only among every connection of the process
    to the file, so a new connection was read-only too while any other lived, and writes
    answered 503 until a restart."""
    database = mount_point / "localexa.db"
    served = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{database}"})
    first = create_app(served)
    async with first.router.lifespan_context(first):
        pass
    _crash_and_mount_read_only(mount_point)
    application = create_app(served)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            admin = Admin(client, ADMIN_KEY)
            with caplog.at_level(logging.WARNING, logger="localexa"):
                refused = await _write(client, admin, "mounted-ro")
                listed = await client.get("/_localexa/customers", headers=admin.headers)
                # Several connections in the pool, as a serving process has (background tasks).
                held = [await reading(await application.state.engine.connect()) for _ in range(3)]
                for connection in held:
                    await connection.execute(text("SELECT count(*) FROM customers"))
                for connection in held:
                    await connection.close()
                assert _mount("-o", "remount,rw", str(mount_point)).returncode == 0
                again = [await _write(client, admin, f"mounted-rw-{number}") for number in range(3)]
                after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    assert refused.status_code == 503, refused.text
    assert refused.json() == {"message": READ_ONLY}
    assert listed.status_code == 200, listed.text
    assert [response.status_code for response in again] == [201, 201, 201], again[0].text
    assert any(f"writing to the database at {database} works again" in message for message in after), after
