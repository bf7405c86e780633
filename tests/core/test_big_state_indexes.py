"""A server holding a lot of state (a staging server many teams' CI used for months) reads what a
call needs, not whole tables: the plans of the console's pages and of the admin listings, and the
indexes the deletes' cascades go through (migration 0013, bench/big_state.py's measurements).

On SQLite, which plans by the schema alone: the plan is what the rows will get. The tables here
are empty; what is asserted is the plan, never a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from localexa.server.console import queries
from localexa.server.console.pages import TABLE_PAGES
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import upgrade_to_head
from tests.conftest import ADMIN_KEY

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@contextmanager
def captured(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs the app's engine runs meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


async def plan_of(app: FastAPI, statement: str, parameters: Any) -> str:
    async with app.state.engine.connect() as conn:
        rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return " | ".join(str(row[-1]) for row in rows)


@SQLITE_ONLY
@pytest.mark.parametrize("page", [pytest.param(p, id=p.slug) for p in TABLE_PAGES])
async def test_a_console_page_reads_the_newest_rows_by_an_index(app: FastAPI, page: Any) -> None:
    """Every page sorted its whole table to show 200 rows (100,000 Thread networks: ~200 ms a
    page, growing with the table); the newest rows now come in order from an index."""
    with captured(app) as seen:
        await queries.grid(app.state.engine, page.title, page.candidates, columns=page.columns)
    (statement, parameters) = next((s, p) for s, p in seen if "ORDER BY" in s)
    plan = await plan_of(app, statement, parameters)
    assert "TEMP B-TREE" not in plan, plan
    assert "_created_at" in plan, plan


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("listing", "table"),
    [
        ("customers", "customers"),
        ("vendors", "vendors"),
        ("lwa-clients", "lwa_clients"),
        ("skills", "skills"),
    ],
)
async def test_an_admin_listing_reads_its_rows_in_order_by_an_index(
    app: FastAPI, client: httpx.AsyncClient, listing: str, table: str
) -> None:
    with captured(app) as seen:
        answer = await client.get(f"/_localexa/{listing}", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
    assert answer.status_code == 200
    ordered = [(s, p) for s, p in seen if "ORDER BY" in s and f"FROM {table}" in s]
    assert ordered, seen
    for statement, parameters in ordered:
        plan = await plan_of(app, statement, parameters)
        assert "TEMP B-TREE" not in plan, plan


def _leading_columns(database: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    """The columns each index of `table` (its primary key's too) starts with, every prefix."""
    prefixes: set[tuple[str, ...]] = set()
    for index in database.execute(f"PRAGMA index_list('{table}')").fetchall():
        columns = [row[2] for row in database.execute(f"PRAGMA index_info('{index[1]}')").fetchall()]
        prefixes |= {tuple(columns[:n]) for n in range(1, len(columns) + 1)}
    return prefixes


async def test_every_foreign_key_leads_an_index(tmp_path: Path) -> None:
    """A delete's ON DELETE CASCADE (and each referring row's check) finds the rows that refer to
    the deleted one by the referring columns: without an index leading with them it read the
    whole table, once per deleted row (a skill's delete read 500,000 tokens once per client)."""
    path = tmp_path / "schema.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    missing = []
    with sqlite3.connect(path) as database:
        tables = [r[0] for r in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            keys: dict[int, list[str]] = {}
            for row in database.execute(f"PRAGMA foreign_key_list('{table}')").fetchall():
                keys.setdefault(row[0], []).append(row[3])
            indexed = _leading_columns(database, table)
            missing += [f"{table}({', '.join(cols)})" for cols in keys.values() if tuple(cols) not in indexed]
    database.close()
    assert missing == []


@SQLITE_ONLY
async def test_a_deep_page_of_a_listing_starts_at_its_place_in_the_index(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """`?after=` seeks to the row in the index (a range), not a scan from the first row."""
    headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
    made = await client.post(
        "/_localexa/customers",
        json={"name": "A", "email": "a@example.com", "password": "pw", "region": "NA"},
        headers=headers,
    )
    with captured(app) as seen:
        answer = await client.get(
            f"/_localexa/customers?limit=2&after={made.json()['userId']}", headers=headers
        )
    assert answer.status_code == 200, answer.text
    (statement, parameters) = next((s, p) for s, p in seen if "ORDER BY" in s and "FROM customers" in s)
    plan = await plan_of(app, statement, parameters)
    assert "SEARCH customers USING INDEX ix_customers_created_at" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
