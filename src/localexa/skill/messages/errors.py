"""`Alexa.ErrorResponse` payloads (spec §4, Amazon's schema enum).

Most types go in the `Alexa` namespace. The thermostat types go in
`Alexa.ThermostatController`, the security-panel types in `Alexa.SecurityPanelController`, the
cooking type in `Alexa.Cooking` and AcceptGrant failures in `Alexa.Authorization`: that is where
Amazon's samples put them. Four types carry an extra payload field that the schema requires.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from localexa.skill.messages.envelope import NonEmpty, WireModel


class ErrorType(StrEnum):
    ALREADY_IN_OPERATION = "ALREADY_IN_OPERATION"
    BRIDGE_UNREACHABLE = "BRIDGE_UNREACHABLE"
    CLOUD_CONTROL_DISABLED = "CLOUD_CONTROL_DISABLED"
    ENDPOINT_BUSY = "ENDPOINT_BUSY"
    ENDPOINT_LOW_POWER = "ENDPOINT_LOW_POWER"
    ENDPOINT_UNREACHABLE = "ENDPOINT_UNREACHABLE"
    EXPIRED_AUTHORIZATION_CREDENTIAL = "EXPIRED_AUTHORIZATION_CREDENTIAL"
    FIRMWARE_OUT_OF_DATE = "FIRMWARE_OUT_OF_DATE"
    HARDWARE_MALFUNCTION = "HARDWARE_MALFUNCTION"
    INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    INVALID_AUTHORIZATION_CREDENTIAL = "INVALID_AUTHORIZATION_CREDENTIAL"
    INVALID_DIRECTIVE = "INVALID_DIRECTIVE"
    INVALID_VALUE = "INVALID_VALUE"
    NO_SUCH_ENDPOINT = "NO_SUCH_ENDPOINT"
    NOT_CALIBRATED = "NOT_CALIBRATED"
    NOT_SUPPORTED_IN_CURRENT_MODE = "NOT_SUPPORTED_IN_CURRENT_MODE"
    NOT_IN_OPERATION = "NOT_IN_OPERATION"
    POWER_LEVEL_NOT_SUPPORTED = "POWER_LEVEL_NOT_SUPPORTED"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE"
    TEMPERATURE_VALUE_OUT_OF_RANGE = "TEMPERATURE_VALUE_OUT_OF_RANGE"
    TOO_MANY_FAILED_ATTEMPTS = "TOO_MANY_FAILED_ATTEMPTS"
    REQUESTED_SETPOINTS_TOO_CLOSE = "REQUESTED_SETPOINTS_TOO_CLOSE"
    AUTHORIZATION_REQUIRED = "AUTHORIZATION_REQUIRED"
    BYPASS_NEEDED = "BYPASS_NEEDED"
    NOT_READY = "NOT_READY"
    UNAUTHORIZED = "UNAUTHORIZED"
    UNCLEARED_ALARM = "UNCLEARED_ALARM"
    UNCLEARED_TROUBLE = "UNCLEARED_TROUBLE"
    NO_ACTIVE_MONITORABLE_DEVICES = "NO_ACTIVE_MONITORABLE_DEVICES"
    COOK_DURATION_TOO_LONG = "COOK_DURATION_TOO_LONG"
    THERMOSTAT_IS_OFF = "THERMOSTAT_IS_OFF"
    ACCEPT_GRANT_FAILED = "ACCEPT_GRANT_FAILED"


_NAMESPACES: dict[ErrorType, str] = {
    ErrorType.THERMOSTAT_IS_OFF: "Alexa.ThermostatController",
    ErrorType.REQUESTED_SETPOINTS_TOO_CLOSE: "Alexa.ThermostatController",
    ErrorType.AUTHORIZATION_REQUIRED: "Alexa.SecurityPanelController",
    ErrorType.BYPASS_NEEDED: "Alexa.SecurityPanelController",
    ErrorType.NOT_READY: "Alexa.SecurityPanelController",
    ErrorType.UNAUTHORIZED: "Alexa.SecurityPanelController",
    ErrorType.UNCLEARED_ALARM: "Alexa.SecurityPanelController",
    ErrorType.UNCLEARED_TROUBLE: "Alexa.SecurityPanelController",
    ErrorType.COOK_DURATION_TOO_LONG: "Alexa.Cooking",
    ErrorType.ACCEPT_GRANT_FAILED: "Alexa.Authorization",
}

# The payload field each type requires besides `type` and `message` (spec §4).
REQUIRED_EXTRA_FIELD: dict[ErrorType, str] = {
    ErrorType.ENDPOINT_LOW_POWER: "percentageState",
    ErrorType.NOT_SUPPORTED_IN_CURRENT_MODE: "currentDeviceMode",
    ErrorType.VALUE_OUT_OF_RANGE: "validRange",
    ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE: "validRange",
    ErrorType.REQUESTED_SETPOINTS_TOO_CLOSE: "minimumTemperatureDelta",
}


def error_namespace(error_type: ErrorType) -> str:
    """The header namespace Amazon's samples use for this error type."""
    return _NAMESPACES.get(error_type, "Alexa")


