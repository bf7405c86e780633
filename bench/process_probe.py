"""Looking at a served process from outside: what bench/soak.py and tests/scale/test_no_leaks.py
compare between rounds.

`Probe.sample()` reads resident memory (`/proc/<pid>/status`), open file descriptors by kind,
threads, child processes (Lambda workers), the process's TCP sockets by state (`/proc/<pid>/net/
tcp*` by the inodes of its fds), SQLite files held open, temp files, PostgreSQL backends of its
database (`pg_stat_activity`), Redis clients of its database (`CLIENT LIST`), the number of series
on `/metrics` and the in-process gauges `/metrics` shows.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

#: The prefix of a sample's Redis clients by name ("  named localexa-rate-limits", say).
REDIS_CLIENTS_NAMED = "named "

_TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}
#: The gauges of `/metrics` read into a sample, by the name the table shows.
_GAUGE_LINE = re.compile(r"^(localexa_[a-z_]+)(?:\{([^}]*)\})? ([0-9.e+-]+)$")


@dataclass
class Sample:
    """One look at the served process from outside; `values` are what the table compares."""

    requests: int
    values: dict[str, float] = field(default_factory=dict)
    #: Every series /metrics showed (name and labels), to tell which ones are new.
    series: frozenset[str] = frozenset()


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (Lambda workers and whatever they started)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _fd_kinds(pid: int) -> tuple[Counter[str], set[int], list[str]]:
    """Open fds by kind, the inodes of its sockets and the paths of its regular files."""
    kinds: Counter[str] = Counter()
    inodes: set[int] = set()
    files: list[str] = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            kinds["socket"] += 1
            inodes.add(int(target[8:-1]))
        elif target.startswith("pipe:["):
            kinds["pipe"] += 1
        elif target.startswith("anon_inode:"):
            kinds["anon_inode"] += 1
        elif target.startswith("/"):
            kinds["file"] += 1
            files.append(target)
        else:
            kinds["other"] += 1
    return kinds, inodes, files


@dataclass(frozen=True)
class _Tcp:
    state: str
    local_port: int
    remote_port: int


def _net_rows(pid: int, table: str) -> Iterator[list[str]]:
    """The rows of `/proc/<pid>/net/<table>` (the network namespace's sockets), split, no header."""
    try:
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
    except OSError:
        return
    for line in lines:
        yield line.split()


def _tcp_sockets(pid: int, inodes: set[int]) -> list[_Tcp]:
    """The process's own TCP sockets (by the inodes of its fds) from `/proc/<pid>/net/tcp*`."""
    found: list[_Tcp] = []
    for table in ("tcp", "tcp6"):
        for parts in _net_rows(pid, table):
            if int(parts[9]) in inodes:
                local, remote = parts[1].rsplit(":", 1)[1], parts[2].rsplit(":", 1)[1]
                found.append(_Tcp(_TCP_STATES.get(parts[3], parts[3]), int(local, 16), int(remote, 16)))
    return found


def _socket_families(pid: int, inodes: set[int]) -> Counter[str]:
    """The process's sockets by family (`unix`, `udp`, `tcp`; `unknown` for the rest, netlink
    say), from the inodes `/proc/<pid>/net/*` lists: a socket no TCP category holds is named."""
    families: Counter[str] = Counter()
    seen: set[int] = set()
    for table, family, column in (
        ("tcp", "tcp", 9),
        ("tcp6", "tcp", 9),
        ("udp", "udp", 9),
        ("udp6", "udp", 9),
        ("unix", "unix", 6),
    ):
        for parts in _net_rows(pid, table):
            if len(parts) > column and parts[column].isdigit():
                inode = int(parts[column])
                if inode in inodes and inode not in seen:
                    seen.add(inode)
                    families[family] += 1
    families["unknown"] = len(inodes - seen)
    return families


def sockets_to_port(pid: int, port: int) -> int:
    """The process's open TCP connections to `port` (6379: Redis)."""
    _, inodes, _ = _fd_kinds(pid)
    return sum(1 for tcp in _tcp_sockets(pid, inodes) if tcp.remote_port == port and tcp.state != "LISTEN")


def _sqlite_spares(files: list[str]) -> int:
    """Descriptors of a database file beyond one per open connection (each has its `-wal` open):
    SQLite keeps the descriptor of a connection closed while another holds a lock on the file
    (closing it would drop the process's POSIX locks) and reuses it for the next connection, so
    these are as many as connections were closed at once (the pool's overflow), not a leak."""
    counts = Counter(files)
    return sum(max(0, n - counts.get(f"{name}-wal", 0)) for name, n in counts.items() if name.endswith(".db"))


def _status_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name}")


