"""One `localexa serve` per data directory.

A second process started on a data directory another one is serving started silently: on the
embedded SQLite file both then wrote one database while each kept its own cache of token
lookups, rate limits and sessions, so a token revoked through one still passed the other, and
each process's TLS certificate renewal and Lambda workers used the other's files. Several
processes are served from one PostgreSQL database, each with its own data directory (README,
"Several processes behave as one"). The lock is an advisory `flock` on `<data dir>/serve.lock`,
which the kernel releases when the process ends however it ends (SIGKILL too), so a restart never
finds a stale lock; the file keeps the holder's pid for the message.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, NoReturn

import typer

LOCK_FILE = "serve.lock"

try:  # POSIX only: elsewhere no lock is taken.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class DataDirLock:
    """Held from start to the end of serving: `with DataDirLock(data_dir):`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def __enter__(self) -> DataDirLock:
        if fcntl is None:
            return self
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            # A read-only data dir (its keys already there, the database elsewhere) served before
            # the lock existed: it still does, unguarded (review of 2026-12-07).
            _warn(f"cannot lock the data directory ({self.path}: {exc.strerror or exc})")
            return self
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                # No locks on this filesystem (ENOLCK, an NFS without a lock daemon): not a holder.
                handle.close()
                _warn(f"cannot lock the data directory ({self.path}: {exc.strerror or exc})")
                return self
            handle.seek(0)
            holder = handle.read(32).strip()
            handle.close()
            who = f"pid {holder}" if holder.isdigit() else "another process"
            _refuse(
                f"another localexa serve ({who}) is serving the data directory {self.path.parent}. "
                "Stop it, or give this one its own --data-dir (several processes share a "
                "PostgreSQL database, each with its own data directory)"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None


def _warn(reason: str) -> None:
    # Before logging is configured: one line on stderr, as the start's other refusals.
    typer.echo(f"localexa: warning: {reason}; a second localexa serve on it would not be refused.", err=True)


def _refuse(reason: str) -> NoReturn:
    typer.echo(f"localexa: cannot start: {reason}.", err=True)
    raise typer.Exit(1)
