"""The whole state at once: reset it, snapshot it to a JSON document, restore it from one.

- Reset empties every table of `db.models.metadata` (children before parents), so the clock
  offset (its row) goes back to 0; it also drops queued journal entries and every cache. The
  admin key and the server secret live in settings and the data directory, so they stay.
- A snapshot holds every table's rows except the journal (it records traffic, not state, and
  would make the document too large to restore). Sealed columns stay sealed and hashes stay
  keyed, so a snapshot restores only into a server with the same secret key: the document
  carries a fingerprint of the key and restore refuses another.
- Restore replaces every table but the journal in one transaction: it either all lands or
  nothing changes.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import Date, DateTime, Integer, LargeBinary, Table, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.core.clock import as_utc, iso, offset_problem
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest
from localexa.server.db.models import metadata
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
    for hook in app.state.reset_hooks:
        await hook(app)


async def reset(app: FastAPI) -> None:
    engine = app.state.engine
    began = time.time()  # calls answered before this, through any process, leave the journal
    async with app.state.journal.paused():
        app.state.journal.discard_queued()
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name not in KEPT_BY_RESET:
                    await conn.execute(delete(table))
        await app.state.journal.delete_all(not_before=began)
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


def _decode(table: Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        return as_utc(datetime.fromisoformat(str(value)))
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, LargeBinary):
        return base64.b64decode(str(value))
    return value


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
        try:
            validated[name] = [{k: _decode(table, k, v) for k, v in row.items()} for row in rows]
        except KeyError as exc:
            raise BadRequest(f"tables.{name}: unknown column {exc.args[0]}.") from exc
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"tables.{name}: a value does not fit its column.") from exc
        check = _ROW_CHECKS.get(name)
        for index, row in enumerate(validated[name]):
            problem = check(row) if check is not None else None
            if problem is not None:
                raise BadRequest(f"tables.{name}[{index}]: {problem}.")
    return validated


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


async def restore(app: FastAPI, document: Any) -> dict[str, int]:
    rows_by_table = _validated_rows(document, app.state.box)
    tables = _state_tables()
    engine = app.state.engine
    try:
        async with engine.begin() as conn:
            for table in reversed(tables):
                await conn.execute(delete(table))
            for table in tables:
                rows = rows_by_table.get(table.name)
                if rows:
                    await conn.execute(insert(table), rows)
            if engine.dialect.name == "postgresql":
                await _advance_sequences(conn, tables)
    except SQLAlchemyError as exc:
        # Only the kind of failure: the values themselves may be hashes or sealed secrets.
        reason = type(getattr(exc, "orig", None) or exc).__name__
        raise BadRequest(f"The snapshot does not fit this server's tables ({reason}).") from exc
    await _after_change(app)
    return {table.name: len(rows_by_table.get(table.name, [])) for table in tables}