def _child_rss_kb(pid: int) -> int:
    try:
        return _status_kb(pid, "VmRSS")
    except (OSError, RuntimeError):  # gone, or a zombie (no VmRSS)
        return 0


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def _descriptors(sample: Sample) -> dict[str, float]:
    return {name: value for name, value in sample.values.items() if name.startswith(("open fds", "  fds: "))}


#: What `Probe.settle` waits for: nothing under way in the server.
_BUSY = (
    "TCP inbound",
    "TCP outbound (skills, token URLs)",
    "localexa_in_memory_entries[after_link_follow_ups]",
    "localexa_journal_pending",
    "localexa_lambda_workers[busy]",
    "localexa_db_connections[state,in_use]",
    "localexa_db_connections[journal,in_use]",
)


class Probe:
    """Samples one served process from outside: /proc, /metrics, PostgreSQL and Redis."""

    def __init__(
        self,
        pid: int,
        base_url: str,
        *,
        tmp_dir: Path,
        database_url: str | None = None,
        redis_url: str | None = None,
    ) -> None:
        self.pid = pid
        self.base_url = base_url
        self.tmp_dir = tmp_dir
        self.database_url = database_url
        self.redis_url = redis_url

    async def sample(self) -> Sample:
        """/proc first (while no call of the probe's own is open), then /metrics, PostgreSQL
        and Redis. Its /metrics call closes its connection."""
        values = self.proc_values()
        async with httpx.AsyncClient(timeout=30, headers={"Connection": "close"}) as http:
            metrics = (await http.get(f"{self.base_url}/metrics")).text
        requests = 0
        series: set[str] = set()
        for line in metrics.splitlines():
            if not line or line.startswith("#"):
                continue
            series.add(line.rsplit(" ", 1)[0])
            if line.startswith("localexa_http_requests_total{"):
                requests += int(float(line.rsplit(" ", 1)[1]))
            match = _GAUGE_LINE.match(line)
            if match and not match.group(1).endswith(("_total", "_created", "_bucket", "_sum", "_count")):
                name, labels, value = match.groups()
                label = ",".join(v.split("=", 1)[1].strip('"') for v in labels.split(",")) if labels else ""
                values[f"{name}[{label}]" if label else name] = float(value)
        values["series on /metrics"] = len(series)
        values["  of which outbound calls'"] = sum(
            1 for name in series if name.startswith("localexa_outbound_")
        )
        if self.database_url and self.database_url.startswith("postgresql"):
            for state, count in (await self._pg_backends()).items():
                values[f"PostgreSQL backends: {state}"] = count
        if self.redis_url:
            clients, keys = await self._redis_clients()
            values["Redis clients (CLIENT LIST, its db)"] = sum(clients.values())
            for name, count in sorted(clients.items()):
                values[f"  {REDIS_CLIENTS_NAMED}{name or '(no name)'}"] = count
            values["Redis keys (its db)"] = keys
        return Sample(requests, values, frozenset(series))

    async def settle(self, *, outbound: bool = True, timeout: float = 15.0) -> Sample:
        """A sample taken once nothing is under way: no inbound connection (close the callers'
        clients first) nor, with `outbound`, an outbound one (kept alive by the server's pool
        unless the peer closes it), no after-link follow-up running, no journal entry queued, no
        Lambda worker or pooled database connection in use, and the open descriptors as they
        were in the sample before (a socket on its way in or out is no state: without this, one
        caught in a sample made tests/scale/test_no_leaks.py see one socket more, or fewer)."""
        deadline = time.monotonic() + timeout
        wanted = [name for name in _BUSY if outbound or not name.startswith("TCP outbound")]
        # A /metrics call first: the series of its own route exist from the first sample on.
        before = await self.sample()
        while True:
            sample = await self.sample()
            busy = {name: sample.values[name] for name in wanted if sample.values.get(name)}
            steady = _descriptors(sample) == _descriptors(before)
            before = sample
            if not busy and (steady or time.monotonic() > deadline):
                return sample  # descriptors that never stop moving are for the caller to judge
            if time.monotonic() > deadline:
                _, inodes, _ = _fd_kinds(self.pid)
                sockets = [t for t in _tcp_sockets(self.pid, inodes) if t.state != "LISTEN"]
                raise RuntimeError(f"the server did not settle: {busy}; its TCP sockets: {sockets}")
            await asyncio.sleep(0.1)

    def proc_values(self) -> dict[str, float]:
        """What /proc says of the process (sync: a few small files)."""
        values: dict[str, float] = {}
        kinds, inodes, files = _fd_kinds(self.pid)
        values["resident memory (MB)"] = round(_status_kb(self.pid, "VmRSS") / 1024, 1)
        values["open fds"] = sum(kinds.values())
        for kind in ("socket", "pipe", "file", "anon_inode", "other"):
            values[f"  fds: {kind}"] = kinds.get(kind, 0)
        for family, count in sorted(_socket_families(self.pid, inodes).items()):
            values[f"  sockets: {family}"] = count
        values["  SQLite files open"] = sum(1 for f in files if re.search(r"\.db(-wal|-shm)?$", f))
        values["  SQLite descriptors kept for reuse"] = _sqlite_spares(files)
        values["  deleted files open"] = sum(1 for f in files if f.endswith(" (deleted)"))
        values["threads"] = len(list(Path(f"/proc/{self.pid}/task").iterdir()))
        children = _children(self.pid)
        values["child processes"] = len(children)
        values["  of which zombies"] = sum(1 for child in children if _is_zombie(child))
        values["  their resident memory (MB)"] = round(
            sum(_child_rss_kb(child) for child in children) / 1024, 1
        )
        sockets = _tcp_sockets(self.pid, inodes)
        listening = {t.local_port for t in sockets if t.state == "LISTEN"}
        kinds_of = Counter[str]()
        for tcp in sockets:
            if tcp.state == "LISTEN":
                kind = "TCP listening"
            elif tcp.local_port in listening:
                kind = "TCP inbound"
            elif tcp.remote_port == 5432:
                kind = "TCP to PostgreSQL"
            elif tcp.remote_port == 6379:
                kind = "TCP to Redis"
            else:
                kind = "TCP outbound (skills, token URLs)"
            kinds_of[kind] += 1
            if tcp.state not in ("LISTEN", "ESTABLISHED"):
                kinds_of[f"  TCP {tcp.state}"] += 1
        for kind in (
            "TCP listening",
            "TCP inbound",
            "TCP outbound (skills, token URLs)",
            "TCP to PostgreSQL",
            "TCP to Redis",
            "  TCP CLOSE_WAIT",
        ):
            values[kind] = kinds_of.get(kind, 0)
        values.update({kind: n for kind, n in kinds_of.items() if kind not in values})
        values["temp files (server's TMPDIR)"] = sum(1 for _ in self.tmp_dir.rglob("*"))
        return values

    async def _pg_backends(self) -> dict[str, int]:
        import asyncpg

        parts = urlsplit(self.database_url or "")
        conn = await asyncpg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            database=parts.path.lstrip("/"),
        )
        try:
            rows = await conn.fetch(
                "SELECT coalesce(state, '?') AS state, count(*) AS n FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
            )
        finally:
            await conn.close()
        found = {"all": sum(int(r["n"]) for r in rows), "idle in transaction": 0}
        found.update({str(r["state"]): int(r["n"]) for r in rows if r["state"] == "idle in transaction"})
        return found

    async def _redis_clients(self) -> tuple[Counter[str], int]:
        """The clients of the server's Redis database by name (localexa's pools name their
        connections, core/redis_pools.py; "" for a client without a name), and its keys."""
        from redis.asyncio import Redis

        redis = Redis.from_url(self.redis_url or "")
        try:
            own = await redis.client_id()
            clients = await redis.client_list()
            db = redis.connection_pool.connection_kwargs.get("db", 0)
            mine = Counter(
                str(c.get("name", "")) for c in clients if int(c["db"]) == int(db) and int(c["id"]) != own
            )
            return mine, int(await redis.dbsize())
        finally:
            await redis.aclose()
