"""What a reset costs on SQLite, and what it leaves of the file (soak review F6).

Two numbers: the mean time of `POST /_localexa/reset`'s work (observe/state.py `reset`) over 200
resets of a small state (a customer, a client, two token pairs: a test's per-test reset), and the
file's size and the reset's time for a state grown to ~50 MB of LWA tokens.

    PYTHONPATH=src .venv/bin/python bench/sqlite_reset_size.py [--rows 60000] [--resets 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import insert

from localexa.server.app import create_app
from localexa.server.lwa.models import Customer, LwaClient, Token
from localexa.server.observe.state import reset
from localexa.server.settings import Settings


def _size(path: Path) -> str:
    wal = path.with_name(path.name + "-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    return f"file {path.stat().st_size / 1e6:.2f} MB, -wal {wal_size / 1e6:.2f} MB"


async def _fill(app: FastAPI, tokens: int) -> None:
    now = datetime.now(UTC)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(Customer),
            [
                {
                    "id": "amzn1.account.BENCH",
                    "name": "Ada",
                    "email": f"ada-{time.monotonic_ns()}@example.com",
                    "password_hash": "x" * 100,
                    "region": "NA",
                    "created_at": now,
                }
            ],
        )
        await conn.execute(
            insert(LwaClient),
            [
                {
                    "client_id": "bench",
                    "name": "App",
                    "secret_hash": "x" * 64,
                    "redirect_uris": [],
                    "created_at": now,
                }
            ],
        )
        for start in range(0, tokens, 5000):
            rows = [
                {
                    "token_hash": f"{i:064d}",
                    "kind": "access" if i % 2 else "refresh",
                    "client_id": "bench",
                    "user_id": "amzn1.account.BENCH",
                    "scopes": "profile postal_code alexa::ask:skills:readwrite " * 8,
                    "grant_id": f"{i // 2:064d}",
                    "issued_at": now,
                    "expires_at": now if i % 2 else None,
                    "revoked": False,
                    "public_client": False,
                }
                for i in range(start, min(tokens, start + 5000))
            ]
            await conn.execute(insert(Token), rows)


async def main(rows: int, resets: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="reset-bench-"))
    path = folder / "localexa.db"
    settings = Settings(
        data_dir=folder / "data", database_url=f"sqlite+aiosqlite:///{path}", demo=False, password_hash_n=1024
    )
    settings.ensure_data_dir()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar()
        print(f"auto_vacuum={mode} (0 none, 1 full, 2 incremental); new file: {_size(path)}")
        times = []
        for _ in range(resets):
            await _fill(app, 4)
            began = time.perf_counter()
            await reset(app)
            times.append((time.perf_counter() - began) * 1000)
        p95 = sorted(times)[int(0.95 * len(times))]
        print(
            f"small reset x{resets}: mean {statistics.mean(times):.2f} ms, median "
            f"{statistics.median(times):.2f} ms, p95 {p95:.2f} ms; {_size(path)}"
        )
        await _fill(app, rows)
        print(f"grown with {rows} tokens: {_size(path)}")
        began = time.perf_counter()
        await reset(app)
        print(f"reset of the grown state: {(time.perf_counter() - began) * 1000:.0f} ms; {_size(path)}")
    print(f"after the server stopped: {_size(path)}")
    shutil.rmtree(folder)


async def compare(resets: int) -> None:
    """Small resets of two servers in turn, one on a file made as before (auto_vacuum none: WAL
    mode set before the server's first connection) and one on a new file: load on the machine
    slows both alike."""
    apps = {}
    folders = {}
    for name in ("none", "incremental"):
        folder = folders[name] = Path(tempfile.mkdtemp(prefix=f"reset-{name}-"))
        path = folder / "localexa.db"
        if name == "none":
            import sqlite3

            sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
        settings = Settings(
            data_dir=folder / "data",
            database_url=f"sqlite+aiosqlite:///{path}",
            demo=False,
            password_hash_n=1024,
        )
        settings.ensure_data_dir()
        apps[name] = create_app(settings)
    times: dict[str, list[float]] = {name: [] for name in apps}
    async with contextlib.AsyncExitStack() as running:
        for name, app in apps.items():
            await running.enter_async_context(app.router.lifespan_context(app))
            async with app.state.engine.connect() as conn:
                mode = (await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar()
            print(f"{name}: auto_vacuum={mode}")
        for turn in range(resets):
            # Each goes first every other turn: neither gains by its place.
            for name, app in sorted(apps.items(), reverse=bool(turn % 2)):
                await _fill(app, 4)
                began = time.perf_counter()
                await reset(app)
                times[name].append((time.perf_counter() - began) * 1000)
    for name, measured in times.items():
        print(
            f"{name}: small reset x{resets}: mean {statistics.mean(measured):.2f} ms, median "
            f"{statistics.median(measured):.2f} ms"
        )
    for folder in folders.values():
        shutil.rmtree(folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--resets", type=int, default=200)
    parser.add_argument("--compare", action="store_true", help="small resets: a file as before vs a new one")
    arguments = parser.parse_args()
    asyncio.run(compare(arguments.resets) if arguments.compare else main(arguments.rows, arguments.resets))
