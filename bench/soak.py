"""Soak: a long-running `localexa serve` under a realistic mixed workload leaks nothing.

    .venv/bin/python -m bench.soak --seconds 300
    .venv/bin/python -m bench.soak --seconds 300 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/soak --redis-url redis://127.0.0.1:6379/12

Starts `localexa serve` (bench/servers.py) and, on 127.0.0.1 in this process, a skill host: the
My Lights sample (its OAuth server is the skills' account-linking token URL, its `/skill` the
skill endpoint) behind a `/skill` that answers some directives slowly, with an HTTP 500, with
broken JSON or not in time, and a token URL that answers too late. Then it loops rounds of a mix
(`Workload.round`), several customers at once:

- LWA authorization-code sign-ins through the `/ap/oa` pages with PKCE (every other one posts
  its sign-in as multipart/form-data with a file part), refresh and client_credentials grants,
  tokeninfo and profile;
- enable-and-link with app-to-app linking, so the after-link Discover and AcceptGrant run (My
  Lights exchanges the grant code at LWA), then disable; links whose token URL refuses (a new
  port each round) or answers too late;
- directives answered, slow, erroring, broken and timing out, to an HTTP skill and to a
  `python:` Lambda-style skill (My Lights' handler in worker processes, forwarding to the skill
  host), a caller that gives up before the answer, and a skill with a new `python:` handler of
  its own each round;
- events to the gateway (good, invalid, bad token), Credential Locker PUTs and paged lists;
- a burst of authenticated GETs at once (the pools' peak);
- a capability evaluation run to its end; faults created, hit and deleted; console sign-in,
  pages and sign-out; journal reads; every third round a snapshot and restore, every sixth a
  reset (the next round seeds its world again).

From outside the process, at every round's end, it samples (`Probe`): resident memory
(`/proc/<pid>/status`), open file descriptors by kind, threads, child processes (Lambda workers),
the process's TCP sockets by state (`/proc/<pid>/net/tcp*` by the inodes of its fds), SQLite
files held open, temp files (the server gets a TMPDIR of its own), PostgreSQL backends of its
database (`pg_stat_activity`), Redis clients of its database (`CLIENT LIST`), the number of
series on `/metrics` and the in-process gauges `/metrics` shows (`localexa_in_memory_entries`,
asyncio tasks, pooled connections, Lambda workers). The table compares the first sample after
the warm-up rounds with the last, per 1,000 requests localexa answered
(`localexa_http_requests_total`), with the highest value seen in between.

tests/scale/test_no_leaks.py runs the same rounds for a few seconds and asserts that nothing
grows (README "Performance, scale and crash safety").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bench import servers
from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from localexa.samples.mylights.skill import build_skill

ADMIN_KEY = servers.ADMIN_KEY
MYLIGHTS_CLIENT = "alexa-skill"
MYLIGHTS_SECRET = "mylights-secret"
LINK_REDIRECT = "https://app.example.com/alexa"
APP_REDIRECT = "https://app.example.com/cb"
LAMBDA_ENDPOINT = "python:localexa.samples.mylights.lambda_handler:handler"
POWER_PLAN = "f51fae98-1553-532e-8a89-6843ac26b55a"  # PowerController, 4 test cases
THREAD_PERMISSION = "alexa::thread_network_credentials:read"
EVENTS_PERMISSION = "alexa::async_event:write"
ACCOUNT_LINKING = "alexa::skills:account_linking"
READWRITE = "alexa::ask:skills:readwrite"

#: Seconds: the server's directive deadline and the skill host's slow and hanging answers.
DIRECTIVE_TIMEOUT = 1.0
SLOW_SECONDS = 0.2
HANG_SECONDS = DIRECTIVE_TIMEOUT + 1.5


# -- the skill host: My Lights with misbehaving corners -------------------------------------------


def skill_host_app(cloud: DeviceCloud, *, close_connections: bool = False) -> Any:
    """My Lights (OAuth server, lights, skill) with a `/skill` whose answer depends on the
    directive's endpointId: `slow` (late but fine), `broken` (HTTP 500), `garbage` (not JSON),
    `hang` (after localexa's deadline); and `/slow-token`, a token URL that answers too late."""
    skill = build_skill(cloud)

    async def skill_endpoint(request: Request) -> Response:
        try:
            event = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "send a directive as JSON"}, 400)
        endpoint = (event.get("directive") or {}).get("endpoint") or {}
        behaviour = endpoint.get("endpointId")
        if behaviour == "broken":
            return Response("the device cloud fell over", 500, media_type="text/plain")
        if behaviour == "garbage":
            return Response(b'{"event": ', 200, media_type="application/json")
        if behaviour == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return JSONResponse({})
        if behaviour == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            endpoint["endpointId"] = "kitchen"
        return JSONResponse(await skill.handle(event))

    async def slow_token(request: Request) -> Response:
        await asyncio.sleep(HANG_SECONDS)
        return JSONResponse({"error": "too_late"}, 400)

    app = Starlette(
        routes=[
            Route("/skill", skill_endpoint, methods=["POST"]),
            Route("/slow-token", slow_token, methods=["POST"]),
            Mount("", app=create_mylights_app(cloud=cloud)),
        ]
    )
    return _closing(app) if close_connections else app


