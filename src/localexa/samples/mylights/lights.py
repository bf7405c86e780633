"""The lights themselves: state, and the changes the API and the skill may make, within the
limits of the Alexa lighting interfaces (brightness 0–100, hue 0–360, saturation and color
brightness 0–1, color temperature 1000–10000 K), checked by the skill kit's property rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from localexa.skill.properties import brightness, color, color_temperature, connectivity, power_state
from localexa.skill.property_rules import check_value

# The white shades Alexa steps through for "warmer" / "cooler" (ColorTemperatureController docs).
WHITE_SHADES = (2200, 2700, 4000, 5500, 7000)


class LightValueError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Color:
    hue: float = 0.0
    saturation: float = 0.0
    brightness: float = 1.0

    def to_json(self) -> dict[str, float]:
        return {"hue": self.hue, "saturation": self.saturation, "brightness": self.brightness}


@dataclass(frozen=True)
class Light:
    id: str
    name: str
    power: str = "OFF"
    brightness: int = 100
    color: Color = Color()
    color_temperature: int = 2700
    reachable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "power": self.power,
            "brightness": self.brightness,
            "color": self.color.to_json(),
            "colorTemperature": self.color_temperature,
            "reachable": self.reachable,
        }


def seed_lights() -> dict[str, Light]:
    """Every new user starts with these two."""
    return {"kitchen": Light("kitchen", "Kitchen"), "porch": Light("porch", "Porch")}


def light_properties(light: Light) -> list[dict[str, Any]]:
    """The light's state as Alexa properties (what Response, StateReport and ChangeReport carry)."""
    return [
        power_state(light.power == "ON"),
        brightness(light.brightness),
        color(light.color.hue, light.color.saturation, light.color.brightness),
        color_temperature(light.color_temperature),
        connectivity(light.reachable),
    ]


# The light fields that are Alexa properties, checked by the skill kit's rules for those properties.
_ALEXA_FIELDS = {
    "power": ("Alexa.PowerController", "powerState"),
    "brightness": ("Alexa.BrightnessController", "brightness"),
    "color": ("Alexa.ColorController", "color"),
    "colorTemperature": ("Alexa.ColorTemperatureController", "colorTemperatureInKelvin"),
}


def apply_changes(light: Light, changes: Mapping[str, Any]) -> Light:
    """The light with `changes` (the JSON of PUT /lights/{id}) applied; LightValueError if invalid."""
    unknown = set(changes) - {"name", "reachable", *_ALEXA_FIELDS}
    if unknown:
        raise LightValueError(sorted(unknown)[0], "is not a property of a light")
    for key, (namespace, name) in _ALEXA_FIELDS.items():
        reason = check_value(namespace, name, changes[key]) if key in changes else None
        if reason:
            raise LightValueError(key, reason)
    name = changes.get("name", light.name)
    if not isinstance(name, str) or not 1 <= len(name) <= 128:
        raise LightValueError("name", "must be a string of 1 to 128 characters")
    reachable = changes.get("reachable", light.reachable)
    if not isinstance(reachable, bool):
        raise LightValueError("reachable", "must be true or false")
    hsb = changes.get("color")
    return replace(
        light,
        name=name,
        reachable=reachable,
        power=changes.get("power", light.power),
        brightness=changes.get("brightness", light.brightness),
        color=Color(hsb["hue"], hsb["saturation"], hsb["brightness"]) if hsb else light.color,
        color_temperature=changes.get("colorTemperature", light.color_temperature),
    )


def warmer(kelvin: int) -> int:
    """The next warmer white shade (lower kelvin), or the warmest."""
    return max((k for k in WHITE_SHADES if k < kelvin), default=WHITE_SHADES[0])


def cooler(kelvin: int) -> int:
    """The next cooler white shade (higher kelvin), or the coolest."""
    return min((k for k in WHITE_SHADES if k > kelvin), default=WHITE_SHADES[-1])
