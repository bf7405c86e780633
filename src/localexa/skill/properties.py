"""Property builders for `context.properties` and `change.properties` (Alexa interface docs).

Each returns the JSON-ready dict, with `timeOfSample` (default: now) and
`uncertaintyInMilliseconds`, and refuses values the interface does not allow (ValueError).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict, Unpack

from localexa.skill.clock import timestamp
from localexa.skill.messages.errors import TemperatureScale
from localexa.skill.property_rules import check_value


class Sample(TypedDict, total=False):
    """When and how precisely the value was read; `instance` for multi-instance interfaces."""

    time_of_sample: datetime | None
    uncertainty_ms: int
    instance: str | None


def property_value(
    namespace: str,
    name: str,
    value: Any,
    *,
    time_of_sample: datetime | None = None,
    uncertainty_ms: int = 0,
    instance: str | None = None,
) -> dict[str, Any]:
    """Any property: the generic builder the named ones below use. Values of the interfaces
    `property_rules` knows are checked (ValueError)."""
    # A whole number of 0 or more, as the gateway takes it: True and 1.5 built properties the
    # gateway refused, and "5" raised a TypeError instead of this ValueError.
    if type(uncertainty_ms) is not int or uncertainty_ms < 0:
        raise ValueError(f"uncertaintyInMilliseconds must be an integer of 0 or more, not {uncertainty_ms!r}")
    reason = check_value(namespace, name, value)
    if reason:
        raise ValueError(f"{namespace}.{name} {reason}")
    prop: dict[str, Any] = {"namespace": namespace, "name": name, "value": value}
    if instance is not None:
        prop["instance"] = instance
    prop["timeOfSample"] = timestamp(time_of_sample)
    prop["uncertaintyInMilliseconds"] = uncertainty_ms
    return prop


def _switch(given: object, on: str, off: str, builder: str) -> str:
    """True/False, or the interface's own value: any other value (`"OFF"` read as truthy) built
    the opposite of what was meant without a word (QA of 2026-12-06)."""
    if given is True or given == on:
        return on
    if given is False or given == off:
        return off
    raise ValueError(f"{builder}() takes True, False, {on!r} or {off!r}, not {given!r}")


def power_state(on: bool | Literal["ON", "OFF"], **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.PowerController.powerState`: `ON` or `OFF` (True or False)."""
    value = _switch(on, "ON", "OFF", "power_state")
    return property_value("Alexa.PowerController", "powerState", value, **sample)


def brightness(percent: int, **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.BrightnessController.brightness`: an integer 0–100."""
    return property_value("Alexa.BrightnessController", "brightness", percent, **sample)


def color(hue: float, saturation: float, value: float, **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.ColorController.color`: hue 0–360, saturation and brightness 0–1."""
    hsb = {"hue": hue, "saturation": saturation, "brightness": value}
    return property_value("Alexa.ColorController", "color", hsb, **sample)


def color_temperature(kelvin: int, **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.ColorTemperatureController.colorTemperatureInKelvin`: an integer 1000–10000."""
    return property_value("Alexa.ColorTemperatureController", "colorTemperatureInKelvin", kelvin, **sample)


SetpointName = Literal["targetSetpoint", "lowerSetpoint", "upperSetpoint"]


def setpoint(
    name: SetpointName, value: float, scale: TemperatureScale = "CELSIUS", **sample: Unpack[Sample]
) -> dict[str, Any]:
    """`Alexa.ThermostatController` targetSetpoint / lowerSetpoint / upperSetpoint: `{value, scale}`."""
    return property_value("Alexa.ThermostatController", name, {"value": value, "scale": scale}, **sample)


def target_setpoint(
    value: float, scale: TemperatureScale = "CELSIUS", **sample: Unpack[Sample]
) -> dict[str, Any]:
    return setpoint("targetSetpoint", value, scale, **sample)


def lower_setpoint(
    value: float, scale: TemperatureScale = "CELSIUS", **sample: Unpack[Sample]
) -> dict[str, Any]:
    return setpoint("lowerSetpoint", value, scale, **sample)


def upper_setpoint(
    value: float, scale: TemperatureScale = "CELSIUS", **sample: Unpack[Sample]
) -> dict[str, Any]:
    return setpoint("upperSetpoint", value, scale, **sample)


def thermostat_mode(mode: str, *, custom_name: str | None = None, **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.ThermostatController.thermostatMode`: a mode name; CUSTOM carries `customName`."""
    if (mode == "CUSTOM") != (custom_name is not None):
        raise ValueError("customName goes with thermostatMode CUSTOM, and only with it")
    value: Any = {"value": mode, "customName": custom_name} if custom_name is not None else mode
    return property_value("Alexa.ThermostatController", "thermostatMode", value, **sample)


def connectivity(reachable: bool | Literal["OK", "UNREACHABLE"], **sample: Unpack[Sample]) -> dict[str, Any]:
    """`Alexa.EndpointHealth.connectivity`: `{"value": "OK" | "UNREACHABLE"}` (True or False)."""
    value = {"value": _switch(reachable, "OK", "UNREACHABLE", "connectivity")}
    return property_value("Alexa.EndpointHealth", "connectivity", value, **sample)


def temperature(
    value: float, scale: TemperatureScale = "CELSIUS", **sample: Unpack[Sample]
) -> dict[str, Any]:
    """`Alexa.TemperatureSensor.temperature`: `{value, scale}`."""
    return property_value(
        "Alexa.TemperatureSensor", "temperature", {"value": value, "scale": scale}, **sample
    )
