"""Does a reported capability state match the expected one? (test plan `expectedCapabilityStates`
with `compare` and `capabilityTolerances`, spec §2 "Test plan content").

Rules (localexa's reading of Amazon's plans, README "Capability evaluation"):
- A state is found in the StateReport by namespace, name (and instance when given).
- `compare` is EQUAL_TO (the default), GREATER_THAN or LESS_THAN. GREATER_THAN and LESS_THAN are
  strict and take no tolerance: "warmer" must really be warmer.
- EQUAL_TO on numbers allows `percentThreshold` percent of the expected value (of 1 when the
  expected value is smaller than 1, so 0 still has a margin); strings and booleans must be equal.
- Objects match key by key with the same rule (a color's hue, saturation and brightness).
- Temperatures (`{value, scale}`) are converted to the expected scale first, so a thermostat that
  reports Celsius passes a Fahrenheit plan when the temperature is the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

EQUAL_TO, GREATER_THAN, LESS_THAN = "EQUAL_TO", "GREATER_THAN", "LESS_THAN"


def _part(value: Any) -> Any:
    """A key part that can be hashed: a reported property's `namespace` may be a list or an
    object; such a part never equals a plan's string."""
    return value if value is None or isinstance(value, str) else ("not a string", repr(value))


def _key(state: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    return (_part(state.get("namespace")), _part(state.get("name")), _part(state.get("instance")))


def state_label(state: Mapping[str, Any]) -> str:
    instance = state.get("instance")
    name = f"{state.get('namespace')}.{state.get('name')}"
    return f"{name} ({instance})" if instance else name


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # a JSON integer beyond a double (1 followed by 400 zeros)
        return None


def _holds_number(value: Any) -> bool:
    """A number, or an object with one (a temperature, a color): what a tolerance applies to."""
    if isinstance(value, Mapping):
        return any(_holds_number(item) for item in value.values())
    return _number(value) is not None


def to_scale(value: float, source: str, target: str) -> float:
    """Convert a temperature between CELSIUS, FAHRENHEIT and KELVIN."""
    celsius = {"CELSIUS": value, "FAHRENHEIT": (value - 32) * 5 / 9, "KELVIN": value - 273.15}[source]
    return {"CELSIUS": celsius, "FAHRENHEIT": celsius * 9 / 5 + 32, "KELVIN": celsius + 273.15}[target]


_SCALES = ("CELSIUS", "FAHRENHEIT", "KELVIN")


def _is_temperature(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and value.get("scale") in _SCALES
        and _number(value.get("value")) is not None
    )


def value_matches(expected: Any, actual: Any, compare: str, percent: float) -> bool:
    if _is_temperature(expected) and _is_temperature(actual):
        converted = to_scale(float(actual["value"]), actual["scale"], expected["scale"])
        return value_matches(float(expected["value"]), converted, compare, percent)
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and value_matches(item, actual[key], compare, percent)
            for key, item in expected.items()
        )
    want, got = _number(expected), _number(actual)
    if want is not None and got is not None:
        if compare == GREATER_THAN:
            return got > want
        if compare == LESS_THAN:
            return got < want
        return abs(got - want) <= percent / 100 * max(abs(want), 1.0)
    if isinstance(expected, bool) != isinstance(actual, bool):
        return False  # True == 1 in Python, not in a StateReport
    return bool(compare == EQUAL_TO and expected == actual)


def tolerance_of(state: Mapping[str, Any], tolerances: Iterable[Mapping[str, Any]]) -> float:
    for tolerance in tolerances:
        if (tolerance.get("namespace"), tolerance.get("name")) == (state.get("namespace"), state.get("name")):
            percent = _number(tolerance.get("percentThreshold"))
            return max(percent, 0.0) if percent is not None else 0.0
    return 0.0


def relevant_states(
    reported: Iterable[Mapping[str, Any]], expected: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The reported properties the expectations talk about (what `actualCapabilityStates` shows)."""
    wanted = {_key(state) for state in expected}
    return [dict(prop) for prop in reported if _key(prop) in wanted]


def mismatches(
    expected: Iterable[Mapping[str, Any]],
    reported: Iterable[Mapping[str, Any]],
    tolerances: Iterable[Mapping[str, Any]],
) -> list[str]:
    """Why the reported states miss the expected ones; empty when they all match."""
    by_key = {_key(prop): prop for prop in reported}
    tolerance_list = list(tolerances)
    problems: list[str] = []
    for state in expected:
        label = state_label(state)
        actual = by_key.get(_key(state))
        if actual is None:
            problems.append(f"{label} was not reported")
            continue
        compare = str(state.get("compare") or EQUAL_TO)
        percent = tolerance_of(state, tolerance_list)
        if not value_matches(state.get("value"), actual.get("value"), compare, percent):
            wanted = f"{compare} {state.get('value')!r}"
            if compare == EQUAL_TO and _holds_number(state.get("value")):
                wanted += f" (±{percent:g}%)"  # named only where it counts: a number under EQUAL_TO
            problems.append(f"{label}: expected {wanted}, got {actual.get('value')!r}")
    return problems
