"""A snapshot's rows (observe/state.py): each value in its JSON form and back, and what restore
checks before it writes anything: the document's format and key, every value against its column's
type, the rows the admin API holds to limits, and references the database does not check.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, LargeBinary, String, Table

from localexa.server.core.clock import as_utc, offset_problem
from localexa.server.core.crypto import KEYED_HASH
from localexa.server.core.errors import BadRequest
from localexa.server.credential_locker.models import stored_row_problem as thread_network_problem
from localexa.server.evaluation.schemas import STAGES as EVALUATION_STAGES
from localexa.server.evaluation.schemas import EndpointRef, TestPlanRef
from localexa.server.lwa.models import AuthorizationCode, LwaClient, Token
from localexa.server.observe.schemas import FaultFields
from localexa.server.observe.snapshot_json import json_column_problem
from localexa.server.skills.permissions import stored_permission_problem
from localexa.server.skills.schemas import STAGES, AccountLinkingSpec, check_endpoint

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
        check = _ROW_CHECKS.get(name)
        for index, row in enumerate(validated[name]):
            problem = check(row) if check is not None else None
            if problem is not None:
                raise BadRequest(f"tables.{name}[{index}]: {problem}.")
            _check_not_null(table, index, row)
    _check_alexa_clients(validated)
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


def _clock_row(row: dict[str, Any]) -> str | None:
    if row.get("id") != 1:  # the clock is one row, id 1: another restored and was never read
        return "id must be 1 (the clock is one row)"
    return offset_problem(row.get("offset_seconds", 0.0))


def _fault_row(row: dict[str, Any]) -> str | None:
    """The limits `POST /_localexa/faults` holds a fault to (a status of 200 or 1000 broke calls)."""
    try:
        # FaultFields, not FaultIn: a row keeps its nulls (FaultIn's null-as-absent let a null
        # delay_ms through to the insert, refused there as "does not fit").
        FaultFields.model_validate({k: v for k, v in row.items() if k in FaultFields.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc']) or 'row'}: {first['msg']}"
    if row.get("region") not in (None, "NA", "EU", "FE"):  # stored upper case (FaultFields takes any)
        return "region must be NA, EU or FE"
    for counter in ("remaining", "matched", "fired"):
        value = row.get(counter)
        if value is not None and (not isinstance(value, int) or value < 0):
            return f"{counter} must be a whole number of 0 or more"
    return None


def _customer_row(row: dict[str, Any]) -> str | None:
    """A region the admin API takes: `ZZ` restored, and every call of that customer that needed
    the region (the API endpoint, enablement) was a 500."""
    if row.get("region") not in ("NA", "EU", "FE"):
        return "region must be NA, EU or FE"
    return None


def _usable_endpoint(endpoint: str) -> bool:
    try:
        check_endpoint(endpoint)
    except ValueError:
        return False
    return len(endpoint) <= 2048


def _skill_row(row: dict[str, Any]) -> str | None:
    """The endpoints and the account linking as the admin API takes them (a list or a bad URL
    restored, and every directive of that skill was a 500; until 2026-12-06 the endpoint and the
    account linking were not checked: an expiry of 10**12 s overflowed the date at every
    enable-and-link, a token URL of another scheme was called)."""
    endpoint = row.get("endpoint")
    if not isinstance(endpoint, str) or not _usable_endpoint(endpoint):
        return "endpoint must be an http(s):// URL or python:package.module:function"
    # The permission names are restored as stored (the column's decoding already made them a list
    # of strings): the admin API holds a new skill to the names Amazon's manifest knows since
    # 2026-12-06, but a skill stored before then may hold another, and a snapshot the server takes
    # of it, or an older localexa's snapshot, must restore (for an hour on 2026-12-06 restore
    # refused them with a 400, even the server's own snapshot; rev1 QA F6).
    # Their shape still holds: what no localexa could have stored is refused (rev3 QA).
    # A JSON null restored and every read of the skill was a 500 (rev4 QA): a list, or left out.
    if "permissions" in row and not isinstance(row["permissions"], list):
        return "permissions must be a list of permission names"
    for permission in row.get("permissions") or []:
        problem = stored_permission_problem(permission)
        if problem is not None:
            return f"permissions: {problem}"
    problem = _list_problem(row)
    if problem is not None:
        return problem
    linking = row.get("account_linking")
    if linking is not None:
        problem = _account_linking_problem(linking)
        if problem is not None:
            return problem
    regional = row.get("regional_endpoints")
    if regional is None:
        return None
    if not isinstance(regional, dict):
        return "regional_endpoints must be an object of region to endpoint"
    for region, endpoint in regional.items():
        if region not in ("NA", "EU", "FE"):
            return "regional_endpoints: regions must be NA, EU or FE"
        if not isinstance(endpoint, str) or not _usable_endpoint(endpoint):
            return f"regional_endpoints.{region} must be an http(s):// URL or python:package.module:function"
    return None


def _repeated(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _list_problem(row: dict[str, Any]) -> str | None:
    """The skill's lists as the admin API stores them: it refuses a stage given twice ("stages must
    not repeat") and keeps one of a permission given twice (SkillSpec), so no localexa stored a
    duplicate; restored, `alexa::async_event:write` twice showed twice in every read of the skill.
    A restore that holds one is refused naming it and the skill, rather than changed silently.
    (The account linking's `scopes`, `redirectUrls` and `domains` are stored as given, repeats
    included, by the admin API and SMAPI alike, so restore takes them so too.)"""
    skill = str(row.get("id"))[:200]
    stages = row.get("stages")
    if isinstance(stages, list):
        if not stages or any(stage not in STAGES for stage in stages):
            return f"stages must be one or more of development, live (skill {skill})"
        twice = _repeated(stages)
        if twice is not None:
            return f"stages: {twice!r} is given twice (skill {skill})"
    twice = _repeated(row.get("permissions") or [])
    if twice is not None:
        shown = twice if len(twice) <= 120 else twice[:120] + "…"
        return f"permissions: {shown!r} is given twice (skill {skill})"
    return None


#: The keys of the stored account linking (`AccountLinkingSpec.public()`): camelCase, no secret.
_STORED_LINKING_KEYS = frozenset(
    info.alias or name for name, info in AccountLinkingSpec.model_fields.items() if name != "client_secret"
)


def _account_linking_problem(linking: Any) -> str | None:
    """The stored form, as SMAPI's PUT and the admin API write it. The model alone was not enough
    (re-verification of 2026-12-06): it reads `authorization_url` and `null`s too, while the
    server reads the stored keys as written (`snake_case` keys or `"type": null` restored, and
    every enable-and-link said the skill does not link with codes), and a `clientSecret` there was
    shown by both GETs."""
    if isinstance(linking, dict):
        for key, value in linking.items():
            if key not in _STORED_LINKING_KEYS:
                return f"account_linking.{key}: not a field of a stored account linking"
            if value is None:
                return f"account_linking.{key}: must not be null (left out when not set)"
    try:
        AccountLinkingSpec.model_validate(linking)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"account_linking{'.' + where if where else ''}: {first['msg']}"
    return None


def _case_result_row(row: dict[str, Any]) -> str | None:
    """A case's `error` as the results answer shows it (`{"code", "message"}`: `{"x": 1}` restored,
    and every read of the run's results was a 500)."""
    error = row.get("error")
    if error is None:
        return None
    if set(error) != {"code", "message"} or not all(isinstance(v, str) for v in error.values()):
        return 'error must be {"code": "…", "message": "…"}'
    return None


