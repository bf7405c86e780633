"""`Alexa.ErrorResponse`: one exception class per error type, and the builder behind them.

Raise one from a handler and `SkillHandler` answers it; or call `.response(directive)` yourself.
Types, namespaces and extra payload fields follow spec §4::

    SkillError
    ├── AlreadyInOperation, BridgeUnreachable, CloudControlDisabled, EndpointBusy,
    │   EndpointUnreachable, FirmwareOutOfDate, HardwareMalfunction, InsufficientPermissions,
    │   InternalError, InvalidDirective, InvalidValue, NoSuchEndpoint, NotCalibrated,
    │   NotInOperation, PowerLevelNotSupported, RateLimitExceeded, TooManyFailedAttempts,
    │   NoActiveMonitorableDevices, CookDurationTooLong, ThermostatIsOff,
    │   AuthorizationRequired, BypassNeeded, NotReady, Unauthorized, UnclearedAlarm,
    │   UnclearedTrouble, AcceptGrantFailed
    ├── ExpiredAuthorizationCredential, InvalidAuthorizationCredential
    └── with extra fields: EndpointLowPower(percentageState), NotSupportedInCurrentMode
        (currentDeviceMode), ValueOutOfRange(validRange), TemperatureValueOutOfRange(validRange),
        RequestedSetpointsTooClose(optional minimumTemperatureDelta)

and, in interface_errors.py, the other types of the interfaces' own ErrorResponse pages (thermostat,
thermostat configuration and schedule, cooking, data, safety, video, smart vision).
"""

from __future__ import annotations

from typing import Any

from localexa.skill.error_base import SkillError as SkillError
from localexa.skill.error_base import error_response as error_response
from localexa.skill.interface_errors import INTERFACE_ERRORS
from localexa.skill.messages.errors import CurrentDeviceMode, ErrorType, TemperatureScale


class AlreadyInOperation(SkillError):
    type = ErrorType.ALREADY_IN_OPERATION
    default_message = "The operation is already in progress."


class BridgeUnreachable(SkillError):
    type = ErrorType.BRIDGE_UNREACHABLE
    default_message = "The bridge is unreachable or offline."


class CloudControlDisabled(SkillError):
    type = ErrorType.CLOUD_CONTROL_DISABLED
    default_message = "Cloud control is disabled on the device."


class EndpointBusy(SkillError):
    type = ErrorType.ENDPOINT_BUSY
    default_message = "The endpoint is busy."


class EndpointUnreachable(SkillError):
    type = ErrorType.ENDPOINT_UNREACHABLE
    default_message = "The endpoint is unreachable or offline."


class ExpiredAuthorizationCredential(SkillError):
    type = ErrorType.EXPIRED_AUTHORIZATION_CREDENTIAL
    default_message = "The access token has expired."


class FirmwareOutOfDate(SkillError):
    type = ErrorType.FIRMWARE_OUT_OF_DATE
    default_message = "The device firmware is out of date."


class HardwareMalfunction(SkillError):
    type = ErrorType.HARDWARE_MALFUNCTION
    default_message = "The device has a hardware malfunction."


class InsufficientPermissions(SkillError):
    type = ErrorType.INSUFFICIENT_PERMISSIONS
    default_message = "The skill lacks the permissions it needs."


class InternalError(SkillError):
    type = ErrorType.INTERNAL_ERROR
    default_message = "The skill could not handle the directive."


class InvalidAuthorizationCredential(SkillError):
    type = ErrorType.INVALID_AUTHORIZATION_CREDENTIAL
    default_message = "The access token is not valid for any account in the device cloud."


class InvalidDirective(SkillError):
    type = ErrorType.INVALID_DIRECTIVE
    default_message = "The directive is not supported or is malformed."


class InvalidValue(SkillError):
    type = ErrorType.INVALID_VALUE
    default_message = "The directive contains a value that is not valid."


class NoSuchEndpoint(SkillError):
    type = ErrorType.NO_SUCH_ENDPOINT
    default_message = "The endpoint does not exist."


class NotCalibrated(SkillError):
    type = ErrorType.NOT_CALIBRATED
    default_message = "The device is not calibrated."


class NotInOperation(SkillError):
    type = ErrorType.NOT_IN_OPERATION
    default_message = "The operation is not in progress."


class PowerLevelNotSupported(SkillError):
    type = ErrorType.POWER_LEVEL_NOT_SUPPORTED
    default_message = "The power level is not supported."


class RateLimitExceeded(SkillError):
    type = ErrorType.RATE_LIMIT_EXCEEDED
    default_message = "Too many directives for this endpoint."


class TooManyFailedAttempts(SkillError):
    type = ErrorType.TOO_MANY_FAILED_ATTEMPTS
    default_message = "Too many failed attempts."


class NoActiveMonitorableDevices(SkillError):
    type = ErrorType.NO_ACTIVE_MONITORABLE_DEVICES
    default_message = "No monitorable devices are active."


class CookDurationTooLong(SkillError):
    type = ErrorType.COOK_DURATION_TOO_LONG
    default_message = "The cook duration is too long."


