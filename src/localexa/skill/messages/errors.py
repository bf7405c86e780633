"""`Alexa.ErrorResponse` payloads (spec §4, Amazon's schema enum and interface reference pages).

The generic types go in the `Alexa` namespace. An interface's own types go in that interface's
namespace (its `<interface>.ErrorResponse` page): the thermostat types in
`Alexa.ThermostatController`, the security-panel types in `Alexa.SecurityPanelController`, the
cooking types in `Alexa.Cooking`, and so on (`INTERFACE_TYPES`); AcceptGrant failures in
`Alexa.Authorization`. An interface's namespace takes the generic types too ("in addition to the
… error types, you can also use Alexa error types"; Amazon's sample
ErrorResponse.ThermostatController.TEMPERATURE_VALUE_OUT_OF_RANGE.json), and `Alexa` takes an
interface's types (as it always did here). Four types carry an extra payload field that the schema
requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

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
    # Alexa.ThermostatController.ErrorResponse
    UNSUPPORTED_THERMOSTAT_MODE = "UNSUPPORTED_THERMOSTAT_MODE"
    DUAL_SETPOINTS_UNSUPPORTED = "DUAL_SETPOINTS_UNSUPPORTED"
    TRIPLE_SETPOINTS_UNSUPPORTED = "TRIPLE_SETPOINTS_UNSUPPORTED"
    UNWILLING_TO_SET_SCHEDULE = "UNWILLING_TO_SET_SCHEDULE"
    UNWILLING_TO_SET_VALUE = "UNWILLING_TO_SET_VALUE"
    # Alexa.ThermostatController.Configuration.ErrorResponse
    CONFIGURATION_UPDATE_NOT_ALLOWED = "CONFIGURATION_UPDATE_NOT_ALLOWED"
    MISSING_SETUP_INFORMATION = "MISSING_SETUP_INFORMATION"
    INVALID_TARGET_STATE = "INVALID_TARGET_STATE"
    INVALID_TEMPERATURE_SCALE = "INVALID_TEMPERATURE_SCALE"
    INVALID_TERMINAL_CONNECTION = "INVALID_TERMINAL_CONNECTION"
    # Alexa.ThermostatController.Schedule.ErrorResponse
    INSUFFICIENT_SPACE = "INSUFFICIENT_SPACE"
    # Alexa.Cooking.ErrorResponse (besides COOK_DURATION_TOO_LONG)
    CHILD_LOCK = "CHILD_LOCK"
    DOOR_CLOSED_TOO_LONG = "DOOR_CLOSED_TOO_LONG"
    DOOR_OPEN = "DOOR_OPEN"
    PREHEAT_REQUIRED = "PREHEAT_REQUIRED"
    PROBE_REQUIRED = "PROBE_REQUIRED"
    REMOTE_START_NOT_SUPPORTED = "REMOTE_START_NOT_SUPPORTED"
    REMOVE_PROBE = "REMOVE_PROBE"
    REMOTE_START_DISABLED = "REMOTE_START_DISABLED"
    # Alexa.DataController.ErrorResponse
    DATA_DELETION_NOT_SUPPORTED = "DATA_DELETION_NOT_SUPPORTED"
    DATA_RETRIEVAL_NOT_SUPPORTED = "DATA_RETRIEVAL_NOT_SUPPORTED"
    # Alexa.Safety.ErrorResponse
    OBSTACLE_DETECTED = "OBSTACLE_DETECTED"
    SAFETY_BEAM_BREACHED = "SAFETY_BEAM_BREACHED"
    # Alexa.Video.ErrorResponse
    ACTION_NOT_PERMITTED_FOR_CONTENT = "ACTION_NOT_PERMITTED_FOR_CONTENT"
    CONFIRMATION_REQUIRED = "CONFIRMATION_REQUIRED"
    CONTENT_NOT_RECORDABLE = "CONTENT_NOT_RECORDABLE"
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
    RECORDING_EXISTS = "RECORDING_EXISTS"
    STORAGE_FULL = "STORAGE_FULL"
    TITLE_DISAMBIGUATION_REQUIRED = "TITLE_DISAMBIGUATION_REQUIRED"
    TUNER_OCCUPIED = "TUNER_OCCUPIED"
    # Alexa.SmartVision.ObjectDetectionSensor.ErrorResponse and …SnapshotProvider.ErrorResponse
    SUBSCRIPTION_REQUIRED = "SUBSCRIPTION_REQUIRED"
    # Alexa.SmartVision.SnapshotProvider.ErrorResponse
    DISABLED_BY_USER = "DISABLED_BY_USER"


_T = ErrorType
#: Each interface's own ErrorResponse types (developer.amazon.com/docs/device-apis/
#: alexa-<interface>-errorresponse.html). Every other type but ACCEPT_GRANT_FAILED is generic.
INTERFACE_TYPES: dict[str, frozenset[ErrorType]] = {
    "Alexa.ThermostatController": frozenset(
        {
            _T.THERMOSTAT_IS_OFF,
            _T.REQUESTED_SETPOINTS_TOO_CLOSE,
            _T.UNSUPPORTED_THERMOSTAT_MODE,
            _T.DUAL_SETPOINTS_UNSUPPORTED,
            _T.TRIPLE_SETPOINTS_UNSUPPORTED,
            _T.UNWILLING_TO_SET_SCHEDULE,
            _T.UNWILLING_TO_SET_VALUE,
        }
    ),
    "Alexa.ThermostatController.Configuration": frozenset(
        {
            _T.CONFIGURATION_UPDATE_NOT_ALLOWED,
            _T.MISSING_SETUP_INFORMATION,
            _T.INVALID_TARGET_STATE,
            _T.INVALID_TEMPERATURE_SCALE,
            _T.INVALID_TERMINAL_CONNECTION,
        }
    ),
    "Alexa.ThermostatController.Schedule": frozenset({_T.INSUFFICIENT_SPACE}),
    "Alexa.SecurityPanelController": frozenset(
        {
            _T.AUTHORIZATION_REQUIRED,
            _T.BYPASS_NEEDED,
            _T.NOT_READY,
            _T.UNAUTHORIZED,
            _T.UNCLEARED_ALARM,
            _T.UNCLEARED_TROUBLE,
        }
    ),
    "Alexa.Cooking": frozenset(
        {
            _T.COOK_DURATION_TOO_LONG,
            _T.CHILD_LOCK,
            _T.DOOR_CLOSED_TOO_LONG,
            _T.DOOR_OPEN,
            _T.PREHEAT_REQUIRED,
            _T.PROBE_REQUIRED,
            _T.REMOTE_START_NOT_SUPPORTED,
            _T.REMOVE_PROBE,
            _T.REMOTE_START_DISABLED,
        }
    ),
    "Alexa.DataController": frozenset({_T.DATA_DELETION_NOT_SUPPORTED, _T.DATA_RETRIEVAL_NOT_SUPPORTED}),
    "Alexa.Safety": frozenset({_T.OBSTACLE_DETECTED, _T.SAFETY_BEAM_BREACHED}),
    "Alexa.Video": frozenset(
        {
            _T.ACTION_NOT_PERMITTED_FOR_CONTENT,
            _T.CONFIRMATION_REQUIRED,
            _T.CONTENT_NOT_RECORDABLE,
            _T.NOT_SUBSCRIBED,
            _T.RECORDING_EXISTS,
            _T.STORAGE_FULL,
            _T.TITLE_DISAMBIGUATION_REQUIRED,
            _T.TUNER_OCCUPIED,
        }
    ),
    # Since 2026-12-06; their ErrorResponse carries payloadVersion "1.0" and "1.1"
    # (envelope.ERROR_PAYLOAD_VERSIONS). SUBSCRIPTION_REQUIRED is a type of both.
    "Alexa.SmartVision.ObjectDetectionSensor": frozenset({_T.SUBSCRIPTION_REQUIRED}),
    "Alexa.SmartVision.SnapshotProvider": frozenset({_T.SUBSCRIPTION_REQUIRED, _T.DISABLED_BY_USER}),
    "Alexa.Authorization": frozenset({_T.ACCEPT_GRANT_FAILED}),
}
_INTERFACES_OF: dict[ErrorType, frozenset[str]] = {
    t: frozenset(ns for ns, types in INTERFACE_TYPES.items() if t in types)
    for t in ErrorType
    if any(t in types for types in INTERFACE_TYPES.values())
}
#: The `Alexa.ErrorResponse` types: usable in `Alexa` and in every interface's namespace.
GENERIC_TYPES: tuple[ErrorType, ...] = tuple(t for t in ErrorType if t not in _INTERFACES_OF)
#: Every header namespace an ErrorResponse may have.
ERROR_NAMESPACES: frozenset[str] = frozenset({"Alexa", *INTERFACE_TYPES})

# The payload field each type requires besides `type` and `message` (spec §4). The thermostat
# page makes REQUESTED_SETPOINTS_TOO_CLOSE's minimumTemperatureDelta optional ("optionally
# include"): checked when present, not required.
REQUIRED_EXTRA_FIELD: dict[ErrorType, str] = {
    ErrorType.ENDPOINT_LOW_POWER: "percentageState",
    ErrorType.NOT_SUPPORTED_IN_CURRENT_MODE: "currentDeviceMode",
    ErrorType.VALUE_OUT_OF_RANGE: "validRange",
    ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE: "validRange",
}


def error_namespace(error_type: ErrorType) -> str:
    """The header namespace the kit writes for this error type: its interface's, else `Alexa`.
    A type of several interfaces (SUBSCRIPTION_REQUIRED) has no one namespace: ValueError."""
    interfaces = _INTERFACES_OF.get(error_type, frozenset({"Alexa"}))
    if len(interfaces) > 1:
        raise ValueError(
            f"{error_type.value} is a type of {' and '.join(sorted(interfaces))}: say which (namespace=…)"
        )
    return next(iter(interfaces))


def accepted_namespaces(error_type: ErrorType) -> frozenset[str]:
    """Namespaces a receiver should accept for this type: an interface's own type in that
    interface or `Alexa`; a generic type in `Alexa` or any interface's namespace.

    ACCEPT_GRANT_FAILED is no `Alexa.ErrorResponse` type (spec §4): only `Alexa.Authorization`,
    and only in answer to AcceptGrant (validation.py checks which directive it answers)."""
    if error_type is ErrorType.ACCEPT_GRANT_FAILED:
        return frozenset({"Alexa.Authorization"})
    if error_type in _INTERFACES_OF:
        return frozenset({"Alexa", *_INTERFACES_OF[error_type]})
    return ERROR_NAMESPACES - {"Alexa.Authorization"}


def misplaced(error_type: ErrorType, namespace: str) -> str | None:
    """Why an ErrorResponse of `error_type` may not go in `namespace`, shortly; None if it may.

    A generic type used in a namespace without an ErrorResponse of its own (`Alexa.PowerController`)
    is told to use `Alexa` (since 2026-12-06; the message listed the ten namespaces it may use)."""
    allowed = accepted_namespaces(error_type)
    if namespace in allowed:
        return None
    if error_type in GENERIC_TYPES:
        whose = (
            "takes only ACCEPT_GRANT_FAILED"
            if namespace == "Alexa.Authorization"
            else "has no ErrorResponse of its own"
        )
        return f"ErrorResponse of {error_type.value} belongs in namespace Alexa ({namespace} {whose})"
    return f"ErrorResponse of {error_type.value} belongs in {namespaces_text(allowed)}"


def namespaces_text(namespaces: Iterable[str]) -> str:
    """`namespace Alexa`, `namespace Alexa or Alexa.Cooking`, `namespace A, B or C`: for a
    refusal's message (until 2026-12-06 those said `['Alexa', 'Alexa.Cooking']`)."""
    names = sorted(namespaces)
    if len(names) <= 1:
        return f"namespace {''.join(names)}"
    return f"namespace {', '.join(names[:-1])} or {names[-1]}"


