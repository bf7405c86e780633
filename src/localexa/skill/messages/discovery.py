"""`Alexa.Discovery`: the Discover directive payload, Discover.Response, AddOrUpdateReport.

Limits from Amazon's discovery docs and schema: names and descriptions 1–128 characters, at least
one display category, at most 100 capabilities per endpoint, at most 300 endpoints per response.
Every endpoint should list the `Alexa` interface itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from localexa.skill.messages.envelope import BearerScope, EndpointId, NonEmpty, WireModel

MAX_ENDPOINTS = 300
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=128)]
DisplayCategory = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]*$")]


class SupportedProperty(WireModel):
    name: NonEmpty


class CapabilityProperties(WireModel):
    supported: list[SupportedProperty] = Field(default_factory=list)
    proactively_reported: bool | None = None
    retrievable: bool | None = None
    non_controllable: bool | None = None


class Capability(WireModel):
    type: Literal["AlexaInterface"]
    interface: NonEmpty
    version: NonEmpty
    instance: str | None = None
    properties: CapabilityProperties | None = None
    configuration: dict[str, Any] | None = None


class DiscoveryEndpoint(WireModel):
    endpoint_id: EndpointId
    manufacturer_name: ShortText
    friendly_name: ShortText
    description: ShortText
    display_categories: Annotated[list[DisplayCategory], Field(min_length=1)]
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=100)]
    cookie: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _lists_alexa_interface(self) -> DiscoveryEndpoint:
        if not any(c.interface == "Alexa" for c in self.capabilities):
            raise ValueError("capabilities must include the Alexa interface")
        return self


class DiscoverPayload(WireModel):
    """Payload of the Discover directive: the user's token sits here, not on an endpoint."""

    scope: BearerScope


def _require_unique_ids(endpoints: list[DiscoveryEndpoint]) -> None:
    """An endpointId names one device: listed twice, which of the two descriptions holds?"""
    seen: set[str] = set()
    repeated: list[str] = []
    for endpoint in endpoints:
        if endpoint.endpoint_id in seen and endpoint.endpoint_id not in repeated:
            repeated.append(endpoint.endpoint_id)
        seen.add(endpoint.endpoint_id)
    if repeated:
        raise ValueError(f"endpointId values must be unique; listed more than once: {', '.join(repeated)}")


class DiscoverResponsePayload(WireModel):
    endpoints: Annotated[list[DiscoveryEndpoint], Field(max_length=MAX_ENDPOINTS)]

    @model_validator(mode="after")
    def _unique_ids(self) -> DiscoverResponsePayload:
        _require_unique_ids(self.endpoints)
        return self


class AddOrUpdateReportPayload(WireModel):
    endpoints: Annotated[list[DiscoveryEndpoint], Field(min_length=1, max_length=MAX_ENDPOINTS)]
    scope: BearerScope

    @model_validator(mode="after")
    def _unique_ids(self) -> AddOrUpdateReportPayload:
        # As in Discover.Response; the gateway took a repeat with 202 and kept the first.
        _require_unique_ids(self.endpoints)
        return self


class EndpointRef(WireModel):
    endpoint_id: EndpointId


class DeleteReportPayload(WireModel):
    endpoints: Annotated[list[EndpointRef], Field(min_length=1)]
    scope: BearerScope
