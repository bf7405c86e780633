"""Standard JSON only (core/strict_json.py): what localexa stores, and reads from a skill."""

from __future__ import annotations

import pytest

from localexa.server.core import strict_json
from localexa.server.core.errors import ValidationFailed
from localexa.server.core.json_body import json_object
from localexa.server.core.strict_json import NonFiniteNumber


@pytest.mark.parametrize("text", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", '{"a": [1, 2e308]}'])
def test_what_is_not_a_finite_number_is_not_read(text: str) -> None:
    with pytest.raises(NonFiniteNumber):
        strict_json.loads(text)


def test_ordinary_numbers_read_as_before() -> None:
    assert strict_json.loads('{"i": 123456789012345678901234567890, "f": 1.5e308, "g": -0.0}') == {
        "i": 123456789012345678901234567890,
        "f": 1.5e308,
        "g": -0.0,
    }


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_what_is_not_a_finite_number_is_not_written(value: float) -> None:
    with pytest.raises(NonFiniteNumber):
        strict_json.dumps({"cookie": {"n": value}})
    assert strict_json.dumps({"n": 1.5}) == '{"n": 1.5}'


def test_a_key_twice_in_one_object_is_refused_only_when_asked() -> None:
    text = '{"outer": {"a": 1, "a": 2}}'
    assert strict_json.loads(text) == {"outer": {"a": 2}}  # json's own rule: the last one
    with pytest.raises(strict_json.RepeatedKey) as caught:
        strict_json.loads(text, unique_keys=True)
    assert caught.value.name == "a"
    assert strict_json.loads('[{"a": 1}, {"a": 2}]', unique_keys=True) == [{"a": 1}, {"a": 2}]


def test_smapi_bodies_refuse_a_field_twice_in_their_shape() -> None:
    with pytest.raises(ValidationFailed) as caught:
        json_object(b'{"stage": "development", "stage": "live"}', shape="{}", error=ValidationFailed)
    assert caught.value.message == "The request body gives the field stage more than once."