def _evaluation_row(row: dict[str, Any]) -> str | None:
    """The stage, endpoint id and test plan id as the evaluation API takes them (its models, so
    the same limits): a stage of `"beta"`, an endpoint id its pattern refuses or an empty test plan
    id restored, and the run's GET and its results were a 500 (evaluation/service.py `_input`;
    until 2026-12-07, fuzz37 F2)."""
    if row.get("stage") not in EVALUATION_STAGES:
        return f"stage must be {' or '.join(EVALUATION_STAGES)}"
    for column, model, field in (
        ("endpoint_id", EndpointRef, "endpoint_id"),
        ("test_plan_id", TestPlanRef, "id"),
    ):
        try:
            model.model_validate({field: row.get(column)})
        except ValidationError as exc:
            return f"{column}: {exc.errors()[0]['msg']}"
    return None


#: Rows restore checks the way the admin API checks what makes them (a clock far past the year
#: 9999 made every later call a 500, health and reset included, until the database was deleted).
_ROW_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "capability_evaluations": _evaluation_row,
    "capability_test_case_results": _case_result_row,
    "clock_state": _clock_row,
    "customers": _customer_row,
    "faults": _fault_row,
    "skills": _skill_row,
    "thread_networks": thread_network_problem,
}


def _check_alexa_clients(rows: dict[str, list[dict[str, Any]]]) -> None:
    """A skill's `alexa_client_id` must name an Alexa client of the snapshot (an LWA client with
    a sealed secret and no skill: lwa/registry.py `is_alexa_client`). The column has no foreign
    key (migration 0006), so a hand-edited snapshot pointing it elsewhere restored: the skill's
    own Alexa client, no longer named, then linked every skill, and one pointing at a messaging
    client showed that client's secret as the Alexa client's."""
    clients = {row.get("client_id"): row for row in rows.get("lwa_clients", [])}
    for index, skill in enumerate(rows.get("skills", [])):
        client_id = skill.get("alexa_client_id")
        if client_id is None:
            continue
        client = clients.get(client_id)
        if client is None or client.get("skill_id") is not None or client.get("secret_sealed") is None:
            raise BadRequest(
                f"tables.skills[{index}].alexa_client_id: names no Alexa client of the snapshot's "
                "lwa_clients (one with a sealed secret and no skill_id)."
            )
