"""A SQLite file that is damaged or no database at all, found at start: the one line names the
file and says what to do. Both files said `DatabaseError: (sqlite3.DatabaseError) file is not a
database`, so an operator could not tell the state from the journal (ops37 F7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from localexa.cli.start_failure import last_line
from localexa.server.app import create_app
from localexa.server.db.outage import DatabaseDamaged
from localexa.server.settings import Settings


@pytest.mark.parametrize("name", ["localexa.db", "localexa-journal.db"])
async def test_a_file_that_is_no_database_is_named_at_start(tmp_path: Path, name: str) -> None:
    first = create_app(Settings(data_dir=tmp_path, demo=False))
    async with first.router.lifespan_context(first):
        pass
    (tmp_path / name).write_bytes(os.urandom(8192))  # a disk's garbage where the file was

    app = create_app(Settings(data_dir=tmp_path, demo=False))
    with pytest.raises(DatabaseDamaged) as refused:
        async with app.router.lifespan_context(app):
            pass
    line = last_line(f"{type(refused.value).__module__}.{type(refused.value).__name__}: {refused.value}")
    assert name in line, line
    assert "is damaged or is not a SQLite database" in line, line
    assert "restore it" in line, line
