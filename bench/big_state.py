"""Latency of every route on a server holding little state vs a server holding a lot.

    .venv/bin/python -m bench.big_state [--scale 1.0] [--repeat 15] [--port 26310]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/big]   # a throw-away database

A shared staging server that many teams' CI used for months holds 50,000 customers, 5,000 skills,
100,000 enablements, 500,000 LWA tokens, 100,000 Thread networks, 200,000 skill messages, 5,000
evaluations and 200,000 journal entries (`--scale` multiplies them). The script starts `localexa
serve` on a new database, makes one developer's world through the APIs (bench/servers.py
`seed_world`), times every route (median of `--repeat` sequential calls), stops the server,
inserts the rows in bulk (bench/big_state_rows.py), starts the server again (the start is timed)
and times every route again; then the heavy admin calls once each (snapshot, restore, deletes,
reset). One markdown table: route, small-state ms, large-state ms, ratio. A route whose ratio is
far above 1 does work proportional to the state.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import servers
from bench.big_state_rows import Counts, Filler
from localexa.server.core.crypto import SecretBox
from localexa.server.db.engine import create_engine
from localexa.server.observe.journal_store import journal_file

ADMIN = {"X-Localexa-Admin-Key": servers.ADMIN_KEY}


@dataclass(frozen=True)
class Probe:
    """One route to time: a name for the table and the call (GET unless `method`)."""

    name: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    data: dict[str, str] | None = None


def probes(world: servers.LocalexaWorld, user_id: str) -> list[Probe]:
    dev = {"Authorization": f"Bearer {world.developer_token}"}
    locker = {"Authorization": f"Bearer {world.locker_token}"}
    skill = world.skill_id
    evaluations = f"/v1/skills/{skill}/smartHome/testing/capabilityEvaluations?stage=development"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": world.refresh_token,
        "client_id": world.client_id,
        "client_secret": world.client_secret,
    }
    admin = [
        "customers",
        f"customers/{user_id}",
        "vendors",
        "lwa-clients",
        "skills",
        f"skills/{skill}",
        "journal",
        f"journal?customer={user_id}",
        "journal?status=418",
        "faults",
        "clock",
        f"customers/{user_id}/skills/{skill}/messages",
        f"customers/{user_id}/skills/{skill}/endpoints",
    ]
    console = ["", "/customers", "/vendors", "/skills", "/lwa-clients", "/enablements"]
    console += ["/thread-networks", "/evaluations", "/journal", "/faults", "/clock"]
    return [
        Probe("health", "/_localexa/health", {}),
        Probe("ready", "/_localexa/ready", {}),
        Probe("metrics", "/metrics", {}),
        Probe("POST /auth/o2/token (refresh)", "/auth/o2/token", {}, "POST", refresh),
        Probe("tokeninfo", f"/auth/o2/tokeninfo?access_token={world.developer_token}", {}),
        Probe("user/profile", "/user/profile", dev),
        Probe("SMAPI enablement GET", f"/v1/skills/{skill}/stages/development/enablement", dev),
        Probe("skill credentials GET", f"/v1/skills/{skill}/credentials", dev),
        Probe("evaluations GET", evaluations, dev),
        Probe(
            "Thread networks GET",
            f"/credentiallocker/v2/threadNetworks?extendedPanId={world.extended_pan_id}",
            locker,
        ),
        *(Probe(f"admin GET {_shown(p, user_id, skill)}", f"/_localexa/{p}", ADMIN) for p in admin),
        *(Probe(f"console {p or '/'}", f"/console{p}", {}) for p in console),
    ]


def _shown(path: str, user_id: str, skill_id: str) -> str:
    """`customers/{user}/skills/{skill}/messages`, `journal?customer`: the path without its ids and
    values, so the tables of two runs line up."""
    path, _, query = path.partition("?")
    path = path.replace(user_id, "{user}").replace(skill_id, "{skill}")
    return f"{path}?{query.split('=')[0]}" if query else path


def sign_in(http: httpx.Client) -> None:
    page = http.get("/console/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    form = {"admin_key": servers.ADMIN_KEY, "csrf_token": found.group(1), "next": "/console"}
    answer = http.post("/console/login", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 303, answer.text[:500]


def time_probes(base_url: str, items: list[Probe], repeat: int) -> dict[str, tuple[float, int, int]]:
    """Probe name → (median ms, status, body bytes)."""
    out: dict[str, tuple[float, int, int]] = {}
    with httpx.Client(base_url=base_url, timeout=600) as http:
        sign_in(http)
        for probe in items:
            times = []
            status = size = 0
            for _ in range(repeat):
                started = time.perf_counter()
                answer = http.request(probe.method, probe.path, headers=probe.headers, data=probe.data)
                times.append((time.perf_counter() - started) * 1000)
                status, size = answer.status_code, len(answer.content)
            out[probe.name] = (statistics.median(times), status, size)
    return out


def once(
    http: httpx.Client, name: str, call: Callable[[], httpx.Response], results: list[str]
) -> httpx.Response:
    started = time.perf_counter()
    answer = call()
    ms = (time.perf_counter() - started) * 1000
    results.append(f"| {name} | {answer.status_code} | {ms:,.0f} | {len(answer.content):,} |")
    return answer


def heavy_calls(base_url: str, scale: float, child: servers.Child) -> list[str]:
    """Snapshot, restore, deletes and reset, once each, with the server's resident memory."""
    rows = ["| call | status | ms | body bytes |", "|---|---|---|---|"]
    counts = Counts.scaled(scale)
    with httpx.Client(base_url=base_url, timeout=1200, headers=ADMIN) as http:
        # A customer with no vendor (vendors are owned by the first customers), and a skill.
        victim = f"amzn1.account.big{counts.customers - 1:07d}"
        once(http, "DELETE customer (filled)", lambda: http.delete(f"/_localexa/customers/{victim}"), rows)
        skill = f"amzn1.ask.skill.big-{counts.skills - 1:06d}"
        once(http, "DELETE skill (filled)", lambda: http.delete(f"/_localexa/skills/{skill}"), rows)
        before = child.rss_kb()
        snap = once(http, "POST snapshot", lambda: http.post("/_localexa/snapshot"), rows)
        rows.append(f"| (resident memory) | | {before // 1024} → {child.rss_kb() // 1024} MB | |")
        if snap is not None and snap.status_code == 200:
            body = snap.content
            restore = lambda: http.post(  # noqa: E731
                "/_localexa/restore", content=body, headers={"Content-Type": "application/json"}
            )
            once(http, "POST restore (that snapshot)", restore, rows)
            rows.append(f"| (resident memory) | | {child.rss_kb() // 1024} MB | |")
        once(http, "POST reset", lambda: http.post("/_localexa/reset"), rows)
    return rows


