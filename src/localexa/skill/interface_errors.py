"""The ErrorResponse types of the interfaces' own ErrorResponse pages (developer.amazon.com/docs/
device-apis/alexa-<interface>-errorresponse.html), one exception class each, as in errors.py.

Each answers in its interface's namespace (`Alexa.ThermostatController`, `Alexa.Video`, …);
`error_response(directive, type, message, namespace="Alexa")` writes one in `Alexa` instead.
"""

from __future__ import annotations

from localexa.skill.error_base import SkillError
from localexa.skill.messages.errors import ErrorType

# -- Alexa.ThermostatController ---------------------------------------------------------------------


class UnsupportedThermostatMode(SkillError):
    type = ErrorType.UNSUPPORTED_THERMOSTAT_MODE
    default_message = "The thermostat does not support that mode."


class DualSetpointsUnsupported(SkillError):
    type = ErrorType.DUAL_SETPOINTS_UNSUPPORTED
    default_message = "The thermostat does not support dual setpoints in its current mode."


class TripleSetpointsUnsupported(SkillError):
    type = ErrorType.TRIPLE_SETPOINTS_UNSUPPORTED
    default_message = "The thermostat does not support triple setpoints in its current mode."


class UnwillingToSetSchedule(SkillError):
    type = ErrorType.UNWILLING_TO_SET_SCHEDULE
    default_message = "The thermostat cannot set that schedule."


class UnwillingToSetValue(SkillError):
    type = ErrorType.UNWILLING_TO_SET_VALUE
    default_message = "The thermostat cannot set that value."


# -- Alexa.ThermostatController.Configuration -------------------------------------------------------


class ConfigurationUpdateNotAllowed(SkillError):
    type = ErrorType.CONFIGURATION_UPDATE_NOT_ALLOWED
    default_message = "The thermostat does not allow configuration changes."


class MissingSetupInformation(SkillError):
    type = ErrorType.MISSING_SETUP_INFORMATION
    default_message = "The directive lacks information the setup needs."


class InvalidTargetState(SkillError):
    type = ErrorType.INVALID_TARGET_STATE
    default_message = "The device does not support that target state."


class InvalidTemperatureScale(SkillError):
    type = ErrorType.INVALID_TEMPERATURE_SCALE
    default_message = "The device does not support that temperature scale."


class InvalidTerminalConnection(SkillError):
    type = ErrorType.INVALID_TERMINAL_CONNECTION
    default_message = "A terminal connection is not supported."


# -- Alexa.ThermostatController.Schedule ------------------------------------------------------------


class InsufficientSpace(SkillError):
    type = ErrorType.INSUFFICIENT_SPACE
    default_message = "The thermostat has no space for another schedule."


# -- Alexa.Cooking ----------------------------------------------------------------------------------


class ChildLock(SkillError):
    type = ErrorType.CHILD_LOCK
    default_message = "The appliance's child lock is on."


class DoorClosedTooLong(SkillError):
    type = ErrorType.DOOR_CLOSED_TOO_LONG
    default_message = "The door has not been opened recently; the appliance is likely empty."


class DoorOpen(SkillError):
    type = ErrorType.DOOR_OPEN
    default_message = "The appliance door is open."


class PreheatRequired(SkillError):
    type = ErrorType.PREHEAT_REQUIRED
    default_message = "The appliance must be preheated."


class ProbeRequired(SkillError):
    type = ErrorType.PROBE_REQUIRED
    default_message = "The temperature probe must be inserted."


class RemoteStartNotSupported(SkillError):
    type = ErrorType.REMOTE_START_NOT_SUPPORTED
    default_message = "The appliance cannot start cooking remotely."


class RemoveProbe(SkillError):
    type = ErrorType.REMOVE_PROBE
    default_message = "The temperature probe must be removed."


class RemoteStartDisabled(SkillError):
    type = ErrorType.REMOTE_START_DISABLED
    default_message = "Remote start is disabled on the appliance."


# -- Alexa.DataController ---------------------------------------------------------------------------


