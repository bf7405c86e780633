"""Latency of the first page and of a page deep into 100,000 Thread networks (keyset pagination).

    .venv/bin/python bench/thread_network_pages.py [--networks 100000] [--page-size 100]
        [--repeat 100] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres | --no-postgres]

For SQLite (a fresh file) and PostgreSQL (a throw-away database), it starts the real app, makes a
customer, a skill with the Thread permission and its token through the admin API, bulk-inserts
the networks straight through SQLAlchemy (sealed like the service seals them), walks every page
once through `GET /credentiallocker/v2/threadNetworks` to collect a deep `nextToken`, then times
GETs of the first page and of that deep page alternately (httpx ASGITransport: the whole app, no
socket). Keyset pagination should make them cost the same: the script fails (exit 1) when the
deep page is more than 20% off the first page. The verdict compares lower quartiles (what a
request costs when nothing else competes for the CPU, so a busy machine does not decide it);
medians and p95 are printed too. For contrast it also times the deep page as a plain SQL
`OFFSET` query, which is what keyset pagination avoids.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from localexa.server.app import create_app
from localexa.server.core.crypto import SecretBox
from localexa.server.credential_locker.models import ThreadNetwork, seal_context
from localexa.server.db.engine import create_engine
from localexa.server.settings import Settings

PATH = "/credentiallocker/v2/threadNetworks"
XPAN = "dead00beef00cafe"
ADMIN = {"X-Localexa-Admin-Key": "bench-admin-key"}
TOLERANCE = 0.20


@dataclass
class Result:
    backend: str
    first_ms: list[float]
    deep_ms: list[float]
    deep_offset: int
    offset_sql_ms: float
    keyset_sql_ms: float
    setup_s: float
    walk_s: float

    @property
    def ratio(self) -> float:
        """Deep page over first page, lower quartiles (the verdict)."""
        return p25(self.deep_ms) / p25(self.first_ms)

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.deep_ms) / statistics.median(self.first_ms)


async def _admin(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/_localexa/{path}", json=body, headers=ADMIN)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


async def _setup_caller(client: httpx.AsyncClient) -> tuple[str, str]:
    """A customer and a permitted skill; returns (customer id, the skill's token for them)."""
    tag = secrets.token_hex(4)
    customer = await _admin(
        client, "customers", {"name": "Bench", "email": f"bench-{tag}@example.com", "password": "pw"}
    )
    vendor = await _admin(client, "vendors", {"name": "Bench", "ownerUserId": customer["userId"]})
    skill = await _admin(
        client,
        "skills",
        {
            "vendorId": vendor["vendorId"],
            "name": "Bench",
            "endpoint": "http://127.0.0.1:9/skill",
            "permissions": ["alexa::thread_network_credentials:read"],
        },
    )
    tokens = await _admin(
        client,
        "tokens",
        {
            "clientId": skill["skillMessagingCredentials"]["clientId"],
            "userId": customer["userId"],
            "scopes": ["alexa::async_event:write"],
        },
    )
    return customer["userId"], tokens["access_token"]


async def _bulk_insert(app: Any, user_id: str, count: int) -> None:
    box: SecretBox = app.state.box
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    async with app.state.engine.begin() as conn:
        for n in range(count):
            name = f"net-{n:06d}"
            key = secrets.token_hex(16)
            batch.append(
                {
                    "user_id": user_id,
                    "extended_pan_id": XPAN,
                    "network_name": name,
                    "network_key_sealed": box.seal(
                        key, context=seal_context(user_id, XPAN, name, "networkKey")
                    ),
                    "pskc_sealed": None,
                    "pan_id": "1234",
                    "channel_number": 15,
                    "default_border_agent_id": None,
                    "created_by_skill_id": None,
                    "created_at": now,
                }
            )
            if len(batch) == 5000:
                await conn.execute(insert(ThreadNetwork), batch)
                batch.clear()
        if batch:
            await conn.execute(insert(ThreadNetwork), batch)
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ANALYZE thread_networks"))
        else:
            await conn.execute(text("ANALYZE"))


async def _get(client: httpx.AsyncClient, token: str, **params: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = await client.get(PATH, params=params, headers={"Authorization": f"Bearer {token}"})
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return elapsed, body


async def _sql_ms(app: Any, statement: Any, repeat: int = 20) -> float:
    times: list[float] = []
    async with app.state.sessions() as session:
        for _ in range(repeat):
            started = time.perf_counter()
            (await session.execute(statement)).all()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def run(backend: str, url: str, networks: int, page_size: int, repeat: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            demo=False,
            admin_key="bench-admin-key",
            password_hash_n=1024,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
                started = time.perf_counter()
                user_id, token = await _setup_caller(client)
                await _bulk_insert(app, user_id, networks)
                setup_s = time.perf_counter() - started

                # Walk every page once, keeping the token of a page two pages from the end.
                started = time.perf_counter()
                wanted = max(0, networks - 2 * page_size)
                deep_token: str | None = None
                seen, next_token = 0, None
                while True:
                    params: dict[str, Any] = {"extendedPanId": XPAN, "maxResults": page_size}
                    if next_token:
                        params["nextToken"] = next_token
                    _, body = await _get(client, token, **params)
                    seen += len(body["threadNetworks"])
                    next_token = body.get("nextToken")
                    if seen == wanted:
                        deep_token = next_token
                    if next_token is None:
                        break
                walk_s = time.perf_counter() - started
                assert seen == networks, (seen, networks)
                assert deep_token is not None

                first_params = {"extendedPanId": XPAN, "maxResults": page_size}
                deep_params = {**first_params, "nextToken": deep_token}
                for _ in range(5):  # warm caches and the connection pool
                    await _get(client, token, **first_params)
                    await _get(client, token, **deep_params)
                first_ms: list[float] = []
                deep_ms: list[float] = []
                gc.collect()
                gc.disable()  # a collection inside one request would land on one side only
                try:
                    await _time_pages(
                        client, token, first_params, deep_params, wanted, repeat, first_ms, deep_ms
                    )
                finally:
                    gc.enable()

                base = select(ThreadNetwork).where(
                    ThreadNetwork.user_id == user_id, ThreadNetwork.extended_pan_id == XPAN
                )
                offset_sql = base.order_by(ThreadNetwork.id).offset(wanted).limit(page_size + 1)
                last_id = await _id_at(app, base.order_by(ThreadNetwork.id).offset(wanted - 1))
                keyset_sql = (
                    base.where(ThreadNetwork.id > last_id).order_by(ThreadNetwork.id).limit(page_size + 1)
                )
                return Result(
                    backend=backend,
                    first_ms=first_ms,
                    deep_ms=deep_ms,
                    deep_offset=wanted,
                    offset_sql_ms=await _sql_ms(app, offset_sql),
                    keyset_sql_ms=await _sql_ms(app, keyset_sql),
                    setup_s=setup_s,
                    walk_s=walk_s,
                )


async def _time_pages(
    client: httpx.AsyncClient,
    token: str,
    first_params: dict[str, Any],
    deep_params: dict[str, Any],
    wanted: int,
    repeat: int,
    first_ms: list[float],
    deep_ms: list[float],
) -> None:
    """Alternate first and deep page, so load from elsewhere hits both alike."""
    for _ in range(repeat):
        elapsed, body = await _get(client, token, **first_params)
        assert body["threadNetworks"][0]["networkName"] == "net-000000"
        first_ms.append(elapsed)
        elapsed, body = await _get(client, token, **deep_params)
        assert body["threadNetworks"][0]["networkName"] == f"net-{wanted:06d}"
        deep_ms.append(elapsed)


async def _id_at(app: Any, statement: Any) -> int:
    async with app.state.sessions() as session:
        row = (await session.execute(statement.limit(1))).scalars().first()
        return int(row.id)


async def _with_pg_database(server_url: str, networks: int, page_size: int, repeat: int) -> Result:
    name = f"localexa_bench_{secrets.token_hex(4)}"

    async def admin_sql(sql: str) -> None:
        engine = create_engine(server_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    await admin_sql(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        return await run("PostgreSQL", url, networks, page_size, repeat)
    finally:
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def p25(values: list[float]) -> float:
    return statistics.quantiles(values, n=4)[0]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def _print(results: list[Result], networks: int, page_size: int) -> None:
    print(f"\nGET {PATH} over {networks:,} networks of one customer, maxResults={page_size}")
    print("(ms per request through the whole app, first and deep page alternating; p25/median/p95)\n")
    header = (
        f"{'backend':<11} {'first page p25/med/p95':>24} {'deep page p25/med/p95':>24} "
        f"{'deep/first p25':>14} {'med':>5} {'OFFSET SQL':>10} {'keyset SQL':>10} {'setup':>6} {'walk':>6}"
    )
    print(header)
    print("-" * len(header))

    def trio(xs: list[float]) -> str:
        return f"{p25(xs):.2f}/{statistics.median(xs):.2f}/{p95(xs):.2f}"

    for r in results:
        print(
            f"{r.backend:<11} {trio(r.first_ms):>24} {trio(r.deep_ms):>24} {r.ratio:>14.2f} "
            f"{r.median_ratio:>5.2f} {r.offset_sql_ms:>8.2f}ms {r.keyset_sql_ms:>8.2f}ms "
            f"{r.setup_s:>5.1f}s {r.walk_s:>5.1f}s"
        )
    print(f"\ndeep page = the page after row {results[0].deep_offset:,}; 'walk' = every page fetched once;")
    print("SQL columns: median of that page's query alone, as OFFSET and as keyset")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--networks", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    async def everything() -> list[Result]:
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            results.append(await run("SQLite", sqlite_url, args.networks, args.page_size, args.repeat))
        if not args.no_postgres:
            results.append(await _with_pg_database(args.postgres, args.networks, args.page_size, args.repeat))
        return results

    results = asyncio.run(everything())
    _print(results, args.networks, args.page_size)
    failed = [r.backend for r in results if abs(r.ratio - 1) > TOLERANCE]
    if failed:
        print(f"FAIL: the deep page is more than {TOLERANCE:.0%} off the first page on {', '.join(failed)}")
        return 1
    print(f"OK: the deep page is within {TOLERANCE:.0%} of the first page on every backend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
