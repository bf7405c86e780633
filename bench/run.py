"""localexa's benchmark: one run, one table (bench/README.md says how to run it and what it needs).

    .venv/bin/python -m bench.run [--seconds 10] [--connections 16] [--database-url URL] [--redis-url URL]
        [--pages-rows 1000000 | --skip-pages] [--skip-servers]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Measured in the same run, against real servers on 127.0.0.1, load from wrk in its own process:
- token refresh (`POST /auth/o2/token`, refresh_token grant): localexa vs oauth2-mock-server;
- authenticated GETs (SMAPI enablement status, Credential Locker Thread networks): localexa vs a
  bare Starlette app on the same server settings, and an authenticated S3 GetObject on moto;
- cold start of `localexa serve` to a healthy `/_localexa/health`: a new data dir, and a restart;
- resident memory of the localexa process after at least 100,000 requests;
- first page vs deep page of the Credential Locker over 1,000,000 networks on PostgreSQL
  (bench/thread_network_pages.py's measurement, in process).
The 1-minute load average is printed beside every row: on a shared machine it is what limits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench import servers
from bench.load import LoadResult, run_load

MEMORY_AFTER = 100_000
TARGET_START_S = 1.0
TARGET_RSS_MB = 100.0


@dataclass
class Row:
    what: str
    server: str
    value: str
    p50: str = ""
    p99: str = ""
    target: str = ""
    verdict: str = ""
    load: str = ""


def load1() -> str:
    return f"{os.getloadavg()[0]:.1f}"


class Bench:
    def __init__(self, seconds: float, connections: int) -> None:
        self.seconds = seconds
        self.connections = connections
        self.rows: list[Row] = []
        self.localexa_requests = 0
        self.tool = ""

    def measure(
        self, url: str, *, headers: dict[str, str] | None = None, body: str | None = None
    ) -> LoadResult:
        # A short warm-up first (connections, caches, JIT-less but lazy imports), then the real run.
        run_load(url, seconds=1, connections=self.connections, headers=headers, body=body)
        result = run_load(url, seconds=self.seconds, connections=self.connections, headers=headers, body=body)
        self.tool = result.tool
        if result.non_2xx or result.errors:
            print(f"warning: {url}: {result.non_2xx} non-2xx answers, {result.errors} socket errors")
        return result

    def add(self, what: str, server: str, result: LoadResult, target: str = "", verdict: str = "") -> None:
        self.rows.append(
            Row(
                what,
                server,
                f"{result.rps:,.0f} req/s",
                f"{result.p50_ms:.2f}",
                f"{result.p99_ms:.2f}",
                target,
                verdict,
                load1(),
            )
        )


def ratio_verdict(ours: float, theirs: float, want: float) -> tuple[str, str]:
    ratio = ours / theirs if theirs else float("inf")
    return f"≥ {want:g}× ({ratio:.2f}×)", "met" if ratio >= want else "missed"


def cold_starts(root: Path, repeat: int = 3) -> tuple[list[float], list[float]]:
    """Spawn to a 200 from /_localexa/health, on SQLite: a new data dir (creates the database,
    from the schema snapshot: db/schema_snapshot.py), then a restart on it."""
    fresh: list[float] = []
    again: list[float] = []
    servers.localexa(root / "cold-warm-up").start().stop()  # untimed: caches the bytecode
    for n in range(repeat):
        child = servers.localexa(root / f"cold-{n}")
        child.start()
        fresh.append(child.started_in)
        child.stop()
        restarted = servers.localexa(root / f"cold-{n}")
        restarted.start()
        again.append(restarted.started_in)
        restarted.stop()
    return fresh, again


def bench_servers(bench: Bench, root: Path, database_url: str | None, redis_url: str | None) -> None:
    lx = servers.localexa(root / "main", database_url=database_url, redis_url=redis_url).start()
    children: list[servers.Child] = [lx]
    try:
        base = lx.health_url.rsplit("/_localexa", 1)[0]
        world = servers.seed_localexa(base)
        bare = servers.bare().start()
        children.append(bare)
        bare_base = bare.health_url.rsplit("/_localexa", 1)[0]
        floor = servers.floor(root / "floor").start()
        children.append(floor)
        floor_base = floor.health_url.rsplit("/_localexa", 1)[0]
        mock = servers.oauth2_mock()
        moto = servers.moto()
        for child in (mock, moto):
            if child is not None:
                children.append(child.start())

        # Token refresh.
        refresh = urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": world.refresh_token,
                "client_id": world.client_id,
                "client_secret": world.client_secret,
            }
        )
        ours = bench.measure(f"{base}/auth/o2/token", body=refresh)
        bench.localexa_requests += ours.requests
        if mock is not None:
            mock_base = mock.health_url.rsplit("/.well-known", 1)[0]
            mock_body = urlencode(
                {"grant_type": "refresh_token", "refresh_token": "bench", "client_id": "bench-app"}
            )
            theirs = bench.measure(f"{mock_base}/token", body=mock_body)
            target, verdict = ratio_verdict(ours.rps, theirs.rps, 2)
            bench.add("token refresh (refresh_token grant)", "localexa", ours, target, verdict)
            bench.add("", "oauth2-mock-server", theirs)
        else:
            bench.add(
                "token refresh (refresh_token grant)", "localexa", ours, "≥ 2× oauth2-mock-server", "n/a"
            )

        # Authenticated GETs against the bare app.
        gets: list[tuple[str, str, str]] = [
            (
                "authenticated GET: SMAPI enablement status (204)",
                f"/v1/skills/{world.skill_id}/stages/development/enablement",
                world.developer_token,
            ),
            (
                "authenticated GET: Thread networks (Credential Locker)",
                f"/credentiallocker/v2/threadNetworks?extendedPanId={world.extended_pan_id}",
                world.locker_token,
            ),
        ]
        for what, path, token in gets:
            auth = {"Authorization": f"Bearer {token}"}
            ours = bench.measure(f"{base}{path}", headers=auth)
            bench.localexa_requests += ours.requests
            theirs = bench.measure(f"{bare_base}{path}", headers=auth)
            target, verdict = ratio_verdict(ours.rps, theirs.rps, 0.5)
            bench.add(what, "localexa", ours, target, verdict)
            bench.add("", "bare Starlette (same settings)", theirs)
            if "/enablement" in path:
                bench.add(
                    "",
                    "FastAPI + one SQLite SELECT (floor_app.py)",
                    bench.measure(f"{floor_base}{path}", headers=auth),
                )
        if moto is not None:
            url = servers.seed_moto(moto.health_url.rsplit("/moto-api", 1)[0])
            result = bench.measure(url, headers={"Authorization": servers.MOTO_AUTH})
            bench.add("authenticated GET: S3 GetObject", "moto server", result)

        # Resident memory once the process has answered at least MEMORY_AFTER requests.
        path, token = gets[0][1], gets[0][2]
        while bench.localexa_requests < MEMORY_AFTER:
            result = run_load(
                f"{base}{path}",
                seconds=max(
                    2.0, min(60.0, (MEMORY_AFTER - bench.localexa_requests) / max(ours.rps, 100) * 1.2)
                ),
                connections=bench.connections,
                headers={"Authorization": f"Bearer {token}"},
            )
            bench.localexa_requests += result.requests
        rss_mb = lx.rss_kb() / 1024
        bench.rows.append(
            Row(
                f"resident memory after {bench.localexa_requests:,} requests",
                "localexa",
                f"{rss_mb:.0f} MB",
                target=f"< {TARGET_RSS_MB:g} MB",
                verdict="met" if rss_mb < TARGET_RSS_MB else "missed",
                load=load1(),
            )
        )
    finally:
        for child in reversed(children):
            child.stop()


def pages(bench: Bench, postgres: str, rows: int) -> None:
    from bench.thread_network_pages import _with_pg_database, p95

    result = asyncio.run(_with_pg_database(postgres, rows, 100, 50))
    first, deep = statistics.median(result.first_ms), statistics.median(result.deep_ms)
    within = abs(result.ratio - 1) <= 0.2
    bench.rows.append(
        Row(
            f"Thread networks: first page, {rows:,} rows (PostgreSQL, in process)",
            "localexa",
            f"{first:.2f} ms",
            f"{first:.2f}",
            f"p95 {p95(result.first_ms):.2f}",
            load=load1(),
        )
    )
    bench.rows.append(
        Row(
            f"Thread networks: page after row {result.deep_offset:,}",
            "localexa",
            f"{deep:.2f} ms",
            f"{deep:.2f}",
            f"p95 {p95(result.deep_ms):.2f}",
            target="within 20% of the first",
            verdict=f"{'met' if within else 'missed'} ({result.ratio:.2f}×; "
            f"OFFSET SQL {result.offset_sql_ms:.1f} ms)",
            load=load1(),
        )
    )


def print_table(bench: Bench, header: list[str]) -> None:
    print("\n".join(header))
    print()
    print("| measurement | server | result | p50 ms | p99 ms | target | verdict | load1 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in bench.rows:
        print(
            f"| {r.what} | {r.server} | {r.value} | {r.p50} | {r.p99} | {r.target} | {r.verdict} | {r.load} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured row (plus 1 s warm-up)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="localexa's database (default: SQLite)")
    parser.add_argument(
        "--redis-url", default=None, help="localexa's Redis (shared rate limits and token epoch)"
    )
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pages-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-servers", action="store_true")
    args = parser.parse_args()

    bench = Bench(args.seconds, args.connections)
    started = time.perf_counter()
    before = os.getloadavg()
    started_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="localexa-bench-") as tmp:
        root = Path(tmp)
        fresh, again = cold_starts(root)
        for label, times in (("new data dir", fresh), ("restart", again)):
            median = statistics.median(times)
            bench.rows.append(
                Row(
                    f"cold start to healthy ({label}; median of {len(times)})",
                    "localexa",
                    f"{median:.2f} s",
                    target=f"< {TARGET_START_S:g} s",
                    verdict="met" if median < TARGET_START_S else "missed",
                    load=load1(),
                )
            )
        if not args.skip_servers:
            bench_servers(bench, root, args.database_url, args.redis_url)
    if not args.skip_pages:
        pages(bench, args.postgres, args.pages_rows)
    after = os.getloadavg()
    header = [
        f"localexa bench, started {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"database {'PostgreSQL' if args.database_url else 'SQLite'} for the servers"
        + (", with Redis" if args.redis_url else ""),
        f"load generator: {bench.tool or 'n/a'}, 1 thread, {args.connections} connections, "
        f"{args.seconds:g} s per row after a 1 s warm-up",
        f"load average (1/5/15 min) before: {before[0]:.1f}/{before[1]:.1f}/{before[2]:.1f}, "
        f"after: {after[0]:.1f}/{after[1]:.1f}/{after[2]:.1f}; "
        f"run took {time.perf_counter() - started:.0f} s",
    ]
    print_table(bench, header)


if __name__ == "__main__":
    main()
