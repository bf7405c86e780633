"""A warning at start when the data dir or the SQLite files are readable by other users.

A new data dir is created `0700` and a new SQLite file `0600` (db/engine.py), but an existing one
keeps its mode: a data dir an older localexa created (`0755`, its database `0644`) stayed
readable by every user of the machine after an upgrade, password hashes and sealed secrets with
it, and nothing said so. Since 2026-12-06 the start says so in one line (and changes no mode:
the directory may be one the user shares on purpose, `--data-dir .`).
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from localexa.server.observe.journal_store import journal_file

logger = logging.getLogger("localexa")

#: Read (or, for a directory, list and enter) by the group or by others.
_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def _sqlite_files(database_url: str) -> list[Path]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    if url.database.startswith("file:"):
        return []
    state = Path(url.database)
    journal = journal_file(database_url)
    bases = [state, journal] if journal is not None else [state]
    return [base.with_name(base.name + suffix) for base in bases for suffix in ("", "-wal", "-shm")]


def open_to_others(data_dir: Path, database_url: str) -> list[str]:
    """`path (mode)` of each of the data dir and the SQLite files that others may read."""
    found = []
    for path in [data_dir, *_sqlite_files(database_url)]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:  # not there (yet): a new file is created owner-only
            continue
        if mode & _OPEN_TO_OTHERS:
            found.append(f"{path} ({mode:04o})")
    return found


def warn_if_open_to_others(data_dir: Path, database_url: str) -> None:
    found = open_to_others(data_dir, database_url)
    if found:
        logger.warning(
            "readable by other users of this machine: %s; they hold password hashes and sealed "
            "secrets: chmod go-rwx them (localexa creates new ones owner-only, and changes no "
            "existing mode)",
            ", ".join(found),
        )
