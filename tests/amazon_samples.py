"""Amazon's sample messages, verbatim (alexa-samples/alexa-smarthome, sample_messages/<path>), that
localexa refused before 2026-12-06. `scoped(sample, token)` puts a real event token in place of
the samples' "access-token-from-Amazon"."""

from __future__ import annotations

import copy
import json
from typing import Any

_SAMPLES = json.loads(
    r"""
{
 "ThermostatController/ErrorResponse.ThermostatController.TEMPERATURE_VALUE_OUT_OF_RANGE.json": {
  "event": {
   "header": {
    "namespace": "Alexa.ThermostatController",
    "name": "ErrorResponse",
    "payloadVersion": "3",
    "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-001"
   },
   "payload": {
    "type": "TEMPERATURE_VALUE_OUT_OF_RANGE",
    "message": "The requested temperature of -15 is out of range",
    "validRange": {
     "minimumValue": {
      "value": 15.0,
      "scale": "CELSIUS"
     },
     "maximumValue": {
      "value": 30.0,
      "scale": "CELSIUS"
     }
    }
   }
  }
 },
 "ThermostatController/ErrorResponse.ThermostatController.REQUESTED_SETPOINTS_TOO_CLOSE.json": {
  "event": {
   "header": {
    "namespace": "Alexa.ThermostatController",
    "name": "ErrorResponse",
    "payloadVersion": "3",
    "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-001"
   },
   "payload": {
    "type": "REQUESTED_SETPOINTS_TOO_CLOSE",
    "message": "The requested temperature results in setpoints too close",
    "minimumTemperatureDelta": {
     "value": 2.0,
     "scale": "CELSIUS"
    }
   }
  }
 },
 "ThermostatController/ErrorResponse.ThermostatController.General.json": {
  "event": {
   "header": {
    "namespace": "Alexa.ThermostatController",
    "name": "ErrorResponse",
    "payloadVersion": "3",
    "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-001"
   },
   "payload": {
    "type": "THERMOSTAT_IS_OFF",
    "message": "The thermostat is off, cannot turn on due to safety reasons"
   }
  }
 },
 "WakeOnLANController/WakeUp.event.json": {
  "event": {
   "header": {
    "namespace": "Alexa.WakeOnLANController",
    "name": "WakeUp",
    "messageId": "3e1b246e-10f3-3ff3-7c99-32aa123f43c3",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg==",
    "payloadVersion": "3"
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-010"
   },
   "payload": {}
  },
  "context": {
   "properties": [
    {
     "namespace": "Alexa.PowerController",
     "name": "powerState",
     "value": "OFF",
     "timeOfSample": "2020-06-15T01:50:50.52Z",
     "uncertaintyInMilliseconds": 500
    }
   ]
  }
 },
 "SceneController/SceneController.ActivationStarted.message.json": {
  "context": {
   "properties": [
    {
     "namespace": "Alexa.EndpointHealth",
     "name": "connectivity",
     "value": {
      "value": "OK"
     },
     "timeOfSample": "2017-09-27T18:30:30.45Z",
     "uncertaintyInMilliseconds": 200
    }
   ]
  },
  "event": {
   "header": {
    "namespace": "Alexa.SceneController",
    "name": "ActivationStarted",
    "payloadVersion": "3",
    "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-001"
   },
   "payload": {
    "cause": {
     "type": "VOICE_INTERACTION"
    },
    "timestamp": "2017-09-27T18:30:30.45Z"
   }
  }
 },
 "SceneController/SceneController.DeactivationStarted.message.json": {
  "context": {
   "properties": [
    {
     "namespace": "Alexa.EndpointHealth",
     "name": "connectivity",
     "value": {
      "value": "OK"
     },
     "timeOfSample": "2017-09-27T18:30:30.45Z",
     "uncertaintyInMilliseconds": 200
    }
   ]
  },
  "event": {
   "header": {
    "namespace": "Alexa.SceneController",
    "name": "DeactivationStarted",
    "payloadVersion": "3",
    "messageId": "5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4",
    "correlationToken": "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
   },
   "endpoint": {
    "scope": {
     "type": "BearerToken",
     "token": "access-token-from-Amazon"
    },
    "endpointId": "endpoint-001"
   },
   "payload": {
    "cause": {
     "type": "APP_INTERACTION"
    },
    "timestamp": "2017-09-27T18:30:30.45Z"
   }
  }
 }
}
"""
)

THERMOSTAT_TEMPERATURE_OUT_OF_RANGE = (
    "ThermostatController/ErrorResponse.ThermostatController.TEMPERATURE_VALUE_OUT_OF_RANGE.json"
)
THERMOSTAT_SETPOINTS_TOO_CLOSE = (
    "ThermostatController/ErrorResponse.ThermostatController.REQUESTED_SETPOINTS_TOO_CLOSE.json"
)
THERMOSTAT_IS_OFF = "ThermostatController/ErrorResponse.ThermostatController.General.json"
WAKE_UP = "WakeOnLANController/WakeUp.event.json"
ACTIVATION_STARTED = "SceneController/SceneController.ActivationStarted.message.json"
DEACTIVATION_STARTED = "SceneController/SceneController.DeactivationStarted.message.json"


def sample(path: str) -> dict[str, Any]:
    """A fresh copy of the sample at `path`."""
    copied: dict[str, Any] = copy.deepcopy(_SAMPLES[path])
    return copied


def scoped(path: str, token: str) -> dict[str, Any]:
    """The sample with `token` as its endpoint's scope token."""
    message = sample(path)
    message["event"]["endpoint"]["scope"]["token"] = token
    return message
