"""The My Lights smart home skill, written with the skill kit.

Discovery lists each light with Alexa, PowerController, BrightnessController, ColorController,
ColorTemperatureController and EndpointHealth. Control directives answer Alexa.Response with
every property (interface docs recommend reporting all); ReportState answers a StateReport.
Changes made by a directive are reported in that Response, so no ChangeReport follows them.
"""

from __future__ import annotations

from typing import Any

from localexa.samples.mylights.cloud import DeviceCloud, UnknownLight
from localexa.samples.mylights.lights import Light, LightValueError, cooler, light_properties, warmer
from localexa.skill import (
    AcceptGrantFailed,
    AcceptGrantHandler,
    CallableValidator,
    EndpointUnreachable,
    InvalidAuthorizationCredential,
    InvalidValue,
    Message,
    NoSuchEndpoint,
    SkillHandler,
    SkillRequest,
    ValueOutOfRange,
    capability,
    discover_response,
    discovery_endpoint,
    endpoint_health,
    response,
    state_report,
)
from localexa.skill.property_rules import MAX_KELVIN, MIN_KELVIN


def light_endpoint(light: Light) -> dict[str, Any]:
    return discovery_endpoint(
        light.id,
        light.name,
        [
            capability("Alexa"),
            capability("Alexa.PowerController", ["powerState"]),
            capability("Alexa.BrightnessController", ["brightness"]),
            capability("Alexa.ColorController", ["color"]),
            capability("Alexa.ColorTemperatureController", ["colorTemperatureInKelvin"]),
            endpoint_health(),
        ],
        description="My Lights color bulb",
        manufacturer_name="My Lights",
        display_categories=["LIGHT"],
    )


def build_skill(cloud: DeviceCloud, region: str | None = None) -> SkillHandler:
    """A SkillHandler bound to one device cloud (tokens are checked against it directly).

    `region` is that of the skill endpoint it answers (`/skill/eu`: "EU"), as Amazon sends a
    customer's directives to the endpoint of the customer's region when the skill's manifest
    names one: an AcceptGrant received there sends the customer's events to that region's gateway.
    """
    skill = SkillHandler(CallableValidator(cloud.check_token))

    def user(request: SkillRequest) -> str:
        if request.user is None:  # cannot happen behind the validator; refuse rather than guess
            raise InvalidAuthorizationCredential()
        return request.user

    def target(request: SkillRequest) -> Light:
        try:
            return cloud.light(user(request), request.endpoint_id or "")
        except UnknownLight:
            raise NoSuchEndpoint(f"There is no light {request.endpoint_id}.") from None

    def control(request: SkillRequest, changes: dict[str, Any]) -> Message:
        light = target(request)
        if not light.reachable:
            raise EndpointUnreachable(f"{light.name} is offline.")
        try:
            _, after = cloud.update_light(user(request), light.id, changes)
        except LightValueError as error:
            raise InvalidValue(str(error)) from None
        return response(request.directive, light_properties(after))

    @skill.on("Alexa.Discovery", "Discover")
    def discover(request: SkillRequest) -> Message:
        return discover_response(
            request.directive, [light_endpoint(light) for light in cloud.lights(user(request))]
        )

    @skill.on("Alexa", "ReportState")
    def report_state(request: SkillRequest) -> Message:
        return state_report(request.directive, light_properties(target(request)))

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        return control(request, {"power": "ON"})

    @skill.on("Alexa.PowerController", "TurnOff")
    def turn_off(request: SkillRequest) -> Message:
        return control(request, {"power": "OFF"})

    @skill.on("Alexa.BrightnessController", "SetBrightness")
    def set_brightness(request: SkillRequest) -> Message:
        return control(request, {"brightness": _integer(request.payload.get("brightness"), 0, 100)})

    @skill.on("Alexa.BrightnessController", "AdjustBrightness")
    def adjust_brightness(request: SkillRequest) -> Message:
        delta = _integer(request.payload.get("brightnessDelta"), -100, 100)
        return control(request, {"brightness": min(100, max(0, target(request).brightness + delta))})

    @skill.on("Alexa.ColorController", "SetColor")
    def set_color(request: SkillRequest) -> Message:
        return control(request, {"color": request.payload.get("color")})

    @skill.on("Alexa.ColorTemperatureController", "SetColorTemperature")
    def set_color_temperature(request: SkillRequest) -> Message:
        kelvin = _integer(request.payload.get("colorTemperatureInKelvin"), MIN_KELVIN, MAX_KELVIN)
        return control(request, {"colorTemperature": kelvin})

    @skill.on("Alexa.ColorTemperatureController", "IncreaseColorTemperature")
    def increase_color_temperature(request: SkillRequest) -> Message:
        return control(request, {"colorTemperature": cooler(target(request).color_temperature)})

    @skill.on("Alexa.ColorTemperatureController", "DecreaseColorTemperature")
    def decrease_color_temperature(request: SkillRequest) -> Message:
        return control(request, {"colorTemperature": warmer(target(request).color_temperature)})

    @skill.on("Alexa.Authorization", "AcceptGrant")
    async def accept_grant(request: SkillRequest) -> Message:
        config = cloud.config
        if not config.alexa_client_id or not config.alexa_client_secret:
            raise AcceptGrantFailed("My Lights has no Alexa client credentials configured.")
        exchange = AcceptGrantHandler(
            config.alexa_client_id,
            config.alexa_client_secret,
            lambda user, tokens: cloud.save_event_tokens(user, tokens, region),
            lwa_base_url=config.lwa_base_url,
        )
        return await exchange(request)

    return skill


def _integer(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"Expected an integer from {low} to {high}.")
    if not low <= value <= high:
        raise ValueOutOfRange(low, high)
    return value
