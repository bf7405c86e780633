"""Pydantic v2 models of the smart home v3 messages (spec §4).

Shared by both sides: skills build and parse with them, and localexa's server validates skill
answers and gateway events with the same models (`localexa.skill.validation`).
"""

from localexa.skill.messages.authorization import AcceptGrantPayload, Grant
from localexa.skill.messages.discovery import (
    AddOrUpdateReportPayload,
    Capability,
    CapabilityProperties,
    DeleteReportPayload,
    DiscoverPayload,
    DiscoverResponsePayload,
    DiscoveryEndpoint,
)
from localexa.skill.messages.envelope import (
    ENDPOINT_ID_PATTERN,
    MESSAGE_ID_PATTERN,
    BearerScope,
    Context,
    Directive,
    DirectiveEndpoint,
    DirectiveEnvelope,
    Event,
    EventEndpoint,
    EventEnvelope,
    Header,
    Property,
    WireModel,
)
from localexa.skill.messages.errors import (
    ErrorPayload,
    ErrorType,
    Temperature,
    TemperatureRange,
    ValueRange,
    error_namespace,
)
from localexa.skill.messages.reports import (
    Cause,
    CauseType,
    Change,
    ChangeReportPayload,
    DoorbellPressPayload,
    SceneStartedPayload,
    WakeUpPayload,
)

__all__ = [
    "ENDPOINT_ID_PATTERN",
    "MESSAGE_ID_PATTERN",
    "AcceptGrantPayload",
    "AddOrUpdateReportPayload",
    "BearerScope",
    "Capability",
    "CapabilityProperties",
    "Cause",
    "CauseType",
    "Change",
    "ChangeReportPayload",
    "Context",
    "DeleteReportPayload",
    "Directive",
    "DirectiveEndpoint",
    "DirectiveEnvelope",
    "DiscoverPayload",
    "DiscoverResponsePayload",
    "DiscoveryEndpoint",
    "DoorbellPressPayload",
    "ErrorPayload",
    "ErrorType",
    "Event",
    "EventEndpoint",
    "EventEnvelope",
    "Grant",
    "Header",
    "Property",
    "SceneStartedPayload",
    "Temperature",
    "TemperatureRange",
    "ValueRange",
    "WakeUpPayload",
    "WireModel",
    "error_namespace",
]
