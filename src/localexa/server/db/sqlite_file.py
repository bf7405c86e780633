"""The SQLite file deleted or replaced under a running server: a 503 for every call, not writes
into a file no one will read again.

ops37 F2 (2026-12-07): after an operator's `rm localexa.db` (or a deploy copying a new file over
the path) the connections opened before went on reading and writing the deleted file, whose rows
were gone at the next start, and each new one made a new empty file at the path and answered 500
"no such table" with a traceback. Nothing said what had happened.

So each engine remembers which file it opened (device and inode, at its first connection) and
every transaction's BEGIN asks the path again (one `stat(2)`): another file or none there is
`DatabaseReplaced`, a 503 in the API's shape, logged once per outage naming the file (db/outage.py's
throttle). The file put back (renamed back, the same inode) serves again. A new file at the path
is never adopted while serving: what it holds is not what this process served, and a restart
that opens it says so in its own start lines.
"""

from __future__ import annotations

import os

from localexa.server.core.errors import ServiceUnavailable
from localexa.server.db.outage import Outage


class DatabaseReplaced(ServiceUnavailable):
    """The path of the server's SQLite file holds another file, or none: nothing a retry mends."""

    def __init__(self, where: str) -> None:
        super().__init__(
            "The database file was deleted or replaced while the server was running, so this "
            "request could not be served and nothing of it was stored. Restart localexa."
        )
        self.where = where

    def __str__(self) -> str:
        return (
            f"the database at {self.where} was deleted or replaced while serving: nothing can be "
            "read or stored until the file is put back, or localexa restarted (on a new file, "
            "empty: restore a snapshot into it)"
        )


class FileIdentity:
    """Which file an engine's path held when it first connected; None for a memory database."""

    def __init__(self, database: str | None) -> None:
        in_memory = not database or database == ":memory:" or database.startswith("file:")
        self._path = None if in_memory else os.path.abspath(database or "")
        self._identity: tuple[int, int] | None = None

    def remember(self) -> None:
        """At each connection: the first one fixes the file (SQLite has made it by then)."""
        if self._path is None or self._identity is not None:
            return
        found = os.stat(self._path)
        self._identity = (found.st_dev, found.st_ino)

    def check(self, outage: Outage) -> None:
        """Before a transaction: `DatabaseReplaced` unless the path still holds the same file."""
        if self._identity is None:
            return
        try:
            found = os.stat(self._path or "")
        except FileNotFoundError:
            same = False
        else:
            same = (found.st_dev, found.st_ino) == self._identity
        if same:
            if outage.replaced.failing:
                outage.replaced.succeeded()
            return
        replaced = DatabaseReplaced(outage.where)
        outage.replaced.failed("%s", replaced)
        raise replaced
