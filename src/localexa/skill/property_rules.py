"""What a reported property value may be, per interface (Alexa interface reference pages).

`check_value` knows the properties of the lighting, power, health, thermostat, temperature,
speaker, toggle and range interfaces; others pass unchecked, since a skill may report any
interface Alexa has. `check_property` adds what the property itself must be: of an `Alexa`
interface, and with an `instance` for the multi-instance controllers. The property builders and
`validate_response` both use them, so what one builds the other accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

Rule = Callable[[Any], str | None]
SCALES = ("CELSIUS", "FAHRENHEIT", "KELVIN")
THERMOSTAT_MODES = frozenset({"AUTO", "COOL", "HEAT", "ECO", "OFF", "EM_HEAT", "CUSTOM"})
MIN_KELVIN, MAX_KELVIN = 1000, 10000
#: A thermostat setpoint: Amazon's schema (alexa-smarthome validation_schemas/
#: alexa_smart_home_message_schema.json, its current version) bounds the raw `value` of target,
#: lower and upper setpoints to −100…100 whatever the `scale` (its older version: no bound). Taken
#: literally that refuses every room temperature in KELVIN (~293) and 101 °F; localexa reads the
#: bound as degrees Celsius and takes their equivalents: −148…212 °F, 173.15…373.15 K.
MIN_SETPOINT_C, MAX_SETPOINT_C = -100.0, 100.0
_SETPOINT_BOUNDS = {
    "CELSIUS": "between -100 and 100 °C",
    "FAHRENHEIT": "between -148 and 212 °F",
    "KELVIN": "between 173.15 and 373.15 K",
}
#: Interfaces whose properties name their `instance` (docs: generic controllers).
MULTI_INSTANCE = frozenset({"Alexa.ToggleController", "Alexa.RangeController", "Alexa.ModeController"})


def _number(value: Any) -> bool:
    """A JSON number: no bool, and finite (NaN and Infinity are no JSON; the gateway refuses
    them, and an encoder fails on them)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _in_range(low: float, high: float, *, integer: bool = False) -> Rule:
    def rule(value: Any) -> str | None:
        ok_type = isinstance(value, int) and not isinstance(value, bool) if integer else _number(value)
        if not ok_type:
            return f"must be {'an integer' if integer else 'a number'}"
        return None if low <= value <= high else f"must be between {low:g} and {high:g}"

    return rule


def _one_of(*allowed: str) -> Rule:
    def rule(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return rule


def _temperature(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object {value, scale}"
    if not _number(value.get("value")):
        return "value must be a number"
    return None if value.get("scale") in SCALES else f"scale must be one of {', '.join(SCALES)}"


def _setpoint(value: Any) -> str | None:
    problem = _temperature(value)
    if problem:
        return problem
    celsius = _celsius(value["value"], value["scale"])
    if MIN_SETPOINT_C <= celsius <= MAX_SETPOINT_C:
        return None
    # In the value's own scale (since 2026-12-06: "-100 and 100 °C (or the same in FAHRENHEIT)").
    return f"must be {_SETPOINT_BOUNDS[value['scale']]}"


def _celsius(value: float, scale: str) -> float:
    if scale == "FAHRENHEIT":
        return (value - 32) * 5 / 9
    return value - 273.15 if scale == "KELVIN" else value


def _a_number(value: Any) -> str | None:
    return None if _number(value) else "must be a number"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _color(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object {hue, saturation, brightness}"
    for key, high in (("hue", 360), ("saturation", 1), ("brightness", 1)):
        problem = _in_range(0, high)(value.get(key))
        if problem:
            return f"{key} {problem}"
    return None


def _connectivity(value: Any) -> str | None:
    if not isinstance(value, dict):
        return 'must be an object {"value": "OK" | "UNREACHABLE"}'
    return _one_of("OK", "UNREACHABLE")(value.get("value"))


def _thermostat_mode(value: Any) -> str | None:
    mode = value.get("value") if isinstance(value, dict) else value
    return None if mode in THERMOSTAT_MODES else f"must be one of {', '.join(sorted(THERMOSTAT_MODES))}"


RULES: dict[tuple[str, str], Rule] = {
    ("Alexa.PowerController", "powerState"): _one_of("ON", "OFF"),
    ("Alexa.BrightnessController", "brightness"): _in_range(0, 100, integer=True),
    ("Alexa.ColorController", "color"): _color,
    ("Alexa.ColorTemperatureController", "colorTemperatureInKelvin"): _in_range(
        MIN_KELVIN, MAX_KELVIN, integer=True
    ),
    ("Alexa.PercentageController", "percentage"): _in_range(0, 100, integer=True),
    ("Alexa.PowerLevelController", "powerLevel"): _in_range(0, 100, integer=True),
    ("Alexa.EndpointHealth", "connectivity"): _connectivity,
    ("Alexa.ThermostatController", "targetSetpoint"): _setpoint,
    ("Alexa.ThermostatController", "lowerSetpoint"): _setpoint,
    ("Alexa.ThermostatController", "upperSetpoint"): _setpoint,
    ("Alexa.ThermostatController", "thermostatMode"): _thermostat_mode,
    ("Alexa.TemperatureSensor", "temperature"): _temperature,
    ("Alexa.LockController", "lockState"): _one_of("LOCKED", "UNLOCKED", "JAMMED"),
    ("Alexa.ContactSensor", "detectionState"): _one_of("DETECTED", "NOT_DETECTED"),
    ("Alexa.MotionSensor", "detectionState"): _one_of("DETECTED", "NOT_DETECTED"),
    ("Alexa.Speaker", "volume"): _in_range(0, 100, integer=True),
    ("Alexa.Speaker", "muted"): _boolean,
    ("Alexa.ToggleController", "toggleState"): _one_of("ON", "OFF"),
    ("Alexa.RangeController", "rangeValue"): _a_number,
}


def check_value(namespace: str, name: str, value: Any) -> str | None:
    """None when the value is allowed (or the property is not one the kit knows), else why not.
    NaN and Infinity are refused anywhere in any property's value: they are no JSON."""
    if not _finite(value):
        return "must hold only finite numbers (NaN and Infinity are no JSON)"
    rule = RULES.get((namespace, name))
    return rule(value) if rule else None


def check_property(prop: Mapping[str, Any]) -> tuple[str, str] | None:
    """None when the reported property is allowed, else (the field at fault, why not): its
    namespace must be `Alexa` or `Alexa.*`, a multi-instance controller's must name its
    `instance`, and its value must pass `check_value`."""
    namespace, name = prop.get("namespace"), prop.get("name")
    if not isinstance(namespace, str) or not isinstance(name, str):
        return None  # the schema check reports it
    if namespace != "Alexa" and not namespace.startswith("Alexa."):
        return "namespace", f"{namespace} is not an Alexa interface"
    if namespace in MULTI_INSTANCE and not (isinstance(prop.get("instance"), str) and prop["instance"]):
        return "instance", f"{namespace}.{name} must name the instance it reports"
    reason = check_value(namespace, name, prop.get("value"))
    return ("value", f"{namespace}.{name} {reason}") if reason else None


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(item) for item in value)
    return True