class DataDeletionNotSupported(SkillError):
    type = ErrorType.DATA_DELETION_NOT_SUPPORTED
    default_message = "The device does not support data deletion."


class DataRetrievalNotSupported(SkillError):
    type = ErrorType.DATA_RETRIEVAL_NOT_SUPPORTED
    default_message = "The device does not support data retrieval."


# -- Alexa.Safety -----------------------------------------------------------------------------------


class ObstacleDetected(SkillError):
    type = ErrorType.OBSTACLE_DETECTED
    default_message = "An obstacle is in the way."


class SafetyBeamBreached(SkillError):
    type = ErrorType.SAFETY_BEAM_BREACHED
    default_message = "A safety beam was breached."


# -- Alexa.Video ------------------------------------------------------------------------------------


class ActionNotPermittedForContent(SkillError):
    type = ErrorType.ACTION_NOT_PERMITTED_FOR_CONTENT
    default_message = "The content does not allow that action."


class ConfirmationRequired(SkillError):
    type = ErrorType.CONFIRMATION_REQUIRED
    default_message = "The action needs a confirmation first."


class ContentNotRecordable(SkillError):
    type = ErrorType.CONTENT_NOT_RECORDABLE
    default_message = "The content cannot be recorded."


class NotSubscribed(SkillError):
    type = ErrorType.NOT_SUBSCRIBED
    default_message = "The user is not subscribed to that content."


class RecordingExists(SkillError):
    type = ErrorType.RECORDING_EXISTS
    default_message = "The recording exists already."


class StorageFull(SkillError):
    type = ErrorType.STORAGE_FULL
    default_message = "The recorder's storage is full."


class TitleDisambiguationRequired(SkillError):
    type = ErrorType.TITLE_DISAMBIGUATION_REQUIRED
    default_message = "The title matches more than one programme."


class TunerOccupied(SkillError):
    type = ErrorType.TUNER_OCCUPIED
    default_message = "The tuner is busy with another recording."


# -- Alexa.SmartVision.ObjectDetectionSensor and Alexa.SmartVision.SnapshotProvider (since 2026-12-06) --
# SUBSCRIPTION_REQUIRED is a type of both: one class per namespace.


class ObjectDetectionSubscriptionRequired(SkillError):
    type = ErrorType.SUBSCRIPTION_REQUIRED
    namespace = "Alexa.SmartVision.ObjectDetectionSensor"
    default_message = "Detecting that object class needs a subscription."


class SnapshotSubscriptionRequired(SkillError):
    type = ErrorType.SUBSCRIPTION_REQUIRED
    namespace = "Alexa.SmartVision.SnapshotProvider"
    default_message = "Snapshots need a subscription."


class DisabledByUser(SkillError):
    type = ErrorType.DISABLED_BY_USER
    default_message = "The user turned snapshots off in the camera app."


INTERFACE_ERRORS: tuple[type[SkillError], ...] = (
    UnsupportedThermostatMode,
    DualSetpointsUnsupported,
    TripleSetpointsUnsupported,
    UnwillingToSetSchedule,
    UnwillingToSetValue,
    ConfigurationUpdateNotAllowed,
    MissingSetupInformation,
    InvalidTargetState,
    InvalidTemperatureScale,
    InvalidTerminalConnection,
    InsufficientSpace,
    ChildLock,
    DoorClosedTooLong,
    DoorOpen,
    PreheatRequired,
    ProbeRequired,
    RemoteStartNotSupported,
    RemoveProbe,
    RemoteStartDisabled,
    DataDeletionNotSupported,
    DataRetrievalNotSupported,
    ObstacleDetected,
    SafetyBeamBreached,
    ActionNotPermittedForContent,
    ConfirmationRequired,
    ContentNotRecordable,
    NotSubscribed,
    RecordingExists,
    StorageFull,
    TitleDisambiguationRequired,
    TunerOccupied,
    ObjectDetectionSubscriptionRequired,
    SnapshotSubscriptionRequired,
    DisabledByUser,
)
