"""Standard JSON only (RFC 8259): no NaN and no Infinity, in what localexa stores or reads from a skill.

Python's `json` writes `NaN` and `Infinity` and reads them back, and reads `1e400` (valid JSON) as
Infinity. PostgreSQL's `json` refuses those tokens (a 500 when such a value reached a JSON column)
and SQLite kept text no other JSON parser reads. So JSON columns are written with `dumps` on both
databases (db/engine.py), a value that is not finite raising `NonFiniteNumber` (answered with 400,
core/errors.py), and a skill's answer is read with `loads`: one holding such a number is not JSON,
like any other broken answer.
"""

from __future__ import annotations

import json
import math
from typing import Any


class NonFiniteNumber(ValueError):
    """A JSON value held NaN or ±Infinity (`1e400` parses as Infinity)."""


def dumps(value: Any) -> str:
    """How JSON columns are written, on both databases."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise NonFiniteNumber(str(exc)) from exc


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NonFiniteNumber(f"the number {text[:40]} is beyond ±1.8e308")
    return number


def _no_constant(name: str) -> Any:
    raise NonFiniteNumber(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """`json.loads`, refusing NaN, Infinity and numbers beyond a double (`NonFiniteNumber`, a
    `ValueError` like any other parse error)."""
    return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