def _closing(app: Any) -> Any:
    """`app` answering with `Connection: close`, so the caller's connection ends with the answer."""

    async def closing(scope: Any, receive: Any, send: Any) -> None:
        async def send_closing(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return closing


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1 under uvicorn in a daemon thread; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="error", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the skill host did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (a token URL that refuses connections)."""
    return servers.free_port()


#: A `python:` handler written anew each round: Discover finds nothing, anything else is refused.
FRESH_HANDLER = """
import uuid


def handler(event, context):
    header = event["directive"]["header"]
    if header["name"] == "Discover":
        return {"event": {"header": {"namespace": "Alexa.Discovery", "name": "Discover.Response",
                "payloadVersion": "3", "messageId": str(uuid.uuid4())}, "payload": {"endpoints": []}}}
    raise ValueError("this soak handler only discovers")
"""


# -- sampling from outside ----------------------------------------------------------------------

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


def _tcp_sockets(pid: int, inodes: set[int]) -> list[_Tcp]:
    """The process's own TCP sockets (by the inodes of its fds) from `/proc/<pid>/net/tcp*`."""
    found: list[_Tcp] = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if int(parts[9]) in inodes:
                local, remote = parts[1].rsplit(":", 1)[1], parts[2].rsplit(":", 1)[1]
                found.append(_Tcp(_TCP_STATES.get(parts[3], parts[3]), int(local, 16), int(remote, 16)))
    return found


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
            values["Redis clients (CLIENT LIST, its db)"] = clients
            values["Redis keys (its db)"] = keys
        return Sample(requests, values, frozenset(series))

    async def settle(self, *, outbound: bool = True, timeout: float = 15.0) -> Sample:
        """A sample taken once nothing is under way: no inbound connection (close the callers'
        clients first) nor, with `outbound`, an outbound one (kept alive by the server's pool
        unless the peer closes it), no after-link follow-up running, no journal entry queued, no
        Lambda worker or pooled database connection in use."""
        deadline = time.monotonic() + timeout
        wanted = [name for name in _BUSY if outbound or not name.startswith("TCP outbound")]
        # A /metrics call first: the series of its own route exist from the first sample on.
        await self.sample()
        while True:
            sample = await self.sample()
            busy = {name: sample.values[name] for name in wanted if sample.values.get(name)}
            if not busy:
                return sample
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

    async def _redis_clients(self) -> tuple[int, int]:
        from redis.asyncio import Redis

        redis = Redis.from_url(self.redis_url or "")
        try:
            own = await redis.client_id()
            clients = await redis.client_list()
            db = redis.connection_pool.connection_kwargs.get("db", 0)
            mine = sum(1 for c in clients if int(c["db"]) == int(db) and int(c["id"]) != own)
            return mine, int(await redis.dbsize())
        finally:
            await redis.aclose()


# -- the workload ---------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of an /ap/oa or console page: their inputs (hidden and typed) with values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][values["name"]] = values.get("value", "")


def form_with(html: str, **wanted: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if all(form.get(k) == v for k, v in wanted.items()):
            return form
    raise AssertionError(f"no form {wanted} in {html[:300]}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Mix:
    """How much of what a round does (the soak's defaults; the leak test asks for more churn)."""

    #: Customers living their life concurrently (`Workload.one_customer`), each with an app of its own.
    customers: int = 3
    #: Skills with a new `python:` handler module, linked once (a worker each).
    fresh_lambdas: int = 1
    #: Links whose token URL refuses, each on a new port (a new outbound host).
    refused_links: int = 1
    #: Authenticated GETs sent all at once (a test suite's parallel workers): the pools' peak.
    burst: int = 100
    #: Every this many rounds a snapshot and restore, and a reset (0: never).
    snapshot_every: int = 3
    reset_every: int = 6


@dataclass
class World:
    """What a round needs, made through the admin API (again after a reset)."""

    app_id: str
    app_secret: str
    developer_id: str
    developer_token: str
    http_skill: str
    http_messaging: str
    lambda_skill: str


class Workload:
    """Rounds of the mix against one server. `statuses` counts every answer by operation."""

    def __init__(
        self, base_url: str, skill_host: str, cloud: DeviceCloud, *, handlers: Path, mix: Mix
    ) -> None:
        self.base_url = base_url
        self.skill_host = skill_host
        self.cloud = cloud
        #: A folder on the server's PYTHONPATH: each round writes `python:` handlers of its own here.
        self.handlers = handlers
        self.mix = mix
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.rounds = 0
        self.world: World | None = None
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def drop_connections(self) -> None:
        """Close this caller's keep-alive connections to the server (before `Probe.settle`)."""
        await self.http.aclose()
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=30)

    # helpers ------------------------------------------------------------------------------------
    async def call(self, op: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        if "x-localexa-fault" in response.headers:
            op = f"{op} (injected fault)"
        self.statuses[(op, response.status_code)] += 1
        return response

    async def admin(self, path: str, body: Any, *, method: str = "POST") -> Any:
        response = await self.call(
            "admin " + path.split("/")[0],
            method,
            f"/_localexa/{path}",
            json=body,
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        if response.status_code >= 300:
            raise RuntimeError(f"admin {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def customer(self, name: str, password: str = "pw") -> tuple[str, str]:
        email = f"{name}-{secrets.token_hex(5)}@example.com"
        made = await self.admin(
            "customers", {"name": name, "email": email, "password": password, "region": "NA"}
        )
        return made["userId"], email

    async def token(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        tokens: dict[str, Any] = await self.admin(
            "tokens", {"clientId": client_id, "userId": user_id, "scopes": scopes}
        )
        return tokens

    def linking(self, token_url: str | None = None) -> dict[str, Any]:
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.skill_host}/authorize",
            "accessTokenUrl": token_url or f"{self.skill_host}/token",
            "clientId": MYLIGHTS_CLIENT,
            "clientSecret": MYLIGHTS_SECRET,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [LINK_REDIRECT],
        }

    async def skill(
        self, vendor: str, endpoint: str, permissions: list[str], token_url: str | None = None
    ) -> dict[str, Any]:
        body = {
            "vendorId": vendor,
            "name": "Soak",
            "endpoint": endpoint,
            "permissions": permissions,
            "accountLinking": self.linking(token_url),
        }
        made: dict[str, Any] = await self.admin("skills", body)
        return made

    # the world ----------------------------------------------------------------------------------
    async def seed(self) -> World:
        developer, _ = await self.customer("Dev")
        vendor = (await self.admin("vendors", {"name": "Soak", "ownerUserId": developer}))["vendorId"]
        http_skill = await self.skill(
            vendor, f"{self.skill_host}/skill", [EVENTS_PERMISSION, THREAD_PERMISSION]
        )
        lambda_skill = await self.skill(vendor, LAMBDA_ENDPOINT, [])
        messaging = http_skill["skillMessagingCredentials"]
        # My Lights exchanges AcceptGrant codes with the skill's messaging credentials.
        self.cloud.set_alexa_credentials(messaging["clientId"], messaging["clientSecret"])
        app = await self.admin("lwa-clients", {"name": "Soak app", "redirectUris": [APP_REDIRECT]})
        developer_token = (await self.token(app["clientId"], developer, [READWRITE, ACCOUNT_LINKING]))[
            "access_token"
        ]
        world = World(
            app_id=app["clientId"],
            app_secret=app["clientSecret"],
            developer_id=developer,
            developer_token=developer_token,
            http_skill=http_skill["skillId"],
            http_messaging=messaging["clientId"],
            lambda_skill=lambda_skill["skillId"],
        )
        # The developer's own account is linked: evaluations run against it.
        await self.link(world.http_skill, developer_token, op="link developer")
        await self.wait_follow_up(developer, world.http_skill)
        return world

    # operations ---------------------------------------------------------------------------------
    async def sign_in_with_amazon(
        self, app: dict[str, str], email: str, password: str, *, multipart: bool = False
    ) -> dict[str, Any]:
        """/ap/oa through its pages (sign-in, consent) with PKCE, then the code at /auth/o2/token."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "client_id": app["clientId"],
            "scope": f"profile {ACCOUNT_LINKING}",
            "response_type": "code",
            "redirect_uri": APP_REDIRECT,
            "state": secrets.token_hex(4),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as browser:
            page = await browser.get("/ap/oa", params=params)
            self.statuses[("ap/oa page", page.status_code)] += 1
            signin = form_with(page.text, action="signin")
            signin.update(email=email, password=password)
            if multipart:
                # As `curl -F` sends it, with a file part the form reader must let go of.
                parts: dict[str, Any] = {name: (None, value) for name, value in signin.items()}
                parts["attachment"] = ("notes.txt", b"x" * 200_000, "text/plain")
                page = await browser.post("/ap/oa", files=parts)
            else:
                page = await browser.post("/ap/oa", data=signin)
            self.statuses[("ap/oa sign-in", page.status_code)] += 1
            consent = form_with(page.text, action="consent")
            consent["decision"] = "allow"
            answer = await browser.post("/ap/oa", data=consent)
            self.statuses[("ap/oa consent", answer.status_code)] += 1
        code = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["code"]
        exchanged = await self.call(
            "token authorization_code",
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": APP_REDIRECT,
                "code_verifier": verifier,
            },
            auth=(app["clientId"], app["clientSecret"]),
        )
        tokens: dict[str, Any] = exchanged.json()
        return tokens

    async def link(
        self, skill_id: str, token: str, *, op: str = "enable and link", code: str | None = None
    ) -> int:
        code = code or self.cloud.oauth.issue_code("demo", MYLIGHTS_CLIENT, LINK_REDIRECT, "lights")
        response = await self.call(
            op,
            "POST",
            f"/v1/users/~current/skills/{skill_id}/enablement",
            headers=bearer(token),
            json={
                "stage": "development",
                "accountLinkRequest": {"type": "AUTH_CODE", "authCode": code, "redirectUri": LINK_REDIRECT},
            },
        )
        return response.status_code

    async def wait_follow_up(self, user_id: str, skill_id: str) -> None:
        await self.call(
            "follow-up wait",
            "GET",
            f"/_localexa/customers/{user_id}/skills/{skill_id}/endpoints",
            params={"waitSeconds": 10},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )

    async def directive(self, user_id: str, skill_id: str, endpoint_id: str, name: str = "TurnOn") -> None:
        namespace = "Alexa" if name == "ReportState" else "Alexa.PowerController"
        await self.call(
            f"directive {endpoint_id}",
            "POST",
            "/_localexa/directives",
            json={
                "userId": user_id,
                "skillId": skill_id,
                "endpointId": endpoint_id,
                "namespace": namespace,
                "name": name,
            },
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )

    async def one_customer(self, world: World, index: int) -> None:
        """A customer's life: sign in with Amazon, refresh, link both skills, directives of every
        kind, events, Thread networks, then disable one skill."""
        password = "correct horse"
        user_id, email = await self.customer(f"Cust{index}", password)
        app = await self.admin("lwa-clients", {"name": f"App {index}", "redirectUris": [APP_REDIRECT]})
        tokens = await self.sign_in_with_amazon(app, email, password, multipart=index % 2 == 1)
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        refreshed = await self.call(
            "token refresh_token",
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
            },
        )
        access = refreshed.json().get("access_token", access)
        await asyncio.gather(
            self.call("tokeninfo", "GET", "/auth/o2/tokeninfo", headers=bearer(access)),
            self.call("profile", "GET", "/user/profile", headers=bearer(access)),
            self.call("alexaApiEndpoint", "GET", "/v1/alexaApiEndpoint", headers=bearer(access)),
            self.link(world.http_skill, access),
            self.link(world.lambda_skill, access),
        )
        await asyncio.gather(
            self.wait_follow_up(user_id, world.http_skill), self.wait_follow_up(user_id, world.lambda_skill)
        )
        await self.call(
            "enablement status",
            "GET",
            f"/v1/users/~current/skills/{world.http_skill}/enablement",
            headers=bearer(access),
        )
        # Directives: each kind of answer, to the HTTP skill and to the Lambda-style one.
        sends = [
            self.directive(user_id, skill, endpoint, name)
            for skill in (world.http_skill, world.lambda_skill)
            for endpoint, name in (
                ("kitchen", "TurnOn"),
                ("kitchen", "ReportState"),
                ("slow", "TurnOn"),
                ("broken", "TurnOn"),
                ("garbage", "TurnOn"),
                ("hang", "TurnOn"),
                ("nowhere", "TurnOn"),
            )
        ]
        if index == 0:
            # Beside the directives that time out, so the server is done with it when they are.
            sends.append(self.abandoned(world, user_id))
        await asyncio.gather(*sends, self.events(world, user_id), self.networks(world, user_id, index))
        await self.call(
            "messages",
            "GET",
            f"/_localexa/customers/{user_id}/skills/{world.http_skill}/messages",
            params={"maxResults": 20},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        # Disable one link now and then, so the next round's relinks are first links again.
        if index % 2 == 0:
            await self.call(
                "disable",
                "DELETE",
                f"/v1/users/~current/skills/{world.lambda_skill}/enablement",
                headers=bearer(access),
            )

    async def events(self, world: World, user_id: str) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        event = {
            "event": {
                "header": {
                    "namespace": "Alexa",
                    "name": "ChangeReport",
                    "payloadVersion": "3",
                    "messageId": secrets.token_hex(8),
                },
                "endpoint": {"scope": {"type": "BearerToken", "token": token}, "endpointId": "kitchen"},
                "payload": {
                    "change": {
                        "cause": {"type": "PHYSICAL_INTERACTION"},
                        "properties": [
                            {
                                "namespace": "Alexa.PowerController",
                                "name": "powerState",
                                "value": "OFF",
                                "timeOfSample": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "uncertaintyInMilliseconds": 0,
                            }
                        ],
                    }
                },
            },
            "context": {"properties": []},
        }
        await self.call("event ChangeReport", "POST", "/v3/events", json=event, headers=bearer(token))
        await self.call("event invalid", "POST", "/v3/events", json={"event": {}}, headers=bearer(token))
        await self.call("event bad token", "POST", "/v3/events", json=event, headers=bearer("Atza|nope"))

    async def networks(self, world: World, user_id: str, index: int) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        pan = f"{index:04x}beef{secrets.token_hex(4)}"
        for n in range(5):
            network = {
                "extendedPanId": pan,
                "networkName": f"Home {n}",
                "networkKey": secrets.token_hex(16),
                "channelNumber": 15,
            }
            await self.call(
                "locker PUT",
                "PUT",
                "/credentiallocker/v2/threadNetworks",
                json={"threadNetwork": network},
                headers=bearer(token),
            )
        params: dict[str, Any] = {"extendedPanId": pan, "maxResults": 2}
        while True:
            page = await self.call(
                "locker list",
                "GET",
                "/credentiallocker/v2/threadNetworks",
                params=params,
                headers=bearer(token),
            )
            next_token = page.json().get("nextToken") if page.status_code == 200 else None
            if not next_token:
                break
            params["nextToken"] = next_token

    async def linking_failures(self, world: World, refused: int) -> None:
        """Links whose token URL refuses (each on a new port: a new host for the metrics) and one
        whose token URL answers too late."""
        user_id, _ = await self.customer("Failing")
        token = (await self.token(world.app_id, user_id, [ACCOUNT_LINKING]))["access_token"]
        vendor = (await self.admin("vendors", {"name": "Failing", "ownerUserId": user_id}))["vendorId"]
        urls = [f"http://127.0.0.1:{closed_port()}/token" for _ in range(refused)]

        async def link_to(url: str) -> None:
            made = await self.skill(vendor, f"{self.skill_host}/skill", [], token_url=url)
            await self.link(made["skillId"], token, op="link, failing token URL")

        await asyncio.gather(*(link_to(url) for url in [*urls, f"{self.skill_host}/slow-token"]))

    async def fresh_lambda(self, world: World) -> None:
        """A skill whose `python:` handler is new (a team's new skill, a test's handler in a temp
        folder): linking it runs Discover in a worker of its own."""
        name = f"soak_lambda_{self.rounds}_{secrets.token_hex(3)}"
        (self.handlers / f"{name}.py").write_text(FRESH_HANDLER)
        vendor = (await self.admin("vendors", {"name": "Lambda", "ownerUserId": world.developer_id}))[
            "vendorId"
        ]
        made = await self.skill(vendor, f"python:{name}:handler", [])
        await self.link(made["skillId"], world.developer_token, op="link, new python: handler")
        await self.wait_follow_up(world.developer_id, made["skillId"])

    async def abandoned(self, world: World, user_id: str) -> None:
        """A caller that gives up before the answer (a directive to a skill that does not answer
        in time)."""
        body = {
            "userId": user_id,
            "skillId": world.http_skill,
            "endpointId": "hang",
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        }
        try:
            answer = await self.http.post(
                "/_localexa/directives", json=body, headers={"X-Localexa-Admin-Key": ADMIN_KEY}, timeout=0.3
            )
        except httpx.TimeoutException:
            self.statuses[("abandoned directive", 0)] += 1
        else:
            self.statuses[("abandoned directive (answered in time)", answer.status_code)] += 1

    async def burst(self, world: World, calls: int) -> None:
        """`calls` authenticated GETs at once, each on a connection of its own."""
        path = f"/v1/skills/{world.http_skill}/stages/development/enablement"
        limits = httpx.Limits(max_connections=calls, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as http:
            answers = await asyncio.gather(
                *(http.get(path, headers=bearer(world.developer_token)) for _ in range(calls))
            )
        for answer in answers:
            self.statuses[("burst GET", answer.status_code)] += 1

    async def developer_calls(self, world: World) -> None:
        headers = bearer(world.developer_token)
        base = f"/v1/skills/{world.http_skill}"
        await self.call(
            "smapi enablement GET", "GET", f"{base}/stages/development/enablement", headers=headers
        )
        await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        testing = f"{base}/smartHome/testing"
        await self.call("test plans", "GET", f"{testing}/capabilityTestPlans", headers=headers)
        started = await self.call(
            "evaluation start",
            "POST",
            f"{testing}/capabilityEvaluations",
            json={
                "capabilityTestPlan": {"id": POWER_PLAN},
                "endpoint": {"endpointId": "kitchen"},
                "stage": "development",
            },
            headers=headers,
        )
        if started.status_code == 200:
            run = started.json()["id"]
            for _ in range(200):
                status = await self.call(
                    "evaluation GET", "GET", f"{testing}/capabilityEvaluations/{run}", headers=headers
                )
                if status.status_code != 200 or status.json().get("status") != "IN_PROGRESS":
                    break
                await asyncio.sleep(0.05)
            await self.call(
                "evaluation results", "GET", f"{testing}/capabilityEvaluations/{run}/results", headers=headers
            )
        await self.call(
            "evaluations list",
            "GET",
            f"{testing}/capabilityEvaluations",
            params={"stage": "development"},
            headers=headers,
        )
        # client_credentials for the messaging client (skill messaging).
        messaging = await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        if messaging.status_code == 200:
            creds = messaging.json()["skillMessagingCredentials"]
            await self.call(
                "token client_credentials",
                "POST",
                "/auth/o2/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "alexa:skill_messaging",
                    "client_id": creds["clientId"],
                    "client_secret": creds["clientSecret"],
                },
            )

    async def faults(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        made = await self.admin(
            "faults", {"method": "GET", "path": "/v1/alexaApiEndpoint", "status": 503, "count": 2}
        )
        slow = await self.admin(
            "faults", {"path": "/auth/o2/tokeninfo", "delayMs": 50, "probability": 0.5, "seed": 7}
        )
        for _ in range(3):
            await self.call("faulted GET", "GET", "/v1/alexaApiEndpoint", headers=bearer("Atza|nope"))
            await self.call("delayed GET", "GET", "/auth/o2/tokeninfo", headers=bearer("Atza|nope"))
        await self.call("faults list", "GET", "/_localexa/faults", headers=headers)
        for fault in (made, slow):
            await self.call(
                "fault delete", "DELETE", f"/_localexa/faults/{fault['faultId']}", headers=headers
            )

    async def console(self) -> None:
        """Sign in with the admin key, read pages (the journal's rows too), sign out."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as browser:
            login = await browser.get("/console/login")
            self.statuses[("console login page", login.status_code)] += 1
            form = form_with(login.text)
            form["admin_key"] = ADMIN_KEY
            signed = await browser.post("/console/login", data=form)
            self.statuses[("console sign-in", signed.status_code)] += 1
            page = login
            for path in (
                "/console",
                "/console/journal",
                "/console/journal/rows",
                "/console/skills",
                "/console/enablements",
                "/console/faults",
                "/console/static/console.css",
            ):
                page = await browser.get(path)
                self.statuses[("console page", page.status_code)] += 1
            page = await browser.get("/console/customers")
            self.statuses[("console page", page.status_code)] += 1
            signout = form_with(page.text)  # the sign-out form of every page (base.html)
            out = await browser.post("/console/logout", data=signout)
            self.statuses[("console sign-out", out.status_code)] += 1

    async def journal(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        page = await self.call("journal", "GET", "/_localexa/journal", params={"limit": 50}, headers=headers)
        cursor = page.json().get("nextCursor") if page.status_code == 200 else None
        if cursor:
            await self.call(
                "journal",
                "GET",
                "/_localexa/journal",
                params={"limit": 50, "cursor": cursor},
                headers=headers,
            )

    async def snapshot_and_restore(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        snapshot = await self.call("snapshot", "POST", "/_localexa/snapshot", headers=headers)
        if snapshot.status_code == 200:
            await self.call(
                "restore",
                "POST",
                "/_localexa/restore",
                content=snapshot.content,
                headers={**headers, "Content-Type": "application/json"},
            )

    async def reset(self) -> None:
        await self.call("reset", "POST", "/_localexa/reset", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
        self.world = None

    async def round(self) -> None:
        """One round of the mix (module docstring); the customers run concurrently."""
        self.rounds += 1
        if self.world is None:
            self.world = await self.seed()
        world, mix = self.world, self.mix
        await asyncio.gather(
            *(self.one_customer(world, i) for i in range(mix.customers)),
            self.linking_failures(world, mix.refused_links),
            self.developer_calls(world),
            self.faults(),
            self.console(),
            self.burst(world, mix.burst),
        )
        # Last, so that the workers idle at the round's end are these and the ones before them.
        await asyncio.gather(*(self.fresh_lambda(world) for _ in range(mix.fresh_lambdas)))
        await self.journal()
        if mix.snapshot_every and self.rounds % mix.snapshot_every == 0:
            await self.snapshot_and_restore()
        if mix.reset_every and self.rounds % mix.reset_every == 0:
            await self.reset()

    def failures(self) -> dict[str, int]:
        """Answers that say the server broke (5xx other than injected faults')."""
        return {
            f"{op} {status}": n
            for (op, status), n in self.statuses.items()
            if status >= 500 and not op.endswith("(injected fault)")
        }


# -- running it -----------------------------------------------------------------------------------


@dataclass
class Soak:
    """A served process, the skill host and the workload, ready to run rounds and sample."""

    server: servers.Child
    probe: Probe
    workload: Workload


def server_environment(
    skill_host: str, tmp_dir: Path, handlers: Path, *, password_n: int | None = None
) -> dict[str, str]:
    env = {
        # Lambda-style workers get the server's import path: the soak's own handlers are here.
        "PYTHONPATH": os.pathsep.join(p for p in (str(handlers), os.environ.get("PYTHONPATH")) if p),
        # The Lambda-style handler (My Lights') hands each directive to the skill host's /skill.
        "MYLIGHTS_URL": skill_host,
        "LOCALEXA_DIRECTIVE_TIMEOUT": str(DIRECTIVE_TIMEOUT),
        "LOCALEXA_TOKEN_EXCHANGE_TIMEOUT": str(DIRECTIVE_TIMEOUT),
        # Temp files the process makes land here, where the probe counts them.
        "TMPDIR": str(tmp_dir),
        # Snapshots of a few rounds' state are over the default 1 MiB a restore may send.
        "LOCALEXA_MAX_BODY_BYTES": str(32 * 1024 * 1024),
    }
    if password_n:
        env["LOCALEXA_PASSWORD_HASH_N"] = str(password_n)
    return env


@contextlib.contextmanager
def soak_server(
    root: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    mix: Mix | None = None,
    password_n: int | None = None,
    close_connections: bool = False,
) -> Iterator[Soak]:
    """The skill host (in a thread of this process) and `localexa serve` beside it.

    `close_connections`: the skill host closes every connection after its answer, so no
    keep-alive connection of the server's outbound pool is left open when it is sampled."""
    tmp_dir, handlers = root / "server-tmp", root / "handlers"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handlers.mkdir(parents=True, exist_ok=True)
    config = MyLightsConfig(
        client_id=MYLIGHTS_CLIENT, client_secret=MYLIGHTS_SECRET, send_change_reports=False
    )
    cloud = DeviceCloud(config)
    with serve_in_thread(skill_host_app(cloud, close_connections=close_connections)) as skill_host:
        server = servers.localexa(root / "data", database_url=database_url, redis_url=redis_url)
        server.env.update(server_environment(skill_host, tmp_dir, handlers, password_n=password_n))
        server.start()
        try:
            assert server.process is not None
            base = server.health_url.rsplit("/_localexa", 1)[0]
            config.lwa_base_url = base
            config.events_base_url = base
            probe = Probe(
                server.process.pid, base, tmp_dir=tmp_dir, database_url=database_url, redis_url=redis_url
            )
            workload = Workload(base, skill_host, cloud, handlers=handlers, mix=mix or Mix())
            yield Soak(server, probe, workload)
        finally:
            server.stop()


def growth_table(first: Sample, last: Sample, peaks: dict[str, float]) -> str:
    served = max(1, last.requests - first.requests)
    lines = [
        f"| measured ({served:,} requests between) | after warm-up | end | growth | per 1,000 requests"
        " | highest |",
        "|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys([*first.values, *last.values]))
    for name in names:
        start, end = first.values.get(name, 0.0), last.values.get(name, 0.0)
        grown = end - start
        per_1000 = grown * 1000 / served
        highest = _num(peaks.get(name, end))
        lines.append(f"| {name} | {_num(start)} | {_num(end)} | {grown:+g} | {per_1000:+.3f} | {highest} |")
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


async def _run(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    workload, probe = soak.workload, soak.probe
    started = time.monotonic()
    for _ in range(warm_up_rounds):
        await workload.round()
    await workload.drop_connections()
    first = await probe.settle(outbound=False)
    print(
        f"warm-up: {warm_up_rounds} rounds, {first.requests:,} requests, {time.monotonic() - started:.0f} s",
        flush=True,
    )
    peaks = dict(first.values)
    last = first
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await workload.round()
        last = await probe.sample()
        for name, value in last.values.items():
            peaks[name] = max(peaks.get(name, value), value)
        seen = last.values
        print(
            f"round {workload.rounds}: {last.requests:,} requests, RSS {seen['resident memory (MB)']} MB,"
            f" fds {seen['open fds']:.0f}, threads {seen['threads']:.0f},"
            f" children {seen['child processes']:.0f}",
            flush=True,
        )
    # The last sample as the first: the caller's connections closed, nothing under way.
    await workload.drop_connections()
    last = await probe.settle(outbound=False)
    print()
    print(f"{workload.rounds} rounds in {time.monotonic() - started:.0f} s")
    print(growth_table(first, last, peaks))
    failures = workload.failures()
    print()
    print("server errors (5xx other than injected faults):", failures or "none")
    print(
        "answers by operation:",
        dict(sorted(Counter({f"{op} {s}": n for (op, s), n in workload.statuses.items()}).items())),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=300, help="how long the rounds after the warm-up run"
    )
    parser.add_argument("--database-url", default=None, help="localexa's database (default: SQLite)")
    parser.add_argument("--redis-url", default=None, help="Redis for rate limits and the token epoch")
    parser.add_argument("--customers", type=int, default=3, help="customers per round, concurrently")
    parser.add_argument("--reset-every", type=int, default=6, help="rounds between resets (0: never)")
    parser.add_argument("--warm-up-rounds", type=int, default=6, help="rounds before the first sample")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as root,
        soak_server(
            Path(root),
            database_url=args.database_url,
            redis_url=args.redis_url,
            mix=Mix(customers=args.customers, reset_every=args.reset_every),
        ) as soak,
    ):
        asyncio.run(_main_async(soak, args.seconds, args.warm_up_rounds))


async def _main_async(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    try:
        await _run(soak, seconds, warm_up_rounds)
    finally:
        await soak.workload.aclose()


if __name__ == "__main__":
    main()