def accepted_namespaces(error_type: ErrorType) -> frozenset[str]:
    """Namespaces a receiver should accept: the specific one, and the generic `Alexa`.

    ACCEPT_GRANT_FAILED is no `Alexa.ErrorResponse` type (spec §4): only `Alexa.Authorization`,
    and only in answer to AcceptGrant (validation.py checks which directive it answers)."""
    if error_type is ErrorType.ACCEPT_GRANT_FAILED:
        return frozenset({"Alexa.Authorization"})
    return frozenset({"Alexa", error_namespace(error_type)})


TemperatureScale = Literal["CELSIUS", "FAHRENHEIT", "KELVIN"]
#: A JSON number: an int or a float, finite; not `true`, not `"50"` (strict, as the schema's
#: numbers are: lax pydantic took both, and NaN, which no JSON encoder writes).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Temperature(WireModel):
    value: Number
    scale: TemperatureScale


class ValueRange(WireModel):
    """`validRange` of VALUE_OUT_OF_RANGE: plain numbers (ErrorPayload checks their order)."""

    minimum_value: Number
    maximum_value: Number


class TemperatureRange(WireModel):
    """`validRange` of TEMPERATURE_VALUE_OUT_OF_RANGE: temperatures with a scale."""

    minimum_value: Temperature
    maximum_value: Temperature


CurrentDeviceMode = Literal["COLOR", "ASLEEP", "NOT_PROVISIONED", "OTHER"]


class ErrorPayload(WireModel):
    type: ErrorType
    message: NonEmpty
    #: Checked against the range its type needs (`_range_of_its_type`): a union here reported
    #: every member's errors (two of them about the wrong kind of range) at pydantic's paths.
    valid_range: dict[str, Any] | None = None
    current_device_mode: CurrentDeviceMode | None = None
    minimum_temperature_delta: Temperature | None = None
    percentage_state: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None

    @field_validator("valid_range", mode="after")
    @classmethod
    def _range_of_its_type(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        """A problem here is reported at `…payload.validRange`, whatever it is (it was at
        `…payload` for a problem inside the range and at `…validRange` for one that is no object)."""
        kind = info.data.get("type")
        if value is None or kind not in _RANGED:
            return value
        if kind is ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE:
            low, high = (_kelvin(t) for t in _range(TemperatureRange, value, "temperatures").values())
        else:
            low, high = _range(ValueRange, value, "numbers").values()
        if low > high:
            raise ValueError("minimumValue must not be above maximumValue")
        return value

    @model_validator(mode="after")
    def _extra_field_present(self) -> ErrorPayload:
        field = REQUIRED_EXTRA_FIELD.get(self.type)
        if field is not None and getattr(self, _snake(field)) is None:
            raise ValueError(f"{self.type.value} requires payload.{field}")
        return self


_RANGED = (ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE, ErrorType.VALUE_OUT_OF_RANGE)


def _range(model: type[ValueRange] | type[TemperatureRange], value: Any, of: str) -> dict[str, Any]:
    """`value` read as `model`: its minimum and maximum, or ValueError saying what is wrong in the
    wire's words (`minimumValue: …`)."""
    try:
        parsed = model.model_validate(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "validRange"
        raise ValueError(f"{where}: {first['msg']} (validRange holds {of})") from None
    return {"minimum": parsed.minimum_value, "maximum": parsed.maximum_value}


def _kelvin(temperature: Temperature) -> float:
    if temperature.scale == "CELSIUS":
        return temperature.value + 273.15
    if temperature.scale == "FAHRENHEIT":
        return (temperature.value - 32) * 5 / 9 + 273.15
    return temperature.value


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
