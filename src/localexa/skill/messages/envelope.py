"""The smart home v3 envelope: directives in, events (responses and reports) out.

Constraints follow Amazon's message schema (`alexa-smarthome/validation_schemas`, definitions
`common`), as summarised in spec §4: `payloadVersion` is `"3"` (an interface's own ErrorResponse
carries that interface's version: `ERROR_PAYLOAD_VERSIONS`), `messageId` is 1–127 characters of
`[a-zA-Z0-9-]`, `correlationToken` is non-empty, `scope` is a `BearerToken`, `endpointId` is 1–256
characters of `[a-zA-Z0-9_\\-=#;:?@&]`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

MESSAGE_ID_PATTERN = r"^[a-zA-Z0-9\-]{1,127}$"
ENDPOINT_ID_PATTERN = r"^[a-zA-Z0-9_\-=#;:?@&]{1,256}$"

MessageId = Annotated[str, StringConstraints(pattern=MESSAGE_ID_PATTERN)]
EndpointId = Annotated[str, StringConstraints(pattern=ENDPOINT_ID_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

# `timeOfSample`: an ISO 8601 date-time string in UTC, as Alexa writes it (`2017-02-03T16:20:50.52Z`).
_UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)")


def _utc_timestamp(value: Any) -> Any:
    """Only a string in UTC passes on to the date-time check: pydantic alone would also take a
    Unix time number, a space for the `T` or another offset, which the schema's string does not."""
    if not isinstance(value, str):
        raise ValueError("timeOfSample must be an ISO 8601 string, e.g. 2017-02-03T16:20:50.52Z")
    if not _UTC_TIMESTAMP.fullmatch(value):
        raise ValueError("timeOfSample must be UTC in ISO 8601 form YYYY-MM-DDThh:mm:ss[.sss]Z")
    return value


UtcTimestamp = Annotated[AwareDatetime, BeforeValidator(_utc_timestamp)]

#: The interfaces whose own ErrorResponse has a payloadVersion other than "3" (since 2026-12-06):
#: "Alexa.ErrorResponse and this interface might have different payload versions. Make sure to use
#: the payload version of the interface that you respond with" (each `…-errorresponse` page).
ERROR_PAYLOAD_VERSIONS: dict[str, str] = {
    "Alexa.DataController": "1.0",
    "Alexa.SmartVision.ObjectDetectionSensor": "1.0",
    "Alexa.SmartVision.SnapshotProvider": "1.1",
}


def payload_version(namespace: str, name: str) -> str:
    """The `payloadVersion` a message of this namespace and name carries: "3", but an
    ErrorResponse of an interface in ERROR_PAYLOAD_VERSIONS carries that interface's version."""
    if name == "ErrorResponse":
        return ERROR_PAYLOAD_VERSIONS.get(namespace, "3")
    return "3"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept (Alexa adds fields over time)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict Alexa sends or expects."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class BearerScope(WireModel):
    """`scope` of an endpoint, of a Discover payload, or `grantee` of AcceptGrant."""

    type: Literal["BearerToken", "BearerTokenWithPartition"]
    token: NonEmpty = Field(repr=False)
    partition: str | None = None
    user_id: str | None = None


class Header(WireModel):
    namespace: NonEmpty
    name: NonEmpty
    payload_version: str
    message_id: MessageId
    correlation_token: NonEmpty | None = None
    instance: str | None = None

    @field_validator("payload_version", mode="before")
    @classmethod
    def _its_version(cls, value: Any, info: ValidationInfo) -> Any:
        """ "3", or the interface's own version for its ErrorResponse (the message says which)."""
        namespace, name = info.data.get("namespace"), info.data.get("name")
        expected = payload_version(namespace, name) if namespace and name else "3"
        if value != expected:
            whose = f" (the payload version of {namespace}.ErrorResponse)" if expected != "3" else ""
            raise PydanticCustomError(
                "literal_error", "Input should be '{expected}'{whose}", {"expected": expected, "whose": whose}
            )
        return value


class DirectiveEndpoint(WireModel):
    scope: BearerScope
    endpoint_id: EndpointId
    cookie: dict[str, Any] = Field(default_factory=dict)


class Directive(WireModel):
    """The inner `directive` object. `endpoint` is absent for Discover and AcceptGrant."""

    header: Header
    endpoint: DirectiveEndpoint | None = None
    # Out of the repr: Discover and AcceptGrant carry the user's token (and the grant code) here.
    payload: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def namespace(self) -> str:
        return self.header.namespace

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def endpoint_id(self) -> str | None:
        return self.endpoint.endpoint_id if self.endpoint else None

    def wire_envelope(self) -> dict[str, Any]:
        return {"directive": self.wire()}


class DirectiveEnvelope(WireModel):
    directive: Directive


class Property(WireModel):
    """One entry of `context.properties` or `change.properties`."""

    namespace: NonEmpty
    name: NonEmpty
    value: Any
    time_of_sample: UtcTimestamp
    uncertainty_in_milliseconds: Annotated[StrictInt, Field(ge=0)]  # a JSON integer: not "500", 5.0, true
    instance: str | None = None


class Context(WireModel):
    properties: list[Property] = Field(default_factory=list)


class EventEndpoint(WireModel):
    """The endpoint of an event; `scope` is required only for events sent to the gateway."""

    endpoint_id: EndpointId
    scope: BearerScope | None = None
    cookie: dict[str, Any] | None = None


class Event(WireModel):
    header: Header
    endpoint: EventEndpoint | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class EventEnvelope(WireModel):
    """A response to a directive, or an event for the gateway: `{"event": …, "context"?: …}`."""

    event: Event
    context: Context | None = None
