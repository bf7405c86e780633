"""The skill kit: what a smart home skill's own code uses (spec §4, §5; seed "Validate and Use
Access Tokens in Skill Code").

Parse a directive, pull the user's token, check it against the device cloud, answer with
responses, state reports or `Alexa.ErrorResponse`, handle AcceptGrant and send events to the
gateway. Depends on pydantic and httpx only; it never imports localexa's server.

The names below are imported on first use (PEP 562), so that the server, which reads only
`localexa.skill.messages`, does not load httpx and the HTTP helpers at start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localexa.skill.accept_grant import AcceptGrantHandler
    from localexa.skill.directives import DirectiveError, bearer_token, parse_directive
    from localexa.skill.discovery import alexa_interface, capability, discovery_endpoint, endpoint_health
    from localexa.skill.errors import (
        AcceptGrantFailed,
        AlreadyInOperation,
        AuthorizationRequired,
        BridgeUnreachable,
        BypassNeeded,
        CloudControlDisabled,
        CookDurationTooLong,
        EndpointBusy,
        EndpointLowPower,
        EndpointUnreachable,
        ExpiredAuthorizationCredential,
        FirmwareOutOfDate,
        HardwareMalfunction,
        InsufficientPermissions,
        InternalError,
        InvalidAuthorizationCredential,
        InvalidDirective,
        InvalidValue,
        NoActiveMonitorableDevices,
        NoSuchEndpoint,
        NotCalibrated,
        NotInOperation,
        NotReady,
        NotSupportedInCurrentMode,
        PowerLevelNotSupported,
        RateLimitExceeded,
        RequestedSetpointsTooClose,
        SkillError,
        TemperatureValueOutOfRange,
        ThermostatIsOff,
        TooManyFailedAttempts,
        Unauthorized,
        UnclearedAlarm,
        UnclearedTrouble,
        ValueOutOfRange,
        error_response,
    )
    from localexa.skill.gateway import (
        EVENTS_BASE_URLS,
        EventGatewayClient,
        EventGatewayError,
        EventReceipt,
        TokenRefreshFailed,
    )
    from localexa.skill.grants import (
        GrantExchangeError,
        GrantTokens,
        exchange_grant_code,
        refresh_grant_tokens,
    )
    from localexa.skill.handler import SkillHandler, SkillRequest
    from localexa.skill.messages import CauseType, Directive, ErrorType
    from localexa.skill.problems import Problem
    from localexa.skill.properties import (
        brightness,
        color,
        color_temperature,
        connectivity,
        lower_setpoint,
        power_state,
        property_value,
        target_setpoint,
        temperature,
        thermostat_mode,
        upper_setpoint,
    )
    from localexa.skill.reports import add_or_update_report, change_report, delete_report
    from localexa.skill.responses import (
        Message,
        accept_grant_response,
        deferred_response,
        discover_response,
        response,
        state_report,
    )
    from localexa.skill.tokens import (
        CallableValidator,
        IntrospectionValidator,
        TokenCheck,
        TokenStatus,
        TokenValidationError,
        TokenValidator,
        credential_error,
    )
    from localexa.skill.validation import Verdict, validate_event, validate_response

#: The modules the public names live in; those that need httpx come last, so a name found earlier
#: does not load it.
_MODULES = (
    "directives",
    "discovery",
    "errors",
    "messages",
    "problems",
    "properties",
    "reports",
    "responses",
    "validation",
    "tokens",
    "handler",
    "accept_grant",
    "gateway",
    "grants",
)


def __getattr__(name: str) -> Any:
    if name in __all__:
        for module_name in _MODULES:
            module = importlib.import_module(f"localexa.skill.{module_name}")
            if name in vars(module):
                value = vars(module)[name]
                globals()[name] = value
                return value
    raise AttributeError(f"module 'localexa.skill' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "EVENTS_BASE_URLS",
    "AcceptGrantFailed",
    "AcceptGrantHandler",
    "AlreadyInOperation",
    "AuthorizationRequired",
    "BridgeUnreachable",
    "BypassNeeded",
    "CallableValidator",
    "CauseType",
    "CloudControlDisabled",
    "CookDurationTooLong",
    "Directive",
    "DirectiveError",
    "EndpointBusy",
    "EndpointLowPower",
    "EndpointUnreachable",
    "ErrorType",
    "EventGatewayClient",
    "EventGatewayError",
    "EventReceipt",
    "ExpiredAuthorizationCredential",
    "FirmwareOutOfDate",
    "GrantExchangeError",
    "GrantTokens",
    "HardwareMalfunction",
    "InsufficientPermissions",
    "InternalError",
    "IntrospectionValidator",
    "InvalidAuthorizationCredential",
    "InvalidDirective",
    "InvalidValue",
    "Message",
    "NoActiveMonitorableDevices",
    "NoSuchEndpoint",
    "NotCalibrated",
    "NotInOperation",
    "NotReady",
    "NotSupportedInCurrentMode",
    "PowerLevelNotSupported",
    "Problem",
    "RateLimitExceeded",
    "RequestedSetpointsTooClose",
    "SkillError",
    "SkillHandler",
    "SkillRequest",
    "TemperatureValueOutOfRange",
    "ThermostatIsOff",
    "TokenCheck",
    "TokenRefreshFailed",
    "TokenStatus",
    "TokenValidationError",
    "TokenValidator",
    "TooManyFailedAttempts",
    "Unauthorized",
    "UnclearedAlarm",
    "UnclearedTrouble",
    "ValueOutOfRange",
    "Verdict",
    "accept_grant_response",
    "add_or_update_report",
    "alexa_interface",
    "bearer_token",
    "brightness",
    "capability",
    "change_report",
    "color",
    "color_temperature",
    "connectivity",
    "credential_error",
    "deferred_response",
    "delete_report",
    "discover_response",
    "discovery_endpoint",
    "endpoint_health",
    "error_response",
    "exchange_grant_code",
    "lower_setpoint",
    "parse_directive",
    "power_state",
    "property_value",
    "refresh_grant_tokens",
    "response",
    "state_report",
    "target_setpoint",
    "temperature",
    "thermostat_mode",
    "upper_setpoint",
    "validate_event",
    "validate_response",
]
