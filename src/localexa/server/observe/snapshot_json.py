"""What restore checks of a JSON column's value (observe/snapshot_rows.py): its shape, the one
the model declares (`Mapped[list[str]]`, `Mapped[dict[str, Any]]`), and its depth.

Neither was checked until 2026-12-06 (re-verification QA): `skills.stages = [1]` or
`discovered_endpoints.state = [1]` restored, and so did a state nested 300 levels deep (a restore
body may nest 512); every later read of the row answered 500 (pydantic serializes at most ~255
levels, the console's rendering recursed) until the next reset or restore.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table

from localexa.server.core.strict_json import nests_deeper_than
from localexa.server.db.base import Base

#: The deepest JSON a column may hold: what localexa stores is bounded by the skill answer's and
#: event's 100 levels (directives/invoker.py `MAX_ANSWER_DEPTH`) plus the few levels of the
#: envelope that wraps them; far below what pydantic and the console can show.
MAX_COLUMN_DEPTH = 128


@cache
def _declared(table_name: str, column: str) -> TypeAdapter[Any] | None:
    """A validator of the column's declared Python type (None when the model declares none)."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) != table_name:
            continue
        hints = typing.get_type_hints(mapper.class_)
        declared = hints.get(mapper.get_property_by_column(mapper.local_table.c[column]).key)
        if declared is None or typing.get_origin(declared) is None:
            return None
        (inner,) = typing.get_args(declared)  # Mapped[T] → T
        return TypeAdapter(inner)
    return None


def json_column_problem(table: Table, column: str, value: Any) -> str | None:
    """Why `value` cannot stand in the JSON column, in words that never quote it; None if it can."""
    if nests_deeper_than(value, MAX_COLUMN_DEPTH):
        return f"nests objects and arrays more than {MAX_COLUMN_DEPTH} levels deep"
    validator = _declared(table.name, column)
    if validator is None:
        return None
    try:
        validator.validate_python(value, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
        return f"{'at ' + where + ': ' if where else ''}{first['msg'].lower()}"
    return None
