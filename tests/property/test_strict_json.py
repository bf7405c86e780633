"""core/strict_json.py: any bytes or text is a JSON value or a ValueError (its documented error),
never NaN/Infinity, never a lone surrogate, never a RecursionError; standard JSON values round trip."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localexa.server.core import strict_json
from localexa.server.core.strict_json import LoneSurrogate, NonFiniteNumber
from tests.property import budget

CI = budget(300)

#: Text without surrogates: what a JSON string can hold.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)

#: JSON-ish fragments, so that random text often gets deep into the parser.
fragments = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            '"',
            "\\",
            "\\u",
            "d800",
            "dc00",
            "D83D",
            "DE00",
            "a",
            "1",
            "-",
            ".",
            "e",
            "400",
            "NaN",
            "Infinity",
            "true",
            "null",
            " ",
            "\ud800",
            "\udc00",
            "\x00",
            "é",
        ]
    ),
    max_size=40,
).map("".join)


def walk(value: Any) -> None:
    """The value holds only finite numbers and strings without surrogates."""
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, str):
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    elif isinstance(value, list):
        for item in value:
            walk(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            walk(key)
            walk(item)


def read(raw: str | bytes) -> None:
    try:
        value = strict_json.loads(raw)
    except ValueError:
        return
    walk(value)


@CI
@given(st.binary(max_size=300))
def test_any_bytes_are_a_value_or_a_value_error(raw: bytes) -> None:
    read(raw)


@CI
@given(st.text(max_size=100) | fragments)
def test_any_text_is_a_value_or_a_value_error(text: str) -> None:
    read(text)
    read(text.encode("utf-8", "surrogatepass"))


@CI
@given(fragments, st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-16", "utf-32"]))
def test_every_encoding_json_reads_holds_the_same_rules(text: str, encoding: str) -> None:
    """json.loads reads UTF-16 and UTF-32 bytes too: the surrogate rule must hold there as well."""
    try:
        raw = text.encode(encoding, "surrogatepass")
    except UnicodeEncodeError:
        return
    read(raw)


@CI
@given(json_values)
def test_standard_json_round_trips(value: Any) -> None:
    text = strict_json.dumps(value)
    assert strict_json.loads(text) == value
    assert strict_json.loads(text.encode()) == value
    assert strict_json.loads(json.dumps(value, ensure_ascii=False).encode("utf-16")) == value


@CI
@given(json_values, st.sampled_from([math.nan, math.inf, -math.inf]))
def test_non_finite_numbers_are_never_written(value: Any, bad: float) -> None:
    with pytest.raises(NonFiniteNumber):
        strict_json.dumps([value, {"n": bad}])


@CI
@given(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e309", "1.5e999"]),
    st.sampled_from(["{}", '{{"a": {}}}', "[1, {}]", '[{{"x": [{}]}}]']),
)
def test_non_finite_numbers_are_never_read(token: str, shape: str) -> None:
    with pytest.raises(NonFiniteNumber):
        strict_json.loads(shape.format(token))


@CI
@given(
    st.integers(0xD800, 0xDFFF),
    st.sampled_from(['"{}"', '["{}"]', '{{"{}": 1}}', '{{"k": "a{}b"}}']),
    st.sampled_from(["utf-8", "utf-16-le", "utf-32-be"]),
)
def test_lone_surrogate_escapes_are_refused_in_every_encoding(code: int, shape: str, encoding: str) -> None:
    text = shape.format(f"\\u{code:04x}")
    with pytest.raises(LoneSurrogate):
        strict_json.loads(text)
    with pytest.raises(ValueError):  # noqa: PT011 (the documented error is any ValueError)
        strict_json.loads(text.encode(encoding))


@CI
@given(st.integers(0xD800, 0xDBFF), st.integers(0xDC00, 0xDFFF))
def test_surrogate_pairs_are_characters(high: int, low: int) -> None:
    assert strict_json.loads(f'"\\u{high:04x}\\u{low:04X}"') == chr(
        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    )


@budget(20)
@given(st.integers(1_000, 200_000), st.sampled_from(["[", '{"a":', '[{"a":']))
def test_deep_nesting_is_a_value_error(depth: int, opener: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        strict_json.loads(opener * depth)