class ThermostatIsOff(SkillError):
    type = ErrorType.THERMOSTAT_IS_OFF
    default_message = "The thermostat is off."


class AuthorizationRequired(SkillError):
    type = ErrorType.AUTHORIZATION_REQUIRED
    default_message = "The security panel needs a PIN."


class BypassNeeded(SkillError):
    type = ErrorType.BYPASS_NEEDED
    default_message = "Open zones must be bypassed first."


class NotReady(SkillError):
    type = ErrorType.NOT_READY
    default_message = "The security system is not ready to arm."


class Unauthorized(SkillError):
    type = ErrorType.UNAUTHORIZED
    default_message = "The PIN is not authorized."


class UnclearedAlarm(SkillError):
    type = ErrorType.UNCLEARED_ALARM
    default_message = "An alarm must be cleared first."


class UnclearedTrouble(SkillError):
    type = ErrorType.UNCLEARED_TROUBLE
    default_message = "A trouble condition must be cleared first."


class AcceptGrantFailed(SkillError):
    type = ErrorType.ACCEPT_GRANT_FAILED
    default_message = "Failed to handle the AcceptGrant directive because request to Login with Amazon failed"


class EndpointLowPower(SkillError):
    type = ErrorType.ENDPOINT_LOW_POWER
    default_message = "The endpoint's battery is too low."

    def __init__(self, percentage_state: int, message: str | None = None) -> None:
        super().__init__(message)
        self.percentage_state = percentage_state

    def extras(self) -> dict[str, Any]:
        return {"percentageState": self.percentage_state}


class NotSupportedInCurrentMode(SkillError):
    type = ErrorType.NOT_SUPPORTED_IN_CURRENT_MODE
    default_message = "The endpoint cannot do that in its current mode."

    def __init__(self, current_device_mode: CurrentDeviceMode, message: str | None = None) -> None:
        super().__init__(message)
        self.current_device_mode = current_device_mode

    def extras(self) -> dict[str, Any]:
        return {"currentDeviceMode": self.current_device_mode}


class ValueOutOfRange(SkillError):
    type = ErrorType.VALUE_OUT_OF_RANGE
    default_message = "The requested value is out of range."

    def __init__(self, minimum: float, maximum: float, message: str | None = None) -> None:
        super().__init__(message or f"The value must be between {minimum:g} and {maximum:g}.")
        self.minimum, self.maximum = minimum, maximum

    def extras(self) -> dict[str, Any]:
        return {"validRange": {"minimumValue": self.minimum, "maximumValue": self.maximum}}


class TemperatureValueOutOfRange(SkillError):
    type = ErrorType.TEMPERATURE_VALUE_OUT_OF_RANGE
    default_message = "The requested temperature is out of range."

    def __init__(
        self, minimum: float, maximum: float, scale: TemperatureScale = "CELSIUS", message: str | None = None
    ) -> None:
        super().__init__(message)
        self.minimum, self.maximum, self.scale = minimum, maximum, scale

    def extras(self) -> dict[str, Any]:
        return {
            "validRange": {
                "minimumValue": {"value": self.minimum, "scale": self.scale},
                "maximumValue": {"value": self.maximum, "scale": self.scale},
            }
        }


class RequestedSetpointsTooClose(SkillError):
    type = ErrorType.REQUESTED_SETPOINTS_TOO_CLOSE
    default_message = "The temperature setpoints are too close together."

    def __init__(
        self,
        minimum_delta: float | None = None,
        scale: TemperatureScale = "CELSIUS",
        message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.minimum_delta, self.scale = minimum_delta, scale

    def extras(self) -> dict[str, Any]:
        """minimumTemperatureDelta is optional (alexa-thermostatcontroller-errorresponse)."""
        if self.minimum_delta is None:
            return {}
        return {"minimumTemperatureDelta": {"value": self.minimum_delta, "scale": self.scale}}


_GENERIC_AND_KNOWN: tuple[type[SkillError], ...] = (
    AlreadyInOperation,
    BridgeUnreachable,
    CloudControlDisabled,
    EndpointBusy,
    EndpointUnreachable,
    ExpiredAuthorizationCredential,
    FirmwareOutOfDate,
    HardwareMalfunction,
    InsufficientPermissions,
    InternalError,
    InvalidAuthorizationCredential,
    InvalidDirective,
    InvalidValue,
    NoSuchEndpoint,
    NotCalibrated,
    NotInOperation,
    PowerLevelNotSupported,
    RateLimitExceeded,
    TooManyFailedAttempts,
    NoActiveMonitorableDevices,
    CookDurationTooLong,
    ThermostatIsOff,
    AuthorizationRequired,
    BypassNeeded,
    NotReady,
    Unauthorized,
    UnclearedAlarm,
    UnclearedTrouble,
    AcceptGrantFailed,
    EndpointLowPower,
    NotSupportedInCurrentMode,
    ValueOutOfRange,
    TemperatureValueOutOfRange,
    RequestedSetpointsTooClose,
)
ERRORS_BY_TYPE: dict[ErrorType, type[SkillError]] = {
    cls.type: cls for cls in (*_GENERIC_AND_KNOWN, *INTERFACE_ERRORS)
}