async def fill(database_url: str, scale: float) -> dict[str, int]:
    engine = create_engine(database_url)
    own_file = journal_file(database_url)
    journal = create_engine(f"sqlite+aiosqlite:///{own_file}") if own_file else engine
    try:
        box = SecretBox(servers.SECRET_KEY.encode())
        return await Filler(engine, journal, box, Counts.scaled(scale)).fill()
    finally:
        await engine.dispose()
        await journal.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--port", type=int, default=26310)
    parser.add_argument("--database-url", default=None, help="a throw-away PostgreSQL database (emptied)")
    parser.add_argument("--journal-retention", type=int, default=None, help="LOCALEXA_JOURNAL_RETENTION")
    parser.add_argument("--skip-heavy", action="store_true", help="no snapshot, restore, deletes or reset")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a new temporary folder")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="big-state-"))
    url = args.database_url or f"sqlite+aiosqlite:///{data_dir / 'localexa.db'}"

    def start() -> servers.Child:
        child = servers.localexa(data_dir, database_url=args.database_url, port=args.port)
        child.env["LOCALEXA_EU_PORT"] = str(args.port + 1)
        child.env["LOCALEXA_FE_PORT"] = str(args.port + 2)
        if args.journal_retention is not None:
            child.env["LOCALEXA_JOURNAL_RETENTION"] = str(args.journal_retention)
        return child.start(timeout=600)

    base = f"http://127.0.0.1:{args.port}"
    child = start()
    print(f"started on a new database in {child.started_in:.2f} s", file=sys.stderr)
    world = servers.seed_localexa(base)
    user_id = httpx.get(f"{base}/_localexa/customers", headers=ADMIN).json()[0]["userId"]
    items = probes(world, user_id)
    small = time_probes(base, items, args.repeat)
    child.stop()
    started = time.perf_counter()
    inserted = asyncio.run(fill(url, args.scale))
    print(f"filled in {time.perf_counter() - started:.0f} s: {inserted}", file=sys.stderr)
    child = start()
    try:
        print(f"restarted on the filled database in {child.started_in:.2f} s", file=sys.stderr)
        large = time_probes(base, items, args.repeat)
        print(f"\nstart on the filled database: {child.started_in:.2f} s; rows: {inserted}\n")
        print("| route | small ms | large ms | ratio | large status | large bytes |")
        print("|---|---|---|---|---|---|")
        for probe in items:
            (s, _, _), (big, status, size) = small[probe.name], large[probe.name]
            print(f"| {probe.name} | {s:.1f} | {big:.1f} | {big / s:.1f} | {status} | {size:,} |")
        print(flush=True)
        if not args.skip_heavy:
            print("\n".join(heavy_calls(base, args.scale, child)))
    finally:
        child.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
