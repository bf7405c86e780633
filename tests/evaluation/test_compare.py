"""The state comparison rules (compare.py): tolerances, compare operators, temperatures."""

from __future__ import annotations

from typing import Any

import pytest

from localexa.server.evaluation.compare import mismatches, to_scale, value_matches

PWR = "Alexa.PowerController"
BRI = "Alexa.BrightnessController"
TH = "Alexa.ThermostatController"


@pytest.mark.parametrize(
    ("expected", "actual", "compare", "percent", "ok"),
    [
        pytest.param(25, 26, "EQUAL_TO", 5, True, id="within-5%"),
        pytest.param(25, 27, "EQUAL_TO", 5, False, id="outside-5%"),
        pytest.param(0, 0.04, "EQUAL_TO", 5, True, id="zero-has-a-margin"),
        pytest.param(2200, 2700, "GREATER_THAN", 5, True, id="greater"),
        pytest.param(2200, 2200, "GREATER_THAN", 5, False, id="greater-is-strict"),
        pytest.param(7000, 5500, "LESS_THAN", 0, True, id="less"),
        pytest.param("ON", "ON", "EQUAL_TO", 0, True, id="string"),
        pytest.param("ON", "OFF", "EQUAL_TO", 100, False, id="string-ignores-tolerance"),
        pytest.param(True, 1, "EQUAL_TO", 0, False, id="bool-is-not-a-number"),
        pytest.param(
            {"hue": 120.0, "saturation": 1.0}, {"hue": 121, "saturation": 1}, "EQUAL_TO", 5, True, id="hsb"
        ),
        pytest.param({"hue": 120.0}, {"saturation": 1}, "EQUAL_TO", 5, False, id="object-key-missing"),
        pytest.param(
            {"value": 68, "scale": "FAHRENHEIT"},
            {"value": 20, "scale": "CELSIUS"},
            "EQUAL_TO",
            0.1,
            True,
            id="f-vs-c",
        ),
        pytest.param(
            {"value": 68, "scale": "FAHRENHEIT"},
            {"value": 21, "scale": "CELSIUS"},
            "EQUAL_TO",
            2,
            False,
            id="f-vs-c-off",
        ),
    ],
)
def test_value_matches(expected: Any, actual: Any, compare: str, percent: float, ok: bool) -> None:
    assert value_matches(expected, actual, compare, percent) is ok


def test_scales_convert_both_ways() -> None:
    assert to_scale(100, "CELSIUS", "FAHRENHEIT") == pytest.approx(212)
    assert to_scale(32, "FAHRENHEIT", "KELVIN") == pytest.approx(273.15)
    assert to_scale(to_scale(21.5, "CELSIUS", "FAHRENHEIT"), "FAHRENHEIT", "CELSIUS") == pytest.approx(21.5)


def test_mismatches_say_what_differs() -> None:
    expected: list[dict[str, Any]] = [
        {"namespace": BRI, "name": "brightness", "value": 25},
        {"namespace": PWR, "name": "powerState", "value": "ON"},
        {"namespace": TH, "name": "thermostatMode", "value": "HEAT"},
    ]
    reported: list[dict[str, Any]] = [
        {"namespace": BRI, "name": "brightness", "value": 50},
        {"namespace": PWR, "name": "powerState", "value": "ON"},
    ]
    tolerances: list[dict[str, Any]] = [{"namespace": BRI, "name": "brightness", "percentThreshold": 5}]
    problems = mismatches(expected, reported, tolerances)
    assert problems == [
        f"{BRI}.brightness: expected EQUAL_TO 25 (±5%), got 50",
        f"{TH}.thermostatMode was not reported",
    ]
    assert mismatches(expected[:2], [*reported[1:], {**reported[0], "value": 26}], tolerances) == []


def test_a_tolerance_is_named_only_where_it_counts() -> None:
    # A tolerance counts for numbers under EQUAL_TO only; "expected EQUAL_TO 'ON' (±0%)" and
    # "expected GREATER_THAN 20 (±0%)" named one that played no part (QA, 2026-12-07).
    expected: list[dict[str, Any]] = [
        {"namespace": PWR, "name": "powerState", "value": "ON"},
        {"namespace": TH, "name": "targetSetpoint", "value": {"value": 20, "scale": "CELSIUS"}},
        {"namespace": BRI, "name": "brightness", "value": 20, "compare": "GREATER_THAN"},
    ]
    reported: list[dict[str, Any]] = [
        {"namespace": PWR, "name": "powerState", "value": "OFF"},
        {"namespace": TH, "name": "targetSetpoint", "value": {"value": 25, "scale": "CELSIUS"}},
        {"namespace": BRI, "name": "brightness", "value": 18},
    ]
    assert mismatches(expected, reported, []) == [
        f"{PWR}.powerState: expected EQUAL_TO 'ON', got 'OFF'",
        f"{TH}.targetSetpoint: expected EQUAL_TO {{'value': 20, 'scale': 'CELSIUS'}} (±0%), "
        "got {'value': 25, 'scale': 'CELSIUS'}",
        f"{BRI}.brightness: expected GREATER_THAN 20, got 18",
    ]