def types_of(namespace: str) -> str:
    """What an ErrorResponse in `namespace` may say, in a few words (for a refusal's message)."""
    generic = ", ".join(GENERIC_TYPES)
    if namespace == "Alexa.Authorization":
        return "ACCEPT_GRANT_FAILED (in answer to AcceptGrant only)"
    own = INTERFACE_TYPES.get(namespace)
    if own is None:
        return f"the Alexa.ErrorResponse types ({generic}) or an interface's own"
    return f"{', '.join(sorted(own))} or an Alexa.ErrorResponse type"


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
    """Validate with `context={"namespace": <header namespace>}` for an unknown type's message to
    say what that namespace takes."""

    type: ErrorType
    message: NonEmpty
    #: Checked against the range its type needs (`_range_of_its_type`): a union here reported
    #: every member's errors (two of them about the wrong kind of range) at pydantic's paths.
    valid_range: dict[str, Any] | None = None
    current_device_mode: CurrentDeviceMode | None = None
    minimum_temperature_delta: Temperature | None = None
    percentage_state: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None

    @field_validator("type", mode="wrap")
    @classmethod
    def _known_type(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """A short refusal naming what the namespace takes (pydantic's listed every type, ~1,000
        characters, ACCEPT_GRANT_FAILED among them where it is refused)."""
        try:
            return handler(value)
        except ValidationError:
            namespace = (info.context or {}).get("namespace", "Alexa")
            raise PydanticCustomError(
                "error_type",
                "{value} is no ErrorResponse type of {namespace}; it takes {allowed}",
                {"value": repr(value)[:80], "namespace": namespace, "allowed": types_of(str(namespace))},
            ) from None

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
