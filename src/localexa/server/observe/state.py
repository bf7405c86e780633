"""The whole state at once: reset it, snapshot it to a JSON document, restore it from one.

- Reset empties every table of `db.models.metadata` (children before parents), so the clock
  offset (its row) goes back to 0; it also drops queued journal entries and every cache. The
  admin key and the server secret live in settings and the data directory, so they stay.
- A snapshot holds every table's rows except the journal (it records traffic, not state, and
  would make the document too large to restore). Sealed columns stay sealed and hashes stay
  keyed, so a snapshot restores only into a server with the same secret key: the document
  carries a fingerprint of the key and restore refuses another.
- Restore replaces every table but the journal in one transaction: it either all lands or
  nothing changes. It refuses (400) a document of another schema revision and any value that
  does not have its column's type, before anything is written.
- Reset and restore run while other calls write: on PostgreSQL their transaction first locks
  every state table (`_rewrite_state`), so each call is wholly before or wholly after them.
- A run under way in a restored snapshot is due again at once (`_leases_ended`).
- Reset and restore stop the after-link follow-ups of the state they replace: in this process
  through its reset hooks (`on_reset`), in the others sharing a PostgreSQL database through the
  state's generation, which the rewrite moves (observe/generation.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.core.clock import as_utc, iso, offset_problem
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, ServiceUnavailable
from localexa.server.db.migrate import known_revisions
from localexa.server.db.models import metadata
from localexa.server.evaluation.models import IN_PROGRESS
from localexa.server.evaluation.worker import wall_now, worker_of
from localexa.server.observe.generation import next_generation
from localexa.server.observe.schemas import FaultIn

SNAPSHOT_FORMAT = "localexa.snapshot"
SNAPSHOT_VERSION = 1
#: Tables reset leaves alone: a reset must not bring a signed-out console cookie back to life, and
#: it moves the journal's cutoff rather than deleting it (observe/journal.py).
KEPT_BY_RESET = frozenset({"console_sign_outs", "journal_cutoff"})
#: Tables a snapshot leaves out and restore leaves alone.
NOT_STATE = frozenset({"journal_entries"}) | KEPT_BY_RESET

#: Run after reset and restore, for caches other areas keep (register with `on_reset`).
ResetHook = Callable[[FastAPI], Awaitable[None]]


def on_reset(app: FastAPI, hook: ResetHook) -> None:
    app.state.reset_hooks.append(hook)


async def _after_change(app: FastAPI) -> None:
    await app.state.clock.refresh(app.state.engine, force=True)
    app.state.faults.invalidate()
    app.state.journal.forget_lookups()
    worker = worker_of(app)
    if worker is not None:
        worker.wake()  # a restored run under way is due at once
    for hook in app.state.reset_hooks:
        await hook(app)


#: PostgreSQL's answers to a lock wait that must be given up: `lock_not_available` (our
#: `lock_timeout`) and `deadlock_detected`. Either rolls the rewrite back whole; it is tried again.
_LOCK_GIVEN_UP = frozenset({"55P03", "40P01"})
#: A rewrite waits this long for the tables at first, then lets the waiting calls through and
#: tries again, waiting twice as long each time (up to `_LOCK_TIMEOUT_MAX_MS`): a call that read
#: one table and then wants another the rewrite holds would otherwise deadlock with it, and a
#: deadlock through HTTP (a call waiting for a skill that calls localexa back) no database sees.
_LOCK_TIMEOUT_MS = 200
_LOCK_TIMEOUT_MAX_MS = 5000
#: How long a rewrite may wait for the tables in all before it answers 503.
_LOCK_PATIENCE_MS = 60_000

Rewrite = Callable[[AsyncConnection], Awaitable[None]]


def _lock_given_up(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _LOCK_GIVEN_UP


async def _rewrite_state(engine: AsyncEngine, rewrite: Rewrite) -> None:
    """Run `rewrite` (reset's deletes, restore's deletes and inserts) in one transaction that no
    other transaction on the state's tables overlaps, so every call is wholly before or after it.

    On PostgreSQL, rows committed by other calls while the deletes ran made the rewrite fail:
    a skill committed between `DELETE FROM skills` and `DELETE FROM lwa_clients` broke the
    foreign key of its messaging client (a reset answered 404, a valid restore 400); a token
    committed between the deletes of its table and its customer's survived the reset. So the
    rewrite first takes every state table in ACCESS EXCLUSIVE mode: it waits for the
    transactions under way and holds new ones until it commits. On SQLite every write
    transaction holds the file's write lock (db/engine.py), which serializes them already.

    On PostgreSQL the rewrite also moves the state's generation (observe/generation.py), so the
    follow-ups other processes run for the state it replaces stop and leave nothing behind."""
    tables = _state_tables()
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            await rewrite(conn)
        return
    names = ", ".join(engine.dialect.identifier_preparer.format_table(t) for t in tables)
    timeout_ms, waited_ms = _LOCK_TIMEOUT_MS, 0
    while waited_ms < _LOCK_PATIENCE_MS:
        try:
            async with engine.begin() as conn:
                await conn.execute(text(f"SET LOCAL lock_timeout = {int(timeout_ms)}"))
                await conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
                await conn.execute(text("SET LOCAL lock_timeout = 0"))
                await next_generation(conn)
                await rewrite(conn)
            return
        except DBAPIError as exc:
            if not _lock_given_up(exc):
                raise
        waited_ms += timeout_ms
        timeout_ms = min(timeout_ms * 2, _LOCK_TIMEOUT_MAX_MS)
        await asyncio.sleep(0.01)  # the calls queued behind the locks go first
    raise ServiceUnavailable("Other calls kept the state's tables busy; nothing was changed. Retry.")


async def _delete_state(conn: AsyncConnection) -> None:
    for table in reversed(_state_tables()):
        await conn.execute(delete(table))


async def reset(app: FastAPI) -> None:
    engine = app.state.engine
    #: The journal's cutoff: calls answered before it, through any process, leave the journal.
    cutoff: list[float] = []

    async def delete_and_cut(conn: AsyncConnection) -> None:
        # Taken once the tables are held (the locks on PostgreSQL, the write lock on SQLite), not
        # when the reset began: calls answered while it waited for them (a reset on PostgreSQL lets
        # the calls queued behind its locks through between tries) wrote rows it then deleted, and
        # their entries stayed in the journal. Calls answered after this wait for the reset.
        cutoff[:] = [time.time()]
        await _delete_state(conn)

    async with app.state.journal.paused():
        app.state.journal.discard_queued()
        await _rewrite_state(engine, delete_and_cut)
        await app.state.journal.delete_all(not_before=cutoff[0])
    await _after_change(app)


def key_fingerprint(box: SecretBox) -> str:
    """Tells whether two servers share a secret key, without revealing it."""
    return box.hash_token("localexa:snapshot-key")[:16]


def _state_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in NOT_STATE]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


#: The ranges of PostgreSQL's `integer` and `bigint` (SQLite stored any size, or raised a 500).
_INTEGER_RANGE = (-(2**31), 2**31 - 1)
_BIG_INTEGER_RANGE = (-(2**63), 2**63 - 1)


class _Unfit(ValueError):
    """Why a value does not fit its column, in words that never quote the value."""


def _decode(table: Table, column: str, value: Any) -> Any:
    """The column's value from its JSON form; `_Unfit` (or ValueError) when it has another type.

    Checked here, not left to the database: SQLite stores a number in a text column, a string in
    an integer one or a name longer than its column, and every later read of the row failed or
    misbehaved (a restore must refuse what the admin API could never have written)."""
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise _Unfit("must be an ISO-8601 date-time string")
        try:
            # In UTC, as stored: 9999-12-31T23:59:59-05:00 is past the last date Python reads.
            return as_utc(datetime.fromisoformat(value)).astimezone(UTC)
        except OverflowError:
            raise _Unfit("is out of range") from None
    if isinstance(kind, Date):
        if not isinstance(value, str):
            raise _Unfit("must be an ISO-8601 date string")
        return date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        if not isinstance(value, str):
            raise _Unfit("must be a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _Unfit("must be a base64 string") from None
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise _Unfit("must be true or false")
        return value
    if isinstance(kind, Integer):
        low, high = _BIG_INTEGER_RANGE if isinstance(kind, BigInteger) else _INTEGER_RANGE
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _Unfit(f"must be a whole number from {low} to {high}")
        return value
    if isinstance(kind, Float):
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise _Unfit("must be a finite number")
        return value
    if isinstance(kind, String):  # Text too
        if not isinstance(value, str):
            raise _Unfit("must be a string")
        if kind.length is not None and len(value) > kind.length:
            raise _Unfit(f"must be at most {kind.length} characters")
        return value
    return value  # JSON: any JSON value (the engine's serializer refuses non-finite numbers)


async def _revision(conn: AsyncConnection) -> str | None:
    try:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except SQLAlchemyError:
        return None


async def snapshot(app: FastAPI) -> dict[str, Any]:
    engine = app.state.engine
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # One consistent view of every table.
            await conn.execution_options(isolation_level="REPEATABLE READ")
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in _state_tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = await conn.execute(select(table).order_by(*order))
            tables[table.name] = [{k: _encode(v) for k, v in row._mapping.items()} for row in rows]
        revision = await _revision(conn)
    return {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "schemaRevision": revision,
        "keyFingerprint": key_fingerprint(app.state.box),
        "createdAt": iso(app.state.clock.now()),
        "tables": tables,
    }


def _validated_rows(document: Any, box: SecretBox) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise BadRequest(f"The body is not a localexa snapshot (format {SNAPSHOT_FORMAT}).")
    if document.get("version") != SNAPSHOT_VERSION:
        raise BadRequest(f"Only snapshot version {SNAPSHOT_VERSION} can be restored.")
    if document.get("keyFingerprint") != key_fingerprint(box):
        raise BadRequest(
            "The snapshot was taken by a server with another secret key; its sealed values and "
            "token hashes would not open here. Restore it into a server with the same secret key."
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise BadRequest("tables: must be an object of table name to rows.")
    known = {t.name: t for t in _state_tables()}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise BadRequest(f"tables: unknown tables {', '.join(unknown)}.")
    validated: dict[str, list[dict[str, Any]]] = {}
    for name, rows in tables.items():
        table = known[name]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadRequest(f"tables.{name}: must be a list of row objects.")
        validated[name] = [_decoded_row(table, index, row) for index, row in enumerate(rows)]
        check = _ROW_CHECKS.get(name)
        for index, row in enumerate(validated[name]):
            problem = check(row) if check is not None else None
            if problem is not None:
                raise BadRequest(f"tables.{name}[{index}]: {problem}.")
    return validated


def _decoded_row(table: Table, index: int, row: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for column, value in row.items():
        if column not in table.c:
            raise BadRequest(f"tables.{table.name}: unknown column {column}.")
        try:
            decoded[column] = _decode(table, column, value)
        except (TypeError, ValueError) as exc:
            # The reason only, never the value: it may be a hash or a sealed secret.
            reason = str(exc) if isinstance(exc, _Unfit) else "does not fit the column"
            raise BadRequest(f"tables.{table.name}[{index}].{column}: {reason}.") from exc
    return decoded


def _clock_row(row: dict[str, Any]) -> str | None:
    return offset_problem(row.get("offset_seconds", 0.0))


def _fault_row(row: dict[str, Any]) -> str | None:
    """The limits `POST /_localexa/faults` holds a fault to (a status of 200 or 1000 broke calls)."""
    try:
        FaultIn.model_validate({k: v for k, v in row.items() if k in FaultIn.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc']) or 'row'}: {first['msg']}"
    for counter in ("remaining", "matched", "fired"):
        value = row.get(counter)
        if value is not None and (not isinstance(value, int) or value < 0):
            return f"{counter} must be a whole number of 0 or more"
    return None


#: Rows restore checks the way the admin API checks what makes them (a clock far past the year
#: 9999 made every later call a 500, health and reset included, until the database was deleted).
_ROW_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "clock_state": _clock_row,
    "faults": _fault_row,
}


async def _advance_sequences(conn: AsyncConnection, tables: list[Table]) -> None:
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


async def restore(app: FastAPI, document: Any) -> dict[str, int]:
    rows_by_table = _validated_rows(document, app.state.box)
    tables = _state_tables()
    engine = app.state.engine

    async def replace(conn: AsyncConnection) -> None:
        # A snapshot of this revision or an older one this version's migrations know restores (its
        # tables and columns were checked against today's; a column added since takes its default,
        # so snapshots kept as test fixtures survive an upgrade). One of a revision this version
        # does not know (a newer localexa's) could hold rows it would misread: refused.
        revision = await _revision(conn)
        taken = document.get("schemaRevision")
        if taken != revision and taken not in known_revisions():
            raise BadRequest(
                f"The snapshot was taken at schema revision {str(taken)[:64]}, which this localexa "
                f"does not know (its database is at {revision}). Restore it into a server of the "
                "localexa version that took it, or a newer one."
            )
        await _delete_state(conn)
        for table in tables:
            rows = rows_by_table.get(table.name)
            if rows:
                if table.name == "capability_evaluations":
                    rows = _leases_ended(rows)
                await conn.execute(insert(table), rows)
        if engine.dialect.name == "postgresql":
            await _advance_sequences(conn, tables)

    try:
        await _rewrite_state(engine, replace)
    except SQLAlchemyError as exc:
        # Only the kind of failure: the values themselves may be hashes or sealed secrets.
        reason = type(getattr(exc, "orig", None) or exc).__name__
        raise BadRequest(f"The snapshot does not fit this server's tables ({reason}).") from exc
    await _after_change(app)
    return {table.name: len(rows_by_table.get(table.name, [])) for table in tables}
