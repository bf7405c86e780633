"""How restore writes a snapshot's rows once observe/snapshot_rows.py has checked them
(observe/state.py `restore`): each table's rows in the document's order, what a restored run or
follow-up must not keep, and PostgreSQL's sequences moved past the restored ids.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Integer, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.evaluation.jobs import wall_now
from localexa.server.evaluation.models import IN_PROGRESS


async def insert_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert one table's rows, each with the columns it gives; a column a row leaves out takes
    its default (or null), as README says of a snapshot of an older revision.

    One executemany per run of consecutive rows with the same columns, so rows keep their order
    (rows without ids take theirs in the document's order). A single executemany took its columns
    from the first row: a first row without `pan_id` dropped every later row's `pan_id` (200, data
    lost), and a later row without a column the first had was a 400 (until 2026-12-07, review36e F2)."""
    if table.name == "capability_evaluations":
        rows = _leases_ended(rows)
    elif table.name == "after_link_status":
        rows = _follow_ups_unleased(rows)
    for _, run in groupby(rows, key=lambda row: frozenset(row)):
        await conn.execute(insert(table), list(run))


async def advance_sequences(conn: AsyncConnection, tables: list[Table]) -> None:
    """PostgreSQL: move serial sequences past restored ids, so new rows do not collide."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0]
        highest = (await conn.execute(select(func.max(column)))).scalar()
        if highest is None:
            continue
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
            {"table": table.name, "column": column.name, "value": int(highest)},
        )


def _leases_ended(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs under way when the snapshot was taken, made due again at once.

    A restored lease named the worker that held it then: that worker (if it still ran the run)
    went on writing its later test cases into the restored run, past the ones the snapshot
    lacks; if it had finished, the run waited IN_PROGRESS for the lease to run out (30 s), and
    in another server for a process that never existed. With no owner and an expiry now, every
    write of the old worker finds the lease lost and the next worker to poll resumes the run at
    its first unfinished test case (evaluation/worker.py)."""
    now = wall_now()
    return [_lease_ended(run, now) if run.get("status") == IN_PROGRESS else run for run in runs]


def _lease_ended(run: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One run under way, due again now. The next claim counts one more attempt, but resuming a
    restored run is no interruption of it: its count goes back by the claim the snapshot's worker
    held, so the claim after the restore makes it the snapshot's again (a run restored during its
    third attempt ended in ERROR, "interrupted 3 times", instead of resuming). A run whose lease a
    restore ended already (no owner: a snapshot taken after a restore, before any claim) keeps its
    count, so snapshots and restores in a row do not lower it."""
    attempts = run.get("attempts")
    if run.get("lease_owner") is not None and isinstance(attempts, int) and attempts > 0:
        run = {**run, "attempts": attempts - 1}
    return {**run, "lease_owner": None, "lease_expires_at": now}


def _follow_ups_unleased(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """After-link follow-ups as restored: with no lease. The restoring process starts those under
    way again (after_link_runner.py `on_state_replaced`); the lease a snapshot kept named a run
    that serves another state (its late writes must find the row taken), and had it run out, any
    process sharing the database would have taken the follow-up over at once as well. Without one,
    the others first give it a lease of no one's (directives/after_link_leases.py `arm`)."""
    return [{**row, "lease_owner": None, "lease_expires_at": None} for row in rows]
