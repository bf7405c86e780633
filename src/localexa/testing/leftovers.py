"""What a killed test run leaves behind, swept by the next server the kit starts on this machine.

A test process killed by SIGKILL (a CI timeout, an IDE's stop button) runs no fixture and no
`atexit`: its server stops by itself (`LOCALEXA_EXIT_WITH_PARENT`), but nobody removes the
server's temporary data directory or drops its fresh PostgreSQL database. So each is tagged with
its owner, the process that made it, as `<boot id>:<pid namespace>:<pid>:<start time>`, and
`start()` removes those whose owner is gone:

- a temporary data directory `localexa-<hex>` holds the tag in `OWNER_FILE`;
- a database `localexa_<hex>` holds it in its comment, `localexa.testing owner=<tag>`.

Only the kit's own leftovers are touched (a directory without the file, a database without the
comment stay), and only where the owner's liveness is certain: the same boot and the same pid
namespace, the pid alive with the same start time means alive. Anything else is kept. Linux only
(`/proc`); elsewhere nothing is tagged and nothing swept.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = [
    "COMMENT_PREFIX",
    "OWNER_FILE",
    "claim_data_dir",
    "current_owner",
    "owner_gone",
    "release_data_dir",
    "sweep_data_dirs",
]

OWNER_FILE = ".localexa-testing-owner"
#: In a data directory the caller named (`data_dir=`): the tag of the test process whose server
#: uses it, so a second live one (another xdist worker) is refused instead of sharing it.
USER_FILE = ".localexa-testing-in-use"
COMMENT_PREFIX = "localexa.testing owner="
DATA_DIR_PREFIX = "localexa-"


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (`/proc/<pid>/stat` field 22)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def _machine() -> str | None:
    """This boot and pid namespace: where a pid means the same process."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}:{namespace}" if boot else None


def current_owner() -> str | None:
    """This process's tag, or None where it cannot be told (no /proc)."""
    machine, started = _machine(), _start_time(os.getpid())
    return f"{machine}:{os.getpid()}:{started}" if machine and started else None


def owner_gone(tag: str) -> bool:
    """True only when `tag`'s process certainly no longer runs."""
    machine = _machine()
    head, _, rest = tag.rpartition(":")  # rest: start time
    where, _, pid = head.rpartition(":")
    if not machine or where != machine or not pid.isdigit() or not rest.isdigit():
        return False
    return _start_time(int(pid)) != rest


def sweep_data_dirs(parent: Path) -> list[Path]:
    """Remove the `localexa-*` directories in `parent` whose owner has gone; returns them."""
    removed: list[Path] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(DATA_DIR_PREFIX)]
    except OSError:
        return removed
    for directory in candidates:
        tag = _read(str(directory / OWNER_FILE))
        if tag and owner_gone(tag):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _owner_alive(tag: str) -> bool:
    """True only when `tag`'s process certainly still runs (same boot, pid namespace, start)."""
    head, _, started = tag.rpartition(":")
    where, _, pid = head.rpartition(":")
    return where == _machine() and pid.isdigit() and _start_time(int(pid)) == started


def claim_data_dir(directory: Path) -> str:
    """Mark `directory` (a `data_dir=` of the caller's) as this process's: "" when done (or not
    possible: no /proc), else why not: another live test process's server uses it."""
    owner = current_owner()
    if owner is None:
        return ""
    marker = directory / USER_FILE
    tag = _read(str(marker))
    if tag and tag != owner and _owner_alive(tag):
        pid = tag.rsplit(":", 2)[-2]
        return (
            f"data_dir {directory} is in use by the server of another live test process (pid "
            f"{pid}): a reset of one would wipe the other's data. Under pytest-xdist give each "
            "worker its own, e.g. with os.environ['PYTEST_XDIST_WORKER'] in its name."
        )
    directory.mkdir(parents=True, exist_ok=True)
    marker.write_text(owner)
    return ""


def release_data_dir(directory: Path) -> None:
    """Remove this process's mark from `directory` (another's stays)."""
    marker = directory / USER_FILE
    owner = current_owner()
    if owner is not None and _read(str(marker)) == owner:
        marker.unlink(missing_ok=True)
