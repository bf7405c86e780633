"""Events a skill sends on its own to the gateway (docs "state reporting", "discovery"):
ChangeReport, AddOrUpdateReport and DeleteReport. Send them with `EventGatewayClient`, which puts
the current token into the scope, so `token` may be left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from localexa.skill.messages.reports import CauseType
from localexa.skill.responses import Message, event_endpoint, event_header

# Written into the scope until EventGatewayClient.send replaces it with the current token.
UNSET_TOKEN = "set-by-event-gateway-client"


def change_report(
    endpoint_id: str,
    changed: Iterable[Mapping[str, Any]],
    unchanged: Iterable[Mapping[str, Any]] = (),
    *,
    cause: CauseType | str = CauseType.PHYSICAL_INTERACTION,
    token: str | None = None,
) -> Message:
    """`Alexa.ChangeReport`: `changed` properties in the payload, the others in the context."""
    changed_list = [dict(p) for p in changed]
    if not changed_list:
        raise ValueError("a ChangeReport needs at least one changed property")
    return {
        "event": {
            "header": event_header("Alexa", "ChangeReport"),
            "endpoint": event_endpoint(endpoint_id, token or UNSET_TOKEN),
            "payload": {"change": {"cause": {"type": CauseType(cause).value}, "properties": changed_list}},
        },
        "context": {"properties": [dict(p) for p in unchanged]},
    }


def add_or_update_report(endpoints: Iterable[Mapping[str, Any]], *, token: str | None = None) -> Message:
    """`Alexa.Discovery.AddOrUpdateReport`: new or changed endpoints, shaped as in Discover.Response."""
    return {
        "event": {
            "header": event_header("Alexa.Discovery", "AddOrUpdateReport"),
            "payload": {
                "endpoints": [dict(e) for e in endpoints],
                "scope": {"type": "BearerToken", "token": token or UNSET_TOKEN},
            },
        }
    }


def delete_report(endpoint_ids: Iterable[str], *, token: str | None = None) -> Message:
    """`Alexa.Discovery.DeleteReport`: endpoints the user no longer has."""
    return {
        "event": {
            "header": event_header("Alexa.Discovery", "DeleteReport"),
            "payload": {
                "endpoints": [{"endpointId": endpoint_id} for endpoint_id in endpoint_ids],
                "scope": {"type": "BearerToken", "token": token or UNSET_TOKEN},
            },
        }
    }
