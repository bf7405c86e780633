"""The event gateway's request body, for the OpenAPI document.

The route reads the raw body and `localexa.skill.validation.validate_event` judges it (the same
rules the skill kit applies), so that every refusal is a gateway error with the gateway's code.
The document shows the envelope those rules start from; the rules per event (a correlation token
on asynchronous answers, the scope token, each payload's fields) are stricter than this schema.
"""

from __future__ import annotations

from typing import Any

from localexa.skill.messages.envelope import ERROR_PAYLOAD_VERSIONS, MESSAGE_ID_PATTERN

_OBJECT: dict[str, Any] = {"type": "object"}
#: "3", and the versions of the interfaces' own ErrorResponse (`"1.0"`, `"1.1"`: only there).
PAYLOAD_VERSIONS: list[str] = ["3", *sorted(set(ERROR_PAYLOAD_VERSIONS.values()))]
#: The envelope model takes null as absent for these, so the document must not call null invalid.
_OBJECT_OR_NULL: dict[str, Any] = {"type": ["object", "null"]}

EVENT_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["event"],
    "properties": {
        "event": {
            "type": "object",
            "required": ["header"],
            "properties": {
                "header": {
                    "type": "object",
                    "required": ["namespace", "name", "payloadVersion", "messageId"],
                    "properties": {
                        "namespace": {"type": "string", "minLength": 1},
                        "name": {"type": "string", "minLength": 1},
                        "payloadVersion": {"type": "string", "enum": PAYLOAD_VERSIONS},
                        "messageId": {"type": "string", "pattern": MESSAGE_ID_PATTERN},
                    },
                },
                "endpoint": _OBJECT_OR_NULL,
                "payload": _OBJECT,
            },
        },
        "context": _OBJECT_OR_NULL,
    },
}


def event_body_openapi() -> dict[str, Any]:
    """`openapi_extra` of `POST /v3/events`."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": EVENT_ENVELOPE}}}}
