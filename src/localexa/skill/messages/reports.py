"""Proactive reports sent to the event gateway: `Alexa.ChangeReport` (docs: state reporting),
`Alexa.DoorbellEventSource.DoorbellPress` (docs: Alexa.DoorbellEventSource) and
`Alexa.WakeOnLANController.WakeUp` (docs: Alexa.WakeOnLANController); and the payload of the scene
answers ActivationStarted and DeactivationStarted (docs: Alexa.SceneController), which has the
doorbell's shape.

`change.properties` are the properties that changed, `context.properties` the unchanged ones.
The cause says why the state changed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from localexa.skill.messages.envelope import Property, UtcTimestamp, WireModel


class CauseType(StrEnum):
    APP_INTERACTION = "APP_INTERACTION"
    PERIODIC_POLL = "PERIODIC_POLL"
    PHYSICAL_INTERACTION = "PHYSICAL_INTERACTION"
    RULE_TRIGGER = "RULE_TRIGGER"
    VOICE_INTERACTION = "VOICE_INTERACTION"


class Cause(WireModel):
    type: CauseType


class Change(WireModel):
    cause: Cause
    properties: Annotated[list[Property], Field(min_length=1)]


class ChangeReportPayload(WireModel):
    change: Change


class DoorbellPressPayload(WireModel):
    """A doorbell was pressed: `cause` (PHYSICAL_INTERACTION in Amazon's examples) and when, in UTC."""

    cause: Cause
    timestamp: UtcTimestamp


class SceneStartedPayload(WireModel):
    """`ActivationStarted`/`DeactivationStarted`: why (`cause`) and when, in UTC, as a doorbell press."""

    cause: Cause
    timestamp: UtcTimestamp


class WakeUpPayload(WireModel):
    """`WakeUp` asks Alexa to send a Wake-on-LAN packet to the MAC addresses given at discovery:
    its payload is an empty object (Amazon's sample WakeUp.event.json); the endpoint's state goes
    in `context.properties`."""
