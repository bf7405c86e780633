"""A snapshot's rows (observe/state.py): each value in its JSON form and back, and what restore
checks before it writes anything: the document's format and key, every value against its column's
type; the rows the admin API holds to limits and the references the database does not check are
observe/snapshot_row_checks.py's.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, LargeBinary, String, Table

from localexa.server.core.clock import as_utc
from localexa.server.core.crypto import KEYED_HASH
from localexa.server.core.errors import BadRequest
from localexa.server.lwa.models import AuthorizationCode, LwaClient, Token
from localexa.server.observe.snapshot_json import json_column_problem
from localexa.server.observe.snapshot_row_checks import ROW_CHECKS, check_alexa_clients

SNAPSHOT_FORMAT = "localexa.snapshot"
SNAPSHOT_VERSION = 1

#: The document `POST /_localexa/snapshot` answers and `POST /_localexa/restore` takes, for the
#: OpenAPI document: both handlers build or read the JSON themselves (restore parses its body
#: strictly, core/strict_json.py), so FastAPI knew neither shape and a generated client had no
#: body parameter for restore. `validated_rows` below checks what a schema cannot (the key, each
#: value against its column).
SNAPSHOT_DOCUMENT: dict[str, Any] = {
    "title": "Snapshot",
    "type": "object",
    "description": "Every table but the journal, as `POST /_localexa/snapshot` answers it; restored "
    "only into a server with the same secret key and a schema revision it knows.",
    "required": ["format", "version", "schemaRevision", "keyFingerprint", "tables"],
    "properties": {
        "format": {"type": "string", "enum": [SNAPSHOT_FORMAT]},
        "version": {"type": "integer", "enum": [SNAPSHOT_VERSION], "description": "A JSON integer."},
        "schemaRevision": {
            "type": ["string", "null"],
            "description": "The database schema's revision (Alembic) when the snapshot was taken.",
        },
        "keyFingerprint": {
            "type": "string",
            "description": "Tells the server's secret key from another without revealing it.",
        },
        "createdAt": {"type": "string", "description": "ISO-8601, by localexa's clock."},
        "tables": {
            "type": "object",
            "description": "Each table's rows, by table name; each row its columns' JSON values.",
            "additionalProperties": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
            },
        },
    },
}


def encode(value: Any) -> Any:
    """A column's value in its JSON form (the snapshot's)."""
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
#: How many new rows a restored autoincrement id must leave room for below its type's maximum:
#: `thread_networks.id = 2147483647` restored, and on PostgreSQL the sequence was spent (every later
#: Credential Locker PUT a 500), on SQLite the next id was past the range below, so the server's own
#: next snapshot did not restore (until 2026-12-07, review36e F3).
ID_ROOM = 2**20


#: The columns that hold a keyed hash (`SecretBox.hash_token`), as (table, column). The console's
#: `console_sign_outs.session_hash` is not a state table: a snapshot never holds it.
_KEYED_HASH_COLUMNS = frozenset(
    {
        (LwaClient.__tablename__, LwaClient.secret_hash.key),
        (Token.__tablename__, Token.token_hash.key),
        (AuthorizationCode.__tablename__, AuthorizationCode.code_hash.key),
    }
)


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
        room = ""
        if table.autoincrement_column is table.c[column]:
            high -= ID_ROOM
            room = f" (an id leaves room for {ID_ROOM} new rows after it)"
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _Unfit(f"must be a whole number from {low} to {high}{room}")
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
        if (table.name, column) in _KEYED_HASH_COLUMNS and not KEYED_HASH.fullmatch(value):
            # What the server writes, and nothing else: a non-ASCII hash restored and every token
            # request of that client was a 500 (until 2026-12-07, fuzz37 F2); another one is a
            # hash no token or secret has.
            raise _Unfit("must be a keyed hash as localexa writes it, 64 lower-case hex digits")
        return value
    # JSON (the engine's serializer refuses non-finite numbers): the model's shape, a bounded depth.
    problem = json_column_problem(table, column, value)
    if problem is not None:
        raise _Unfit(problem)
    return value


def validated_rows(
    document: Any, fingerprint: str, state_tables: list[Table]
) -> dict[str, list[dict[str, Any]]]:
    """The snapshot's rows by table, each value decoded to its column's type; BadRequest naming
    the first table, row and column that does not fit (never its value), before anything is
    written."""
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise BadRequest(f"The body is not a localexa snapshot (format {SNAPSHOT_FORMAT}).")
    version = document.get("version")
    # `True == 1` and `1.0 == 1` in Python: a JSON integer only, as every number localexa takes.
    if type(version) is not int or version != SNAPSHOT_VERSION:
        raise BadRequest(f"Only snapshot version {SNAPSHOT_VERSION} can be restored.")
    # A string or null, as the document's schema says: `[]` or `{}` was a 500 at the lookup of
    # known revisions (observe/state.py; until 2026-12-07, fuzz37 F1).
    if not isinstance(document.get("schemaRevision"), str | None):
        raise BadRequest(
            "schemaRevision: must be a string, the schema revision the snapshot was taken at (or null)."
        )
    if document.get("keyFingerprint") != fingerprint:
        raise BadRequest(
            "The snapshot was taken by a server with another secret key; its sealed values and "
            "token hashes would not open here. Restore it into a server with the same secret key."
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise BadRequest("tables: must be an object of table name to rows.")
    known = {t.name: t for t in state_tables}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise BadRequest(f"tables: unknown tables {', '.join(unknown)}.")
    validated: dict[str, list[dict[str, Any]]] = {}
    for name, rows in tables.items():
        table = known[name]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadRequest(f"tables.{name}: must be a list of row objects.")
        validated[name] = [_decoded_row(table, index, row) for index, row in enumerate(rows)]
        check = ROW_CHECKS.get(name)
        for index, row in enumerate(validated[name]):
            problem = check(row) if check is not None else None
            if problem is not None:
                raise BadRequest(f"tables.{name}[{index}]: {problem}.")
            _check_not_null(table, index, row)
    check_alexa_clients(validated)
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


def _check_not_null(table: Table, index: int, row: dict[str, Any]) -> None:
    """A null only where the column takes one (after the row's own check, whose words are more
    precise where it has any). The database does not refuse them all: SQLAlchemy writes `None` to a
    JSON column as the JSON text `null`, so `lwa_clients.redirect_uris: null` or `skills.stages:
    null` restored and every later read of the row was a 500 (until 2026-12-07, fuzz37 F2); in
    another column it was the insert's IntegrityError, which named no column."""
    for column, value in row.items():
        if value is None and not table.c[column].nullable:
            raise BadRequest(f"tables.{table.name}[{index}].{column}: must not be null.")
