"""What localexa writes to disk is its owner's only: the data dir, its keys and the databases.

The SQLite files hold scrypt password hashes and sealed secrets; under the usual umask (022) they
were created 0644 in a 0755 directory, readable by every user of the machine.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from localexa.server.app import create_app
from localexa.server.settings import Settings


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _start(data_dir: Path) -> None:
    app = create_app(Settings(data_dir=data_dir, demo=False, password_hash_n=1024))
    async with app.router.lifespan_context(app):
        pass


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_data_dir_and_everything_in_it_is_the_owners_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    await _start(data_dir)
    assert _mode(data_dir) == 0o700
    written = {p.name: _mode(p) for p in data_dir.iterdir()}
    for name in ("localexa.db", "localexa-journal.db", "admin-key", "secret-key"):
        assert written.get(name) == 0o600, written
    # WAL files, when SQLite left them, take the database file's mode.
    for name, mode in written.items():
        assert mode & 0o077 == 0, (name, oct(mode))


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_data_dir_keeps_its_mode(tmp_path: Path) -> None:
    data_dir = tmp_path / "project"
    data_dir.mkdir(mode=0o755)
    await _start(data_dir)
    assert _mode(data_dir) == 0o755
    assert _mode(data_dir / "localexa.db") == 0o600


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await _start(data_dir)
    (data_dir / "localexa.db").chmod(0o640)
    await _start(data_dir)
    assert _mode(data_dir / "localexa.db") == 0o640
