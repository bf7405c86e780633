"""Standard JSON only (RFC 8259): no NaN and no Infinity, in what localexa stores or reads from a skill.

Python's `json` writes `NaN` and `Infinity` and reads them back, and reads `1e400` (valid JSON) as
Infinity. PostgreSQL's `json` refuses those tokens (a 500 when such a value reached a JSON column)
and SQLite kept text no other JSON parser reads. So JSON columns are written with `dumps` on both
databases (db/engine.py), a value that is not finite raising `NonFiniteNumber` (answered with 400,
core/error_handlers.py), and a skill's answer is read with `loads`: one holding such a number is not JSON,
like any other broken answer. So is one holding an unpaired UTF-16 surrogate (`"\\ud800"`): no
character (I-JSON, RFC 7493 §2.1), and no database stores it as text.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

#: Where a surrogate may be: an escape `\uD8..` to `\uDF..`, or one encoded raw (ED A0-BF).
SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
#: Every escape of a JSON text, in order (so `\\` is one escape, not the start of another), and
#: raw surrogate bytes.
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)|\xed[\xa0-\xbf]", re.DOTALL)


class NonFiniteNumber(ValueError):
    """A JSON value held NaN or ±Infinity (`1e400` parses as Infinity)."""


def dumps(value: Any) -> str:
    """How JSON columns are written, on both databases."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise NonFiniteNumber(str(exc)) from exc


def finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NonFiniteNumber(f"the number {text[:40]} is beyond ±1.8e308")
    return number


def no_constant(name: str) -> Any:
    raise NonFiniteNumber(f"{name} is not a JSON number")


class TooLongNumber(ValueError):
    """A JSON integer with more digits than Python converts (`sys.get_int_max_str_digits()`, 4300
    by default): valid JSON, but `json` refuses it with a ValueError that read as "not valid JSON"."""


def too_long_number_message(subject: str = "The request body") -> str:
    limit = sys.get_int_max_str_digits()
    return f"{subject} holds a number of more than {limit} digits, more than can be read."


def bounded_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TooLongNumber(f"a number of {len(text)} digits") from None


class LoneSurrogate(ValueError):
    """A JSON text held a UTF-16 surrogate that is not half of a pair."""


class TooDeep(ValueError):
    """A JSON text nested deeper than `MAX_DEPTH` (or than the parser's recursion limit)."""


#: The deepest nesting `loads` reads, the same on every Python. The C parser's own limit is what
#: is left of the recursion limit: ~990 levels on 3.11, ~1,500 on 3.12, ~10,000 on 3.13; and what
#: handles a body next (redaction, the journal, pydantic) recurses in Python, within ~1,000 frames.
MAX_DEPTH = 512


#: What a body nested past the parser's depth is told: valid JSON (RFC 8259 §9 lets a parser
#: limit nesting), so "not valid JSON" was the wrong reason (security QA of 2026-12-06).
TOO_DEEP_MESSAGE = (
    f"The request body nests arrays and objects too deeply to be read ({MAX_DEPTH} levels at most)."
)


class RepeatedKey(ValueError):
    """An object of a JSON text held a key twice (with `unique_keys`)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the key {name} is given twice in one object")
        self.name = name


def refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` refusing a key given twice in one object (`RepeatedKey`)."""
    data: dict[str, Any] = {}
    for name, value in pairs:
        if name in data:
            raise RepeatedKey(name)
        data[name] = value
    return data


def loads(text: str | bytes, *, unique_keys: bool = False) -> Any:
    """`json.loads`, refusing NaN, Infinity and numbers beyond a double (`NonFiniteNumber`), integers
    of more digits than Python converts (`TooLongNumber`), and
    unpaired surrogates (`LoneSurrogate`, in UTF-16 and UTF-32 bytes too) and nesting deeper than
    `MAX_DEPTH` (`TooDeep`), each a `ValueError` like any other parse error; with
    `unique_keys`, an object holding a key twice too (`RepeatedKey`: which value was meant?)."""
    if isinstance(text, bytes) and json.detect_encoding(text) not in ("utf-8", "utf-8-sig"):
        # UTF-16 and UTF-32, which json.loads also reads: check their escapes as UTF-8.
        text = text.decode(json.detect_encoding(text))
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if SURROGATE_HINT.search(raw) is not None and holds_lone_surrogate(raw):
        raise LoneSurrogate("a string holds an unpaired UTF-16 surrogate, which is not a character")
    try:
        hook = refuse_repeated_keys if unique_keys else None
        value = json.loads(
            text,
            parse_float=finite_float,
            parse_int=bounded_int,
            parse_constant=no_constant,
            object_pairs_hook=hook,
        )
    except RecursionError:
        raise TooDeep("the JSON text nests arrays and objects too deeply") from None
    refuse_too_deep(raw, value)
    return value


def refuse_too_deep(text: str | bytes, value: Any) -> None:
    """`TooDeep` when `value`, parsed from `text`, nests deeper than `MAX_DEPTH`."""
    if parsed_deeper_than(text, value, MAX_DEPTH):
        raise TooDeep(f"the JSON text nests arrays and objects more than {MAX_DEPTH} levels deep")


def parsed_deeper_than(text: str | bytes, value: Any, limit: int) -> bool:
    """Whether `value`, parsed from `text`, nests deeper than `limit`. Walked only when `text`
    opens more than `limit` arrays and objects, which any deeper text does."""
    if isinstance(text, str):
        opened = text.count("[") + text.count("{")
    else:
        opened = text.count(b"[") + text.count(b"{")
    return opened > limit and nests_deeper_than(value, limit)


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests objects and arrays more than `limit` levels (walked
    without recursion, so any depth can be measured)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def holds_lone_surrogate(body: bytes) -> bool:
    """Whether a JSON body holds a surrogate escape that is not half of a pair (a high one
    followed at once by a low one), or a surrogate encoded raw."""
    waiting_at = -1  # where the low half must start, after a high one
    for match in _ESCAPE.finditer(body):
        digits = match.group(1)
        if digits is None and not match.group().startswith(b"\\"):
            return True  # raw ED A0-BF
        code = int(digits, 16) if digits is not None else -1
        if 0xDC00 <= code <= 0xDFFF:
            if match.start() != waiting_at:
                return True
            waiting_at = -1
            continue
        if waiting_at != -1:
            return True  # a high half followed by anything but a low one
        if 0xD800 <= code <= 0xDBFF:
            waiting_at = match.end()
    return waiting_at != -1
